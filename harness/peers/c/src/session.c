/* A server session: answers the HELLO, then echoes every request. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "chunk.h"
#include "events.h"
#include "fault.h"
#include "handshake.h"

typedef struct {
  np_pipe pipe;
  np_buf msg, scratch;
  np_ack ack;
  uint64_t session_id;
  uint64_t echoed;
  int mid_message;
  int malformed;
} state;

/* Reads the first message as a HELLO; returns its rule (malformed) or NULL. */
static const char* read_hello(state* s, np_hello* hello, uint64_t* message_id, np_err* e,
                              int* io_failed) {
  char why[200];
  np_header h;
  const char* rule;
  *io_failed = 0;
  *message_id = 0;
  if (!np_pipe_read(&s->pipe, &s->msg, e)) {
    *io_failed = 1;
    return "io";
  }
  if (s->msg.len < NP_HEADER_LEN) {
    np_rule(e, "message_truncated", "HELLO of %u bytes", (unsigned)s->msg.len);
    return e->rule;
  }
  np_header_decode(s->msg.data, &h);
  *message_id = h.message_id;
  if ((rule = np_header_check(&h, UINT32_MAX, UINT32_MAX, why, sizeof why)) != NULL) {
    np_rule(e, rule, "%s", why);
  } else if (h.kind != NP_KIND_CONTROL) {
    np_rule(e, "control_wrong_kind", "kind: expected CONTROL (3), got %u", h.kind);
  } else if (h.code != NP_CODE_HELLO) {
    np_rule(e, "control_wrong_code", "code: expected HELLO (1), got %u", h.code);
  } else if (h.payload_len != NP_HELLO_LEN || s->msg.len != NP_HEADER_LEN + NP_HELLO_LEN) {
    np_rule(e, "hello_bad_payload_len", "HELLO payload: expected 44 bytes, got %u",
            (unsigned)(s->msg.len - NP_HEADER_LEN));
  } else {
    np_hello_decode(s->msg.data + NP_HEADER_LEN, hello);
    return NULL;
  }
  return e->rule;
}

static void emit_handshake(state* s, uint32_t conn, unsigned status, const char* rule) {
  np_json j;
  np_json_begin(&j, "handshake");
  np_json_str(&j, "role", "server");
  np_json_u64(&j, "connection", conn);
  np_json_str(&j, "status", np_status_name(status));
  np_json_bool(&j, "hello_malformed", s->malformed);
  np_json_ack(&j, &s->ack);
  if (rule) {
    np_json_str(&j, "rule", rule);
    np_json_str(&j, "clause", np_rule_clause(rule));
  }
  np_json_emit(&j);
}

/* Answers the handshake; returns 1 when the session may run. */
static int handshake(state* s, const np_options* o, uint32_t conn, np_err* e) {
  np_hello hello;
  uint64_t id = 0;
  int io_failed = 0;
  const char* rule = read_hello(s, &hello, &id, e, &io_failed);
  unsigned status;
  if (io_failed) return 0;
  if (rule != NULL) {
    s->malformed = 1;
    status = NP_ST_BAD_ENVELOPE;
    memset(&s->ack, 0, sizeof s->ack);
    s->ack.layout_version = 1;
    s->ack.server_supported = o->cfg.supported & NP_PROFILES_IMPLEMENTED;
  } else {
    status = np_decide(&o->cfg, &hello, &s->ack, &rule);
  }
  if (status != NP_ST_OK && !s->malformed) {
    e->reason = NP_REJECTED;
    e->rule = rule;
    e->has_win32 = 0;
    snprintf(e->detail, sizeof e->detail, "%s: answered %s", rule, np_status_name(status));
  }
  if (status == NP_ST_OK) s->session_id = s->ack.session_id;
  if (status == NP_ST_OK || !np_fault(F_REJECT_WITH_BARE_CLOSE)) {
    uint8_t m[NP_HEADER_LEN + NP_ACK_LEN];
    np_header h;
    np_header_init(&h, NP_KIND_CONTROL, NP_CODE_HELLO_ACK, NP_ACK_LEN, id);
    h.status = (uint16_t)status;
    np_header_encode(&h, m);
    np_ack_encode(&s->ack, m + NP_HEADER_LEN);
    np_err werr = {0};
    if (!np_pipe_write(&s->pipe, m, sizeof m, &werr)) {
      emit_handshake(s, conn, status, rule);
      if (status == NP_ST_OK) *e = werr;
      return 0;
    }
  }
  emit_handshake(s, conn, status, rule);
  if (status != NP_ST_OK && np_fault(F_NO_CLOSE_AFTER_REJECT)) {
    np_err ignored = {0};
    while (np_pipe_read(&s->pipe, &s->scratch, &ignored)) {
    }
  }
  return status == NP_ST_OK;
}

static void echo_loop(state* s, np_err* e) {
  char why[200];
  int over = np_fault(F_OVER_LIMIT_REQUEST_ECHOED);
  np_limits lim = {s->ack.packet_size, over ? UINT32_MAX : s->ack.req_payload,
                   over ? UINT32_MAX : s->ack.req_batch};
  for (;;) {
    np_header h;
    const char* rule;
    if (!np_recv_message(&s->pipe, &lim, &s->msg, &s->scratch, &h, &s->mid_message, e)) return;
    if (h.kind != NP_KIND_REQUEST) {
      np_rule(e, "bad_kind", "kind: expected REQUEST (1) from a client, got %u", h.kind);
      return;
    }
    if ((h.flags & NP_FLAG_BATCH) &&
        (rule = np_batch_check(s->msg.data + NP_HEADER_LEN, h.payload_len, h.item_count, why,
                               sizeof why)) != NULL) {
      np_rule(e, rule, "%s", why);
      return;
    }
    h.kind = NP_KIND_RESPONSE;
    h.status = NP_ST_OK;
    if (np_fault(F_ECHO_LOSES_MESSAGE_ID)) h.message_id = 0;
    if (h.payload_len > s->ack.resp_payload && !over) {
      h.status = NP_ST_LIMIT_EXCEEDED;
      h.payload_len = 0;
    }
    if (!np_send_message(&s->pipe, s->ack.packet_size, &h, s->msg.data + NP_HEADER_LEN, e)) return;
    s->echoed++;
  }
}

DWORD WINAPI np_session_main(LPVOID arg) {
  np_session* ss = arg;
  state s;
  np_err e;
  memset(&s, 0, sizeof s);
  memset(&e, 0, sizeof e);
  s.pipe.h = ss->h;
  s.pipe.deadline_ms = ss->o->deadline_ms;
  if (handshake(&s, ss->o, ss->connection, &e)) echo_loop(&s, &e);
  np_pipe_close(&s.pipe);

  np_json j;
  np_json_begin(&j, "close");
  np_json_str(&j, "role", "server");
  np_json_u64(&j, "connection", ss->connection);
  np_json_u64(&j, "session_id", s.session_id);
  np_json_u64(&j, "echoed", s.echoed);
  np_json_bool(&j, "mid_message", s.mid_message);
  np_json_err(&j, &e);
  np_json_emit(&j);
  ss->exit_code = np_exit_for(e.reason, s.mid_message);
  np_buf_free(&s.msg);
  np_buf_free(&s.scratch);
  return 0;
}
