/* Little-endian encoders and decoders, and the per-message header checks. */
#include "wire.h"

#include <stdio.h>
#include <string.h>

void np_put16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
void np_put32(uint8_t* p, uint32_t v) {
  np_put16(p, (uint16_t)v);
  np_put16(p + 2, (uint16_t)(v >> 16));
}
void np_put64(uint8_t* p, uint64_t v) {
  np_put32(p, (uint32_t)v);
  np_put32(p + 4, (uint32_t)(v >> 32));
}
uint16_t np_get16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
uint32_t np_get32(const uint8_t* p) {
  return (uint32_t)np_get16(p) | ((uint32_t)np_get16(p + 2) << 16);
}
uint64_t np_get64(const uint8_t* p) {
  return (uint64_t)np_get32(p) | ((uint64_t)np_get32(p + 4) << 32);
}

void np_header_init(np_header* h, uint16_t kind, uint16_t code, uint32_t payload_len,
                    uint64_t message_id) {
  memset(h, 0, sizeof *h);
  h->magic = NP_MAGIC;
  h->version = 1;
  h->header_len = NP_HEADER_LEN;
  h->kind = kind;
  h->code = code;
  h->payload_len = payload_len;
  h->item_count = 1;
  h->message_id = message_id;
}

void np_header_encode(const np_header* h, uint8_t* o) {
  np_put32(o, h->magic);
  np_put16(o + 4, h->version);
  np_put16(o + 6, h->header_len);
  np_put16(o + 8, h->kind);
  np_put16(o + 10, h->flags);
  np_put16(o + 12, h->code);
  np_put16(o + 14, h->status);
  np_put32(o + 16, h->payload_len);
  np_put32(o + 20, h->item_count);
  np_put64(o + 24, h->message_id);
}

void np_header_decode(const uint8_t* i, np_header* h) {
  h->magic = np_get32(i);
  h->version = np_get16(i + 4);
  h->header_len = np_get16(i + 6);
  h->kind = np_get16(i + 8);
  h->flags = np_get16(i + 10);
  h->code = np_get16(i + 12);
  h->status = np_get16(i + 14);
  h->payload_len = np_get32(i + 16);
  h->item_count = np_get32(i + 20);
  h->message_id = np_get64(i + 24);
}

const char* np_header_check(const np_header* h, uint32_t max_payload, uint32_t max_items, char* why,
                            size_t n) {
  if (h->magic != NP_MAGIC) {
    snprintf(why, n, "magic: expected 0x4e495043, got 0x%08x", (unsigned)h->magic);
    return "bad_magic";
  }
  if (h->version != 1) {
    snprintf(why, n, "version: expected 1, got %u", h->version);
    return "bad_version";
  }
  if (h->header_len != NP_HEADER_LEN) {
    snprintf(why, n, "header_len: expected 32, got %u", h->header_len);
    return "bad_header_len";
  }
  if (h->kind < NP_KIND_REQUEST || h->kind > NP_KIND_CONTROL) {
    snprintf(why, n, "kind: expected 1..3, got %u", h->kind);
    return "bad_kind";
  }
  if (h->flags & ~NP_FLAG_BATCH) {
    snprintf(why, n, "flags: expected only bit 0, got 0x%04x", h->flags);
    return "bad_flags";
  }
  if (h->item_count == 0 || (!(h->flags & NP_FLAG_BATCH) && h->item_count != 1)) {
    snprintf(why, n, "item_count: %u does not fit flags 0x%04x", (unsigned)h->item_count, h->flags);
    return "bad_item_count";
  }
  if (h->payload_len > max_payload) {
    snprintf(why, n, "payload_len: expected <= %u, got %u", (unsigned)max_payload,
             (unsigned)h->payload_len);
    return "payload_over_limit";
  }
  if (h->item_count > max_items) {
    snprintf(why, n, "item_count: expected <= %u, got %u", (unsigned)max_items,
             (unsigned)h->item_count);
    return "item_count_over_limit";
  }
  return NULL;
}

void np_chunk_encode(const np_chunk* c, uint8_t* o) {
  np_put32(o, c->magic);
  np_put16(o + 4, c->version);
  np_put16(o + 6, c->flags);
  np_put64(o + 8, c->message_id);
  np_put32(o + 16, c->total_len);
  np_put32(o + 20, c->index);
  np_put32(o + 24, c->count);
  np_put32(o + 28, c->payload_len);
}

void np_chunk_decode(const uint8_t* i, np_chunk* c) {
  c->magic = np_get32(i);
  c->version = np_get16(i + 4);
  c->flags = np_get16(i + 6);
  c->message_id = np_get64(i + 8);
  c->total_len = np_get32(i + 16);
  c->index = np_get32(i + 20);
  c->count = np_get32(i + 24);
  c->payload_len = np_get32(i + 28);
}

void np_hello_encode(const np_hello* h, uint8_t* o) {
  np_put16(o, h->layout_version);
  np_put16(o + 2, h->flags);
  np_put32(o + 4, h->supported);
  np_put32(o + 8, h->preferred);
  np_put32(o + 12, h->max_req_payload);
  np_put32(o + 16, h->max_req_batch);
  np_put32(o + 20, h->max_resp_payload);
  np_put32(o + 24, h->max_resp_batch);
  np_put32(o + 28, h->padding);
  np_put64(o + 32, h->auth_token);
  np_put32(o + 40, h->packet_size);
}

void np_hello_decode(const uint8_t* i, np_hello* h) {
  h->layout_version = np_get16(i);
  h->flags = np_get16(i + 2);
  h->supported = np_get32(i + 4);
  h->preferred = np_get32(i + 8);
  h->max_req_payload = np_get32(i + 12);
  h->max_req_batch = np_get32(i + 16);
  h->max_resp_payload = np_get32(i + 20);
  h->max_resp_batch = np_get32(i + 24);
  h->padding = np_get32(i + 28);
  h->auth_token = np_get64(i + 32);
  h->packet_size = np_get32(i + 40);
}

void np_ack_encode(const np_ack* a, uint8_t* o) {
  np_put16(o, a->layout_version);
  np_put16(o + 2, a->flags);
  np_put32(o + 4, a->server_supported);
  np_put32(o + 8, a->intersection);
  np_put32(o + 12, a->selected);
  np_put32(o + 16, a->req_payload);
  np_put32(o + 20, a->req_batch);
  np_put32(o + 24, a->resp_payload);
  np_put32(o + 28, a->resp_batch);
  np_put32(o + 32, a->packet_size);
  np_put32(o + 36, a->padding);
  np_put64(o + 40, a->session_id);
}

void np_ack_decode(const uint8_t* i, np_ack* a) {
  a->layout_version = np_get16(i);
  a->flags = np_get16(i + 2);
  a->server_supported = np_get32(i + 4);
  a->intersection = np_get32(i + 8);
  a->selected = np_get32(i + 12);
  a->req_payload = np_get32(i + 16);
  a->req_batch = np_get32(i + 20);
  a->resp_payload = np_get32(i + 24);
  a->resp_batch = np_get32(i + 28);
  a->packet_size = np_get32(i + 32);
  a->padding = np_get32(i + 36);
  a->session_id = np_get64(i + 40);
}

const char* np_status_name(unsigned status) {
  static const char* const kNames[] = {
      "OK",          "BAD_ENVELOPE",   "AUTH_FAILED",   "INCOMPATIBLE",
      "UNSUPPORTED", "LIMIT_EXCEEDED", "INTERNAL_ERROR"};
  return status < 7 ? kNames[status] : "UNKNOWN";
}
