/* netipc-c-peer: the C sample library (conn.h) behind the C kit (harness/kits/c). This file is
 * the whole adapter: it maps the kit's calls and types onto the library's, nothing more. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "conn.h"
#include "fault.h"
#include "netipc_kit.h"

/* The library's errors become the kit's close reasons. */
static int fail(nk_error* out, const np_err* e) {
  static const int kReasons[] = {NK_OK,       NK_CLOSED,  NK_DISCONNECTED, NK_PROTOCOL,
                                 NK_REJECTED, NK_TIMEOUT, NK_WIN32_ERROR,  NK_BAD_ARGUMENT};
  out->reason = e->reason >= 0 && e->reason <= NP_BAD_NAME ? kReasons[e->reason] : NK_WIN32_ERROR;
  out->rule = e->rule;
  out->has_win32 = e->has_win32;
  out->win32_code = e->win32;
  out->mid_message = e->mid_message;
  memcpy(out->detail, e->detail, sizeof out->detail);
  return 0;
}

/* This library has no SHM (it masks SHM bits out of every HELLO and ACK): cfg->shm_prepare is
 * moot, and no report sets has_shm or has_reconnect. */
static np_config config(const nk_config* c) {
  return (np_config){c->auth_token,
                     c->supported_profiles,
                     c->preferred_profiles,
                     c->max_request_payload_bytes,
                     c->max_request_batch_items,
                     c->max_response_payload_bytes,
                     c->max_response_batch_items,
                     c->packet_size};
}

static void report(nk_handshake* out, const np_report* r) {
  const np_ack* a = &r->ack;
  out->answered = r->answered;
  out->status = (uint16_t)r->status;
  out->accepted = r->accepted;
  out->rule = r->rule;
  out->hello_malformed = r->hello_malformed;
  out->ack = (nk_ack){a->layout_version, a->flags,       a->server_supported, a->intersection,
                      a->selected,       a->req_payload, a->req_batch,        a->resp_payload,
                      a->resp_batch,     a->packet_size, a->padding,          a->session_id};
}

static int listen_(const nk_config* cfg, const char* run_dir, const char* service, void** listener,
                   char* pipe_name, size_t pipe_name_len, nk_error* err) {
  np_config c = config(cfg);
  np_err e = {0};
  np_server* s = np_listen(&c, run_dir, service, &e);
  if (s == NULL) return fail(err, &e);
  strncpy(pipe_name, np_server_pipe_name(s), pipe_name_len - 1);
  pipe_name[pipe_name_len - 1] = '\0';
  *listener = s;
  return 1;
}

static int accept_(void* listener, uint32_t deadline_ms, HANDLE stop, void** session,
                   nk_error* err) {
  np_err e = {0};
  np_conn* c = np_accept(listener, deadline_ms, stop, &e);
  if (c == NULL) return fail(err, &e);
  *session = c;
  return 1;
}

static void close_listener(void* listener) { np_server_close(listener); }

static int server_handshake(void* session, uint32_t deadline_ms, nk_handshake* out, nk_error* err) {
  np_report r = {0};
  np_err e = {0};
  int ok = np_server_handshake(session, deadline_ms, &r, &e);
  report(out, &r);
  return ok ? 1 : fail(err, &e);
}

static int connect_(const nk_config* cfg, const char* run_dir, const char* service,
                    uint32_t deadline_ms, void** session, nk_handshake* out, nk_error* err) {
  np_config c = config(cfg);
  np_report r = {0};
  np_err e = {0};
  np_conn* conn = np_connect(&c, run_dir, service, deadline_ms, &r, &e);
  report(out, &r);
  /* A client that goes on after a refusal (a fault) still says why it was refused. */
  if (conn == NULL || !r.accepted) fail(err, &e);
  *session = conn;
  return conn != NULL;
}

static int send_(void* session, const nk_message* m, uint32_t deadline_ms, nk_error* err) {
  np_header h;
  np_err e = {0};
  np_header_init(&h, m->kind, m->code, m->payload_len, m->message_id);
  h.flags = m->flags;
  h.status = m->transport_status;
  h.item_count = m->item_count;
  return np_send(session, &h, m->payload, deadline_ms, &e) ? 1 : fail(err, &e);
}

static int receive(void* session, uint32_t deadline_ms, nk_message* m, nk_error* err) {
  np_header h;
  np_err e = {0};
  if (!np_recv(session, deadline_ms, &h, &m->payload, &e)) return fail(err, &e);
  m->kind = h.kind;
  m->code = h.code;
  m->flags = h.flags;
  m->transport_status = h.status;
  m->item_count = h.item_count;
  m->payload_len = h.payload_len;
  m->message_id = h.message_id;
  return 1;
}

static void interrupt(void* session) { np_cancel(session); }

static void close_(void* session) { np_close(session); }

static int batch_encode(const nk_item* items, uint32_t count, uint8_t* out, size_t* len,
                        nk_error* err) {
  np_item* list = calloc(count ? count : 1, sizeof *list);
  if (list == NULL) return nk_fail_win32(err, NK_WIN32_ERROR, ERROR_OUTOFMEMORY, "batch");
  for (uint32_t i = 0; i < count; i++) list[i] = (np_item){items[i].data, items[i].len};
  *len = np_batch_len(list, count);
  if (out) np_batch_encode(list, count, out);
  free(list);
  return 1;
}

static const nk_adapter kAdapter = {
    "netipc-c-peer", listen_, accept_,   close_listener, server_handshake, connect_,
    send_,           receive, interrupt, close_,         batch_encode,
};

int main(void) {
  if (np_fault_init() != 0) return nk_exit(2);
  return nk_main(&kAdapter);
}
