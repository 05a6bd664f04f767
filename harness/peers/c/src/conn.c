/* Servers and connections: the handshake of both sides, one message each way, NP-18 instances. */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "chunk.h"
#include "fault.h"
#include "handshake.h"
#include "names.h"
#include "pipe.h"

#define NP_MAX_PIPE_BUFFER (16u * 1024u * 1024u)

struct np_server {
  np_config cfg;
  char name[512];
  wchar_t* wname;
  DWORD bufsize;
  HANDLE listening;  /* the instance the next client connects to */
  HANDLE prev_ended; /* no_new_instance_until_session_ends: set when the last session ended */
};

struct np_conn {
  np_pipe pipe;
  int server;
  np_config cfg;
  np_hello hello;
  np_ack ack; /* what the session runs on */
  uint32_t send_packet;
  np_limits lim; /* inbound checks */
  np_buf msg, scratch;
  CRITICAL_SECTION cs; /* guards the client's in-flight ids: send and receive run on two threads */
  uint64_t* inflight;
  size_t n_inflight, cap_inflight;
  HANDLE ended;   /* no_new_instance_until_session_ends */
  int holds_turn; /* one_client_at_a_time */
};

/* one_client_at_a_time: a session runs only while it holds the turn. */
static HANDLE g_turn;

static np_conn* new_conn(HANDLE h, int server, const np_config* cfg) {
  np_conn* c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->pipe.h = h;
  c->server = server;
  c->cfg = *cfg;
  InitializeCriticalSection(&c->cs);
  return c;
}

void np_close(np_conn* c) {
  np_pipe_close(&c->pipe);
  if (c->ended) {
    SetEvent(c->ended);
    CloseHandle(c->ended);
  }
  if (c->holds_turn) ReleaseSemaphore(g_turn, 1, NULL);
  np_buf_free(&c->msg);
  np_buf_free(&c->scratch);
  free(c->inflight);
  DeleteCriticalSection(&c->cs);
  free(c);
}

void np_cancel(np_conn* c) { CancelIoEx(c->pipe.h, NULL); }

/* NP-4 and NP-2: the name, or a NP_BAD_NAME error before any pipe exists. */
static int derive_name(const char* run_dir, const char* service_in, char* out, size_t n,
                       np_err* e) {
  char why[200];
  char* service = malloc(strlen(service_in) + 1);
  if (service == NULL) return np_win32(e, ERROR_OUTOFMEMORY, "pipe name");
  strcpy(service, service_in);
  const char* rule = np_check_service(service, why, sizeof why);
  if (rule == NULL) rule = np_pipe_name(run_dir, service, out, n);
  free(service);
  if (rule == NULL) return 1;
  if (strcmp(rule, "pipe_name_too_long") == 0)
    snprintf(why, sizeof why, "pipe name: expected at most 256 characters");
  np_rule(e, rule, "%s", why);
  e->reason = NP_BAD_NAME;
  return 0;
}

np_server* np_listen(const np_config* cfg, const char* run_dir, const char* service, np_err* e) {
  np_server* s = calloc(1, sizeof *s);
  if (s == NULL) {
    np_win32(e, ERROR_OUTOFMEMORY, "listen");
    return NULL;
  }
  if (!derive_name(run_dir, service, s->name, sizeof s->name, e)) {
    free(s);
    return NULL;
  }
  s->cfg = *cfg;
  s->wname = np_wide(s->name);
  s->bufsize = cfg->packet_size < NP_MAX_PIPE_BUFFER ? cfg->packet_size : NP_MAX_PIPE_BUFFER;
  s->listening = np_pipe_create(s->wname, s->bufsize, e);
  if (s->listening == INVALID_HANDLE_VALUE) {
    free(s->wname);
    free(s);
    return NULL;
  }
  if (np_fault(F_ONE_CLIENT_AT_A_TIME) && g_turn == NULL)
    g_turn = CreateSemaphoreW(NULL, 1, 1, NULL);
  return s;
}

const char* np_server_pipe_name(const np_server* s) { return s->name; }

void np_server_close(np_server* s) {
  if (s->listening != INVALID_HANDLE_VALUE) CloseHandle(s->listening);
  if (s->prev_ended) CloseHandle(s->prev_ended);
  free(s->wname);
  free(s);
}

static np_conn* stopped(np_err* e) {
  np_win32(e, ERROR_OPERATION_ABORTED, "accept stopped");
  e->reason = NP_CLOSED;
  return NULL;
}

np_conn* np_accept(np_server* s, DWORD wait_ms, HANDLE stop, np_err* e) {
  if (s->listening == INVALID_HANDLE_VALUE) {
    /* The fault's accept loop polls for the end of the session (every 20 ms), so a client that
     * comes right after a session ended finds no instance at all. */
    while (s->prev_ended && WaitForSingleObject(s->prev_ended, 0) == WAIT_TIMEOUT) {
      if (WaitForSingleObject(stop, 20) != WAIT_TIMEOUT) return stopped(e);
    }
    if (s->prev_ended) CloseHandle(s->prev_ended);
    s->prev_ended = NULL;
    s->listening = np_pipe_create(s->wname, s->bufsize, e);
    if (s->listening == INVALID_HANDLE_VALUE) return NULL;
  }
  /* one_client_at_a_time: the turn goes to sessions in accept order; the next instance exists
   * (a client can connect) but its session waits until the running one has ended. */
  HANDLE turn[2] = {g_turn, stop};
  int holds_turn = g_turn && np_fault(F_ONE_CLIENT_AT_A_TIME);
  if (holds_turn && WaitForMultipleObjects(2, turn, FALSE, INFINITE) != WAIT_OBJECT_0)
    return stopped(e);
  np_conn* c = NULL;
  if (np_pipe_accept(s->listening, wait_ms, stop, e)) {
    c = new_conn(s->listening, 1, &s->cfg);
    if (c == NULL) np_win32(e, ERROR_OUTOFMEMORY, "accept");
  }
  if (c == NULL) {
    if (holds_turn) ReleaseSemaphore(g_turn, 1, NULL);
    return NULL;
  }
  c->holds_turn = holds_turn;
  s->listening = INVALID_HANDLE_VALUE;
  if (np_fault(F_NO_NEW_INSTANCE_UNTIL_SESSION_ENDS)) {
    s->prev_ended = CreateEventW(NULL, TRUE, FALSE, NULL);
    DuplicateHandle(GetCurrentProcess(), s->prev_ended, GetCurrentProcess(), &c->ended, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
  } else {
    /* The next instance exists before this session's first read (NP-18); if it cannot be made
     * now, the next accept tries again and reports. */
    np_err later;
    s->listening = np_pipe_create(s->wname, s->bufsize, &later);
  }
  return c;
}

/* Reads the first message as a HELLO; returns its rule (malformed) or NULL. */
static const char* read_hello(np_conn* c, np_hello* hello, uint64_t* message_id, np_err* e,
                              int* io_failed) {
  char why[200];
  np_header h;
  const char* rule;
  *io_failed = 0;
  *message_id = 0;
  if (!np_pipe_read(&c->pipe, &c->msg, e)) {
    *io_failed = 1;
    return "io";
  }
  if (c->msg.len < NP_HEADER_LEN) {
    np_rule(e, "message_truncated", "HELLO of %u bytes", (unsigned)c->msg.len);
    return e->rule;
  }
  np_header_decode(c->msg.data, &h);
  *message_id = h.message_id;
  if ((rule = np_header_check(&h, UINT32_MAX, UINT32_MAX, why, sizeof why)) != NULL) {
    np_rule(e, rule, "%s", why);
  } else if (h.kind != NP_KIND_CONTROL) {
    np_rule(e, "control_wrong_kind", "kind: expected CONTROL (3), got %u", h.kind);
  } else if (h.code != NP_CODE_HELLO) {
    np_rule(e, "control_wrong_code", "code: expected HELLO (1), got %u", h.code);
  } else if (h.payload_len != NP_HELLO_LEN || c->msg.len != NP_HEADER_LEN + NP_HELLO_LEN) {
    np_rule(e, "hello_bad_payload_len", "HELLO payload: expected 44 bytes, got %u",
            (unsigned)(c->msg.len - NP_HEADER_LEN));
  } else {
    np_hello_decode(c->msg.data + NP_HEADER_LEN, hello);
    return NULL;
  }
  return e->rule;
}

int np_server_handshake(np_conn* c, DWORD deadline_ms, np_report* r, np_err* e) {
  np_hello hello;
  uint64_t id = 0;
  int io_failed = 0;
  c->pipe.read_ms = c->pipe.write_ms = deadline_ms;
  const char* rule = read_hello(c, &hello, &id, e, &io_failed);
  unsigned status;
  if (io_failed) return 0;
  if (rule != NULL) {
    r->hello_malformed = 1;
    status = NP_ST_BAD_ENVELOPE;
    memset(&c->ack, 0, sizeof c->ack);
    c->ack.layout_version = 1;
    c->ack.server_supported = c->cfg.supported & NP_PROFILES_IMPLEMENTED;
  } else {
    status = np_decide(&c->cfg, &hello, &c->ack, &rule);
  }
  if (status != NP_ST_OK && !r->hello_malformed) {
    e->reason = NP_REJECTED;
    e->rule = rule;
    e->has_win32 = 0;
    snprintf(e->detail, sizeof e->detail, "%s: answered %s", rule, np_status_name(status));
  }
  /* hello_padding_bare_close: a nonzero padding is taken for a corrupt HELLO and the
   * connection dropped, unanswered. */
  int bare_close = status != NP_ST_OK && (np_fault(F_REJECT_WITH_BARE_CLOSE) ||
                                          (np_fault(F_HELLO_PADDING_BARE_CLOSE) && rule != NULL &&
                                           strcmp(rule, "hello_nonzero_padding") == 0));
  r->answered = !bare_close;
  r->status = status;
  r->ack = c->ack;
  r->rule = rule;
  if (!bare_close) {
    uint8_t m[NP_HEADER_LEN + NP_ACK_LEN];
    np_header h;
    np_header_init(&h, NP_KIND_CONTROL, NP_CODE_HELLO_ACK, NP_ACK_LEN, id);
    h.status = (uint16_t)status;
    np_header_encode(&h, m);
    np_ack_encode(&c->ack, m + NP_HEADER_LEN);
    np_err werr = {0};
    if (!np_pipe_write(&c->pipe, m, sizeof m, &werr)) {
      if (status == NP_ST_OK) *e = werr;
      return 0;
    }
    /* reject_then_disconnect: the rejection "closes" with DisconnectNamedPipe at once, which
     * discards the ACK if the client has not read it yet (no FlushFileBuffers first). */
    if (status != NP_ST_OK && np_fault(F_REJECT_THEN_DISCONNECT)) DisconnectNamedPipe(c->pipe.h);
  }
  if (status != NP_ST_OK && np_fault(F_NO_CLOSE_AFTER_REJECT)) {
    np_err ignored = {0};
    while (np_pipe_read(&c->pipe, &c->scratch, &ignored)) {
    }
  }
  if (status != NP_ST_OK) return 0;
  int over = np_fault(F_OVER_LIMIT_REQUEST_ECHOED);
  c->lim = (np_limits){c->ack.packet_size, over ? UINT32_MAX : c->ack.req_payload,
                       over ? UINT32_MAX : c->ack.req_batch};
  c->send_packet = c->ack.packet_size;
  return 1;
}

/* Sends HELLO and checks HELLO_ACK; returns 1 when the session may run. */
static int client_handshake(np_conn* c, np_report* r, np_err* e) {
  np_buf b = {0};
  np_header h;
  char why[200];
  const char* rule;
  uint8_t m[NP_HEADER_LEN + NP_HELLO_LEN];
  int ok = 0;
  np_hello_from_config(&c->cfg, &c->hello);
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
  if (b.len < NP_HEADER_LEN) {
    np_rule(e, "message_truncated", "HELLO_ACK of %u bytes", (unsigned)b.len);
    goto out;
  }
  np_header_decode(b.data, &h);
  r->answered = 1;
  r->status = h.status;
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
    r->ack = c->ack;
    if (h.status != NP_ST_OK && !np_fault(F_CLIENT_IGNORES_ACK_STATUS)) {
      np_rule(e, "ack_rejected", "transport_status: expected OK, got %s", np_status_name(h.status));
      e->reason = NP_REJECTED;
      if (np_fault(F_CLIENT_IGNORES_REJECTION)) {
        /* The faulty client runs the session on what it proposed. */
        const np_hello* p = &c->hello;
        c->ack = (np_ack){1,
                          0,
                          p->supported,
                          p->supported,
                          1,
                          p->max_req_payload,
                          p->max_req_batch,
                          p->max_resp_payload,
                          p->max_req_batch,
                          p->packet_size,
                          0,
                          0};
        ok = 1;
      }
    } else if ((rule = np_check_ack(&c->hello, &c->ack, why, sizeof why)) != NULL) {
      np_rule(e, rule, "%s", why);
    } else {
      ok = r->accepted = 1;
    }
  }
  r->rule = r->accepted ? NULL : e->rule;
out:
  np_buf_free(&b);
  return ok;
}

np_conn* np_connect(const np_config* cfg, const char* run_dir, const char* service,
                    DWORD deadline_ms, np_report* r, np_err* e) {
  char name[512];
  HANDLE h = INVALID_HANDLE_VALUE;
  if (!derive_name(run_dir, service, name, sizeof name, e)) return NULL;
  wchar_t* wname = np_wide(name);
  int opened = wname && np_pipe_open(wname, deadline_ms, &h, e);
  free(wname);
  np_conn* c = opened ? new_conn(h, 0, cfg) : NULL;
  if (c == NULL) {
    if (opened) CloseHandle(h);
    return NULL;
  }
  c->pipe.read_ms = c->pipe.write_ms = deadline_ms;
  if (!client_handshake(c, r, e)) {
    np_close(c);
    return NULL;
  }
  c->send_packet =
      np_fault(F_CLIENT_IGNORES_AGREED_PACKET_SIZE) ? c->hello.packet_size : c->ack.packet_size;
  /* client_accepts_over_limit_response: responses are checked against the client's buffers
   * only, not against the agreed response limits. */
  int over = np_fault(F_CLIENT_ACCEPTS_OVER_LIMIT_RESPONSE);
  c->lim = (np_limits){c->ack.packet_size, over ? UINT32_MAX : c->ack.resp_payload,
                       over ? UINT32_MAX : c->ack.resp_batch};
  return c;
}

/* The client's ids in flight (WE-10): added on send, taken by the answer. */
static int add_inflight(np_conn* c, uint64_t id) {
  int ok = 1;
  EnterCriticalSection(&c->cs);
  if (c->n_inflight == c->cap_inflight) {
    size_t cap = c->cap_inflight ? c->cap_inflight * 2 : 16;
    uint64_t* p = realloc(c->inflight, cap * sizeof *p);
    if (p) {
      c->inflight = p;
      c->cap_inflight = cap;
    }
  }
  if (c->n_inflight < c->cap_inflight) {
    c->inflight[c->n_inflight++] = id;
  } else {
    ok = 0;
  }
  LeaveCriticalSection(&c->cs);
  return ok;
}

static int take_inflight(np_conn* c, uint64_t id) {
  int found = 0;
  EnterCriticalSection(&c->cs);
  for (size_t i = 0; i < c->n_inflight && !found; i++) {
    if (c->inflight[i] != id) continue;
    c->inflight[i] = c->inflight[--c->n_inflight];
    found = 1;
  }
  LeaveCriticalSection(&c->cs);
  return found;
}

int np_send(np_conn* c, const np_header* h, const uint8_t* payload, DWORD deadline_ms, np_err* e) {
  np_header m = *h;
  c->pipe.write_ms = deadline_ms;
  if (c->server) {
    if (np_fault(F_ECHO_LOSES_MESSAGE_ID)) m.message_id = 0;
  } else if (!np_fault(F_CLIENT_SENDS_OVER_AGREED_LIMIT) && m.payload_len > c->ack.req_payload) {
    /* NP-9: the session runs on the ACK's values; requests they refuse are never sent. */
    np_rule(e, "payload_over_limit",
            "the agreed limits refuse this request, not sent: payload_len: expected <= %u, got %u",
            (unsigned)c->ack.req_payload, (unsigned)m.payload_len);
    e->reason = NP_REJECTED;
    return 0;
  } else if (!np_fault(F_CLIENT_SENDS_OVER_AGREED_LIMIT) && m.item_count > c->ack.req_batch) {
    np_rule(e, "item_count_over_limit",
            "the agreed limits refuse this request, not sent: item_count: expected <= %u, got %u",
            (unsigned)c->ack.req_batch, (unsigned)m.item_count);
    e->reason = NP_REJECTED;
    return 0;
  } else if (!add_inflight(c, m.message_id)) {
    return np_win32(e, ERROR_OUTOFMEMORY, "send");
  }
  return np_send_message(&c->pipe, c->send_packet, &m, payload, e);
}

int np_recv(np_conn* c, DWORD deadline_ms, np_header* h, const uint8_t** payload, np_err* e) {
  char why[200];
  const char* rule;
  c->pipe.read_ms = deadline_ms;
  for (;;) {
    int mid = 0;
    e->mid_message = 0;
    if (!np_recv_message(&c->pipe, &c->lim, &c->msg, &c->scratch, h, &mid, e)) {
      e->mid_message = mid;
      return 0;
    }
    *payload = c->msg.data + NP_HEADER_LEN;
    if (c->server) {
      if (h->kind != NP_KIND_REQUEST)
        return np_rule(e, "bad_kind", "kind: expected REQUEST (1) from a client, got %u", h->kind);
      if ((h->flags & NP_FLAG_BATCH) &&
          (rule = np_batch_check(*payload, h->payload_len, h->item_count, why, sizeof why)) != NULL)
        return np_rule(e, rule, "%s", why);
      return 1;
    }
    if (take_inflight(c, h->message_id)) return 1;
    if (np_fault(F_CLIENT_ACCEPTS_UNKNOWN_ID)) continue;
    return np_rule(e, "unknown_message_id", "response for message_id %llu, which is not in flight",
                   (unsigned long long)h->message_id);
  }
}
