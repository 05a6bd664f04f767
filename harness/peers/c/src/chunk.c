/* Chunk planning, continuation headers and reassembly. */
#include "chunk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static uint32_t ceil_div(uint32_t a, uint32_t b) { return a / b + (a % b ? 1u : 0u); }

int np_send_message(np_pipe* p, uint32_t packet_size, const np_header* h, const uint8_t* payload,
                    np_err* e) {
  uint32_t plen = h->payload_len;
  uint64_t total = (uint64_t)NP_HEADER_LEN + plen;
  if (total <= packet_size) {
    uint8_t* m = malloc((size_t)total);
    if (m == NULL) return np_win32(e, ERROR_OUTOFMEMORY, "WriteFile");
    np_header_encode(h, m);
    if (plen) memcpy(m + NP_HEADER_LEN, payload, plen);
    int ok = np_pipe_write(p, m, (size_t)total, e);
    free(m);
    return ok;
  }
  if (packet_size <= NP_HEADER_LEN) return np_win32(e, ERROR_INVALID_PARAMETER, "chunk planning");
  uint32_t budget = packet_size - NP_HEADER_LEN;
  uint32_t first = plen < budget ? plen : budget;
  if (np_fault(F_SHORT_FIRST_CHUNK)) first = budget / 2 ? budget / 2 : 1;
  uint32_t count = 1 + ceil_div(plen - first, budget);
  int one_write = np_fault(F_CHUNKS_IN_ONE_WRITE);
  size_t cap = one_write ? (size_t)count * NP_HEADER_LEN + plen : packet_size;
  uint8_t* pkt = malloc(cap);
  size_t used = 0;
  if (pkt == NULL) return np_win32(e, ERROR_OUTOFMEMORY, "WriteFile");
  np_header_encode(h, pkt);
  memcpy(pkt + NP_HEADER_LEN, payload, first);
  used = NP_HEADER_LEN + first;
  int ok = one_write ? 1 : np_pipe_write(p, pkt, used, e);
  uint32_t off = first;
  for (uint32_t i = 1; ok && i < count; i++) {
    uint32_t n = plen - off < budget ? plen - off : budget;
    np_chunk c = {NP_CHUNK_MAGIC, 1, 0, h->message_id, (uint32_t)total, i, count, n};
    if (np_fault(F_CONTINUATION_WRONG_MAGIC)) c.magic = NP_MAGIC;
    if (np_fault(F_CONTINUATION_INDEX_FROM_ZERO)) c.index = i - 1;
    if (np_fault(F_CONTINUATION_MESSAGE_ID_WRONG)) c.message_id = h->message_id + 1;
    if (np_fault(F_CHUNK_COUNT_WRONG)) c.count = count + 1;
    if (np_fault(F_CHUNK_PAYLOAD_LEN_WRONG)) c.payload_len = n + 1;
    if (!one_write) used = 0;
    np_chunk_encode(&c, pkt + used);
    memcpy(pkt + used + NP_HEADER_LEN, payload + off, n);
    used += NP_HEADER_LEN + n;
    off += n;
    if (!one_write) ok = np_pipe_write(p, pkt, used, e);
  }
  if (ok && one_write) ok = np_pipe_write(p, pkt, used, e);
  free(pkt);
  return ok;
}

/* Validates one continuation against the message being reassembled. */
static const char* check_continuation(const np_chunk* c, uint32_t len, const np_header* h,
                                      uint32_t index, uint32_t count, uint32_t budget,
                                      uint32_t remaining, char* why, size_t n) {
  if (np_fault(F_CHUNK_CHECKS_SKIPPED)) return NULL;
  if (c->magic == NP_MAGIC) {
    snprintf(why, n, "a new outer header arrived while message %llu is incomplete",
             (unsigned long long)h->message_id);
    return "chunk_interleaved";
  }
  if (c->magic != NP_CHUNK_MAGIC) {
    snprintf(why, n, "chunk magic: expected 0x4e43484b, got 0x%08x", (unsigned)c->magic);
    return "bad_chunk_magic";
  }
  if (c->version != 1) {
    snprintf(why, n, "chunk version: expected 1, got %u", c->version);
    return "bad_chunk_version";
  }
  if (c->flags != 0) {
    snprintf(why, n, "chunk flags: expected 0, got %u", c->flags);
    return "bad_chunk_flags";
  }
  if (c->message_id != h->message_id) {
    snprintf(why, n, "chunk message_id: expected %llu, got %llu", (unsigned long long)h->message_id,
             (unsigned long long)c->message_id);
    return "chunk_message_id_mismatch";
  }
  if (c->total_len != NP_HEADER_LEN + h->payload_len) {
    snprintf(why, n, "total_message_len: expected %u, got %u",
             (unsigned)(NP_HEADER_LEN + h->payload_len), (unsigned)c->total_len);
    return "chunk_total_len_mismatch";
  }
  if (c->index != index) {
    snprintf(why, n, "chunk_index: expected %u, got %u", (unsigned)index, (unsigned)c->index);
    return "chunk_index_out_of_order";
  }
  if (c->count != count) {
    snprintf(why, n, "chunk_count: expected %u, got %u", (unsigned)count, (unsigned)c->count);
    return "chunk_count_mismatch";
  }
  if (c->payload_len != len - NP_HEADER_LEN) {
    snprintf(why, n, "chunk_payload_len: expected %u (bytes after the header), got %u",
             (unsigned)(len - NP_HEADER_LEN), (unsigned)c->payload_len);
    return "chunk_payload_len_mismatch";
  }
  if (c->payload_len == 0) {
    snprintf(why, n, "chunk_payload_len: expected > 0, got 0");
    return "chunk_payload_empty";
  }
  if (c->payload_len > budget) {
    snprintf(why, n, "chunk_payload_len: expected <= %u, got %u", (unsigned)budget,
             (unsigned)c->payload_len);
    return "chunk_payload_over_budget";
  }
  if (c->payload_len > remaining) {
    snprintf(why, n, "chunk_payload_len: expected <= %u remaining, got %u", (unsigned)remaining,
             (unsigned)c->payload_len);
    return "chunk_payload_over_remaining";
  }
  /* short_last_chunk_awaited: the loop reads until the payload is complete, whatever the
   * index says, so a short last chunk leaves it waiting for a packet that never comes. */
  if (c->index + 1 == count && c->payload_len != remaining &&
      !np_fault(F_SHORT_LAST_CHUNK_AWAITED)) {
    snprintf(why, n, "the last chunk carries %u bytes, %u remain", (unsigned)c->payload_len,
             (unsigned)remaining);
    return "chunk_payload_len_mismatch";
  }
  return NULL;
}

int np_recv_message(np_pipe* p, const np_limits* lim, np_buf* msg, np_buf* scratch, np_header* h,
                    int* mid_message, np_err* e) {
  char why[200];
  const char* rule;
  *mid_message = 0;
  if (!np_pipe_read(p, msg, e)) return 0;
  if (msg->len < NP_HEADER_LEN)
    return np_rule(e, "message_truncated", "packet of %u bytes is shorter than the 32-byte header",
                   (unsigned)msg->len);
  if (np_get32(msg->data) == NP_CHUNK_MAGIC)
    return np_rule(e, "continuation_without_first", "a continuation arrived with no first chunk");
  np_header_decode(msg->data, h);
  if ((rule = np_header_check(h, lim->max_payload, lim->max_items, why, sizeof why)) != NULL)
    return np_rule(e, rule, "%s", why);
  if (msg->len > lim->packet_size)
    return np_rule(e, "packet_over_size", "packet of %u bytes exceeds agreed_packet_size %u",
                   (unsigned)msg->len, (unsigned)lim->packet_size);
  size_t total = (size_t)NP_HEADER_LEN + h->payload_len;
  if (msg->len == total) return 1;
  if (total <= lim->packet_size || msg->len > total)
    return np_rule(e, "message_length_mismatch", "packet of %u bytes, header says %u",
                   (unsigned)msg->len, (unsigned)total);
  /* Chunked. A receiver may accept a shorter first chunk (WE-4); it must not be empty. */
  uint32_t budget = lim->packet_size - NP_HEADER_LEN;
  uint32_t first = (uint32_t)(msg->len - NP_HEADER_LEN);
  if (first == 0) return np_rule(e, "first_chunk_short", "first chunk carries no payload");
  uint32_t count = 1 + ceil_div(h->payload_len - first, budget);
  if (!np_buf_reserve(msg, total)) return np_win32(e, ERROR_OUTOFMEMORY, "reassembly");
  *mid_message = 1;
  for (uint32_t i = 1; msg->len < total; i++) {
    np_chunk c;
    if (!np_pipe_read(p, scratch, e)) return 0;
    if (scratch->len < NP_HEADER_LEN)
      return np_rule(e, "message_truncated", "continuation of %u bytes is shorter than 32",
                     (unsigned)scratch->len);
    if (scratch->len > lim->packet_size)
      return np_rule(e, "packet_over_size", "packet of %u bytes exceeds agreed_packet_size %u",
                     (unsigned)scratch->len, (unsigned)lim->packet_size);
    np_chunk_decode(scratch->data, &c);
    uint32_t len = (uint32_t)scratch->len;
    uint32_t remaining = (uint32_t)(total - msg->len);
    rule = check_continuation(&c, len, h, i, count, budget, remaining, why, sizeof why);
    if (rule != NULL) return np_rule(e, rule, "%s", why);
    uint32_t n = len - NP_HEADER_LEN;
    if (n > remaining) n = remaining;
    memcpy(msg->data + msg->len, scratch->data + NP_HEADER_LEN, n);
    msg->len += n;
  }
  *mid_message = 0;
  return 1;
}
