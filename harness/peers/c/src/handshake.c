/* Handshake decisions, and the per-server session counter (WE-8). */
#include "handshake.h"

#include <stdio.h>
#include <string.h>

#include "fault.h"

static volatile LONG g_last_session = 0;

void np_hello_from_config(const np_config* c, np_hello* h) {
  memset(h, 0, sizeof *h);
  h->layout_version = 1;
  h->flags = np_fault(F_HELLO_FLAGS_NONZERO) ? 1 : 0;
  h->supported = c->supported & NP_PROFILES_IMPLEMENTED;
  h->preferred = c->preferred & NP_PROFILES_IMPLEMENTED;
  h->max_req_payload = c->max_req_payload;
  h->max_req_batch = c->max_req_batch;
  h->max_resp_payload = c->max_resp_payload;
  h->max_resp_batch = c->max_resp_batch;
  h->padding = np_fault(F_HELLO_PADDING_NONZERO) ? 0xdeadbeefu : 0;
  h->auth_token = c->auth_token;
  h->packet_size = c->packet_size;
}

static uint32_t highest_bit(uint32_t v) {
  uint32_t b = 0;
  while (v) {
    b = v & (~v + 1u);
    v &= v - 1u;
  }
  return b;
}

static unsigned reject(np_ack* ack, const char** rule, const char* name, unsigned status) {
  if (np_fault(F_ACK_RESERVED_NONZERO)) ack->padding = 0x1;
  *rule = name;
  return status;
}

unsigned np_decide(const np_config* s, const np_hello* h, np_ack* ack, const char** rule) {
  uint32_t server_supported = s->supported & NP_PROFILES_IMPLEMENTED;
  memset(ack, 0, sizeof *ack);
  ack->layout_version = 1;
  ack->server_supported = server_supported;
  *rule = NULL;
  if (h->layout_version != 1)
    return reject(ack, rule, "hello_bad_layout_version", NP_ST_INCOMPATIBLE);
  if (h->flags != 0 && !np_fault(F_HELLO_FLAGS_IGNORED))
    return reject(ack, rule, "hello_nonzero_flags", NP_ST_BAD_ENVELOPE);
  if (h->padding != 0) return reject(ack, rule, "hello_nonzero_padding", NP_ST_BAD_ENVELOPE);
  if (h->auth_token != s->auth_token)
    return reject(ack, rule, "auth_token_mismatch", NP_ST_AUTH_FAILED);
  uint32_t inter = h->supported & server_supported;
  if (inter == 0) return reject(ack, rule, "no_common_profile", NP_ST_UNSUPPORTED);
  if (h->max_req_payload > s->max_req_payload && !np_fault(F_REQUEST_PAYLOAD_OVER_LIMIT_ACCEPTED))
    return reject(ack, rule, "request_payload_over_server_limit", NP_ST_LIMIT_EXCEEDED);
  uint32_t packet = h->packet_size < s->packet_size ? h->packet_size : s->packet_size;
  if (np_fault(F_PACKET_SIZE_MAX))
    packet = h->packet_size > s->packet_size ? h->packet_size : s->packet_size;
  if (packet <= NP_HEADER_LEN && !np_fault(F_PACKET_32_ACCEPTED))
    return reject(ack, rule, "packet_size_too_small", NP_ST_INCOMPATIBLE);

  uint32_t both = inter & h->preferred & (s->preferred & NP_PROFILES_IMPLEMENTED);
  ack->intersection = np_fault(F_ACK_INTERSECTION_WRONG) ? server_supported | h->supported : inter;
  ack->selected = highest_bit(both ? both : inter);
  ack->req_payload = h->max_req_payload;
  ack->req_batch = h->max_req_batch;
  ack->resp_batch = h->max_req_batch + (np_fault(F_RESPONSE_BATCH_DIFFERS) ? 1u : 0u);
  /* The hint is honoured and never lowered below the server's own configuration. */
  ack->resp_payload =
      h->max_resp_payload > s->max_resp_payload ? h->max_resp_payload : s->max_resp_payload;
  ack->packet_size = packet;
  ack->padding = np_fault(F_ACK_RESERVED_NONZERO) ? 0x1u : 0u;
  if (np_fault(F_SESSION_ID_CONSTANT)) {
    ack->session_id = 1;
  } else {
    LONG n = InterlockedIncrement(&g_last_session);
    ack->session_id = (uint64_t)(n - (np_fault(F_SESSION_ID_FROM_ZERO) ? 1 : 0));
  }
  return NP_ST_OK;
}

const char* np_check_ack(const np_hello* h, const np_ack* a, char* why, size_t n) {
  if (a->layout_version != 1) {
    snprintf(why, n, "layout_version: expected 1, got %u", a->layout_version);
    return "ack_bad_layout_version";
  }
  if (a->flags != 0) {
    snprintf(why, n, "flags: expected 0, got %u", a->flags);
    return "ack_nonzero_flags";
  }
  if (a->padding != 0) {
    snprintf(why, n, "padding: expected 0, got %u", (unsigned)a->padding);
    return "ack_nonzero_padding";
  }
  if (a->resp_batch != a->req_batch) {
    snprintf(why, n, "agreed_max_response_batch_items: expected %u, got %u", (unsigned)a->req_batch,
             (unsigned)a->resp_batch);
    return "ack_batch_items_differ";
  }
  if (a->intersection != (h->supported & a->server_supported)) {
    snprintf(why, n, "intersection_profiles: expected 0x%x, got 0x%x",
             (unsigned)(h->supported & a->server_supported), (unsigned)a->intersection);
    return "ack_intersection_wrong";
  }
  if (a->selected == 0 || (a->selected & (a->selected - 1u)) != 0 ||
      (a->selected & h->supported & a->server_supported) == 0) {
    snprintf(why, n, "selected_profile: 0x%x is not one offered profile", (unsigned)a->selected);
    return "ack_profile_not_offered";
  }
  if (a->packet_size <= NP_HEADER_LEN) {
    snprintf(why, n, "agreed_packet_size: expected > 32, got %u", (unsigned)a->packet_size);
    return "ack_packet_size_too_small";
  }
  if (a->packet_size > h->packet_size) {
    snprintf(why, n, "agreed_packet_size: expected <= %u, got %u", (unsigned)h->packet_size,
             (unsigned)a->packet_size);
    return "ack_packet_size_over_proposal";
  }
  if (a->req_payload > h->max_req_payload) {
    snprintf(why, n, "agreed_max_request_payload_bytes: expected <= %u, got %u",
             (unsigned)h->max_req_payload, (unsigned)a->req_payload);
    return "ack_request_payload_over_proposal";
  }
  if (a->session_id == 0) {
    snprintf(why, n, "session_id: expected > 0, got 0");
    return "ack_session_id_zero";
  }
  return NULL;
}
