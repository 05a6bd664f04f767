/* The client role: HELLO, check the HELLO_ACK, then pipelined echo requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "chunk.h"
#include "events.h"
#include "fault.h"
#include "handshake.h"
#include "options.h"

typedef struct {
  const np_options* o;
  np_pipe pipe;
  np_hello hello;
  np_ack ack;
  uint32_t send_packet;
  CRITICAL_SECTION cs;
  uint8_t* inflight; /* indexed by message_id, 1..messages */
  HANDLE slots;      /* semaphore: free pipeline places */
  HANDLE failed;     /* manual event: a side failed */
  np_err err;
  int has_err;
  int mid_message;
  uint64_t ok, bad;
  size_t req_len;
} client;

static void fail(client* c, const np_err* e, int mid_message) {
  EnterCriticalSection(&c->cs);
  if (!c->has_err) {
    c->err = *e;
    c->has_err = 1;
    c->mid_message = mid_message;
  }
  LeaveCriticalSection(&c->cs);
  SetEvent(c->failed);
  CancelIoEx(c->pipe.h, NULL);
}

static void emit_echo(client* c, uint64_t id, uint32_t len, const char* detail) {
  if (detail == NULL && !c->o->echo_all) return;
  np_json j;
  np_json_begin(&j, "echo");
  np_json_u64(&j, "message_id", id);
  np_json_u64(&j, "payload_len", len);
  np_json_bool(&j, "ok", detail == NULL);
  if (detail) np_json_str(&j, "detail", detail);
  np_json_emit(&j);
}

/* Compares a response with the request it answers. */
static const char* compare(client* c, const np_header* h, const uint8_t* payload, uint8_t* want) {
  uint32_t items = c->o->batch;
  if (h->kind != NP_KIND_RESPONSE) return "kind is not RESPONSE";
  if (h->status != NP_ST_OK) return np_status_name(h->status);
  if (h->code != 1) return "code differs";
  if (h->flags != (items ? NP_FLAG_BATCH : 0)) return "flags differ";
  if (h->item_count != (items ? items : 1)) return "item_count differs";
  if (h->payload_len != c->req_len) return "payload_len differs";
  np_request_fill(want, h->message_id, items, c->o->payload_size);
  if (memcmp(want, payload, c->req_len) != 0) return "payload differs";
  return NULL;
}

static DWORD WINAPI reader(LPVOID arg) {
  client* c = arg;
  np_buf msg = {0}, scratch = {0};
  np_limits lim = {c->ack.packet_size, c->ack.resp_payload, c->ack.resp_batch};
  uint8_t* want = malloc(c->req_len ? c->req_len : 1);
  for (uint32_t got = 0; got < c->o->messages;) {
    np_header h;
    np_err e = {0};
    int mid = 0;
    if (!np_recv_message(&c->pipe, &lim, &msg, &scratch, &h, &mid, &e)) {
      fail(c, &e, mid);
      break;
    }
    EnterCriticalSection(&c->cs);
    int known = h.message_id >= 1 && h.message_id <= c->o->messages && c->inflight[h.message_id];
    if (known) c->inflight[h.message_id] = 0;
    LeaveCriticalSection(&c->cs);
    if (!known) {
      if (np_fault(F_CLIENT_ACCEPTS_UNKNOWN_ID)) continue;
      np_rule(&e, "unknown_message_id", "response for message_id %llu, which is not in flight",
              (unsigned long long)h.message_id);
      fail(c, &e, 0);
      break;
    }
    const char* bad = compare(c, &h, msg.data + NP_HEADER_LEN, want);
    if (bad) {
      c->bad++;
    } else {
      c->ok++;
    }
    emit_echo(c, h.message_id, h.payload_len, bad);
    got++;
    ReleaseSemaphore(c->slots, 1, NULL);
  }
  free(want);
  np_buf_free(&msg);
  np_buf_free(&scratch);
  return 0;
}

static void writer(client* c) {
  uint8_t* payload = malloc(c->req_len ? c->req_len : 1);
  for (uint64_t id = 1; id <= c->o->messages; id++) {
    HANDLE waits[2] = {c->failed, c->slots};
    DWORD w = WaitForMultipleObjects(2, waits, FALSE, c->o->deadline_ms);
    np_err e = {0};
    if (w == WAIT_OBJECT_0) break;
    if (w != WAIT_OBJECT_0 + 1) {
      np_win32(&e, WAIT_TIMEOUT, "waiting for a response");
      fail(c, &e, 0);
      break;
    }
    np_header h;
    np_header_init(&h, NP_KIND_REQUEST, 1, (uint32_t)c->req_len, id);
    if (c->o->batch) {
      h.flags = NP_FLAG_BATCH;
      h.item_count = c->o->batch;
    }
    np_request_fill(payload, id, c->o->batch, c->o->payload_size);
    EnterCriticalSection(&c->cs);
    c->inflight[id] = 1;
    LeaveCriticalSection(&c->cs);
    if (!np_send_message(&c->pipe, c->send_packet, &h, payload, &e)) {
      fail(c, &e, 0);
      break;
    }
  }
  free(payload);
}

static void emit_handshake(const np_ack* a, unsigned status, int accepted, const np_err* e) {
  np_json j;
  np_json_begin(&j, "handshake");
  np_json_str(&j, "role", "client");
  np_json_str(&j, "status", np_status_name(status));
  np_json_bool(&j, "accepted", accepted);
  np_json_ack(&j, a);
  if (e) {
    np_json_str(&j, "rule", e->rule);
    np_json_str(&j, "detail", e->detail);
  }
  np_json_emit(&j);
}

/* NP-9: the session runs on the ACK's values; requests they refuse are never sent. */
static int plan_fits(const client* c, np_err* e) {
  uint32_t items = c->o->batch ? c->o->batch : 1;
  if (np_fault(F_CLIENT_SENDS_OVER_AGREED_LIMIT)) return 1;
  if (c->req_len > c->ack.req_payload) {
    np_rule(e, "payload_over_limit",
            "the agreed limits refuse this client's requests, none sent: payload_len: expected <= "
            "%u, got %u",
            (unsigned)c->ack.req_payload, (unsigned)c->req_len);
  } else if (items > c->ack.req_batch) {
    np_rule(e, "item_count_over_limit",
            "the agreed limits refuse this client's requests, none sent: item_count: expected <= "
            "%u, got %u",
            (unsigned)c->ack.req_batch, (unsigned)items);
  } else {
    return 1;
  }
  e->reason = NP_REJECTED;
  return 0;
}

/* Sends HELLO and checks HELLO_ACK; returns 1 when the session may run. */
static int handshake(client* c, np_err* e) {
  np_buf b = {0};
  np_header h;
  char why[200];
  const char* rule;
  uint8_t m[NP_HEADER_LEN + NP_HELLO_LEN];
  int ok = 0;
  np_hello_from_config(&c->o->cfg, &c->hello);
  if (np_fault(F_CLIENT_WAITS_BEFORE_HELLO)) {
    int timed_out = 0;
    np_err ignored;
    /* It waits for a server greeting that never comes, then speaks. */
    np_pipe_read_for(&c->pipe, &b, 10000, &timed_out, &ignored);
  }
  np_header_init(&h, NP_KIND_CONTROL, NP_CODE_HELLO, NP_HELLO_LEN, 0);
  np_header_encode(&h, m);
  np_hello_encode(&c->hello, m + NP_HEADER_LEN);
  if (!np_pipe_write(&c->pipe, m, sizeof m, e) || !np_pipe_read(&c->pipe, &b, e)) goto out;
  memset(&c->ack, 0, sizeof c->ack);
  if (b.len < NP_HEADER_LEN) {
    np_rule(e, "message_truncated", "HELLO_ACK of %u bytes", (unsigned)b.len);
    goto out;
  }
  np_header_decode(b.data, &h);
  if ((rule = np_header_check(&h, UINT32_MAX, UINT32_MAX, why, sizeof why)) != NULL) {
    np_rule(e, rule, "%s", why);
  } else if (h.kind != NP_KIND_CONTROL) {
    np_rule(e, "control_wrong_kind", "kind: expected CONTROL (3), got %u", h.kind);
  } else if (h.code != NP_CODE_HELLO_ACK) {
    np_rule(e, "control_wrong_code", "code: expected HELLO_ACK (2), got %u", h.code);
  } else if (h.payload_len != NP_ACK_LEN || b.len != NP_HEADER_LEN + NP_ACK_LEN) {
    np_rule(e, "hello_ack_bad_payload_len", "HELLO_ACK payload: expected 48 bytes, got %u",
            (unsigned)(b.len - NP_HEADER_LEN));
  } else {
    np_ack_decode(b.data + NP_HEADER_LEN, &c->ack);
    if (h.status != NP_ST_OK) {
      np_rule(e, "ack_rejected", "transport_status: expected OK, got %s", np_status_name(h.status));
      e->reason = NP_REJECTED;
      emit_handshake(&c->ack, h.status, 0, e);
      if (np_fault(F_CLIENT_IGNORES_REJECTION)) {
        /* The faulty client runs the session on what it proposed. */
        c->ack = (np_ack){1,
                          0,
                          c->hello.supported,
                          c->hello.supported,
                          1,
                          c->hello.max_req_payload,
                          c->hello.max_req_batch,
                          c->hello.max_resp_payload,
                          c->hello.max_req_batch,
                          c->hello.packet_size,
                          0,
                          0};
        ok = 1;
      }
      goto out;
    }
    if ((rule = np_check_ack(&c->hello, &c->ack, why, sizeof why)) != NULL) {
      np_rule(e, rule, "%s", why);
    } else {
      ok = 1;
    }
  }
  emit_handshake(&c->ack, h.status, ok, ok ? NULL : e);
out:
  np_buf_free(&b);
  return ok;
}

int np_run_client(const np_options* o) {
  client c;
  np_err e;
  LARGE_INTEGER f, t0, t1;
  memset(&c, 0, sizeof c);
  memset(&e, 0, sizeof e);
  c.o = o;
  c.pipe.deadline_ms = o->deadline_ms;
  c.req_len = np_request_len(o->batch, o->payload_size);
  InitializeCriticalSection(&c.cs);
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&t0);
  t1 = t0;
  wchar_t* name = np_wide(o->pipe_name);
  int opened = np_pipe_open(name, o->deadline_ms, &c.pipe.h, &e);
  free(name);
  if (opened && handshake(&c, &e) && plan_fits(&c, &e)) {
    c.send_packet =
        np_fault(F_CLIENT_IGNORES_AGREED_PACKET_SIZE) ? c.hello.packet_size : c.ack.packet_size;
    c.inflight = calloc((size_t)o->messages + 1, 1);
    c.slots = CreateSemaphoreW(NULL, (LONG)o->pipeline, (LONG)o->pipeline, NULL);
    c.failed = CreateEventW(NULL, TRUE, FALSE, NULL);
    QueryPerformanceCounter(&t0);
    HANDLE rt = CreateThread(NULL, 0, reader, &c, 0, NULL);
    writer(&c);
    WaitForSingleObject(rt, INFINITE);
    QueryPerformanceCounter(&t1);
    CloseHandle(rt);
    if (c.has_err) {
      e = c.err;
    } else if (c.bad) {
      e.reason = NP_PROTOCOL;
      snprintf(e.detail, sizeof e.detail, "%llu echoes did not match their requests",
               (unsigned long long)c.bad);
    } else {
      e.reason = NP_CLOSED;
      snprintf(e.detail, sizeof e.detail, "all echoes received");
    }
  }
  if (opened) np_pipe_close(&c.pipe);

  np_json j;
  np_json_begin(&j, "close");
  np_json_str(&j, "role", "client");
  np_json_u64(&j, "session_id", c.ack.session_id);
  np_json_err(&j, &e);
  np_json_emit(&j);
  double secs = (double)(t1.QuadPart - t0.QuadPart) / (double)f.QuadPart;
  np_json_begin(&j, "stats");
  np_json_str(&j, "role", "client");
  np_json_u64(&j, "messages", o->messages);
  np_json_u64(&j, "echoes_ok", c.ok);
  np_json_u64(&j, "echoes_bad", c.bad);
  np_json_f64(&j, "seconds", secs);
  np_json_f64(&j, "round_trips_per_second", secs > 0 ? (double)c.ok / secs : 0.0);
  np_json_emit(&j);
  /* Before the last echo, the server leaving is never graceful for the client. */
  int code = e.reason == NP_DISCONNECTED ? NP_EXIT_DISCONNECTED : np_exit_for(e.reason, 0);
  if (o->minimal) {
    char line[300];
    snprintf(line, sizeof line, code == 0 ? "PASS" : "FAIL %s", e.detail);
    np_print_line(line);
  }
  return code;
}
