/* Batch directory layout: u32 offset (8-aligned, from the packed area) + u32 length per item. */
#include "batch.h"

#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "wire.h"

static uint64_t align8(uint64_t v) { return (v + 7u) & ~(uint64_t)7u; }

static uint32_t item_stride(uint32_t item_len) { return (uint32_t)align8(item_len); }

size_t np_request_len(uint32_t items, uint32_t item_len) {
  if (items == 0) return item_len;
  return (size_t)align8((uint64_t)items * 8u) + (size_t)items * item_stride(item_len);
}

static void fill(uint8_t* out, uint64_t message_id, uint32_t item, uint32_t len) {
  for (uint32_t j = 0; j < len; j++) out[j] = (uint8_t)(message_id * 131u + item * 17u + j);
}

void np_request_fill(uint8_t* out, uint64_t message_id, uint32_t items, uint32_t item_len) {
  if (items == 0) {
    fill(out, message_id, 0, item_len);
    return;
  }
  size_t area = (size_t)align8((uint64_t)items * 8u);
  memset(out, 0, np_request_len(items, item_len));
  for (uint32_t i = 0; i < items; i++) {
    uint32_t off = i * item_stride(item_len);
    /* The fault measures offsets from the payload start, not from the packed area. */
    np_put32(out + (size_t)i * 8u,
             off + (np_fault(F_BATCH_OFFSETS_FROM_PAYLOAD_START) ? (uint32_t)area : 0u));
    np_put32(out + (size_t)i * 8u + 4u, item_len);
    fill(out + area + off, message_id, i, item_len);
  }
}

const char* np_batch_check(const uint8_t* p, uint32_t len, uint32_t count, char* why, size_t n) {
  uint64_t dir = (uint64_t)count * 8u;
  if (dir > len) {
    snprintf(why, n, "directory of %u items needs %llu bytes, payload has %u", (unsigned)count,
             (unsigned long long)dir, (unsigned)len);
    return "batch_directory_out_of_bounds";
  }
  uint64_t area = align8(dir);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t off = np_get32(p + (size_t)i * 8u);
    uint32_t ilen = np_get32(p + (size_t)i * 8u + 4u);
    if (off % 8u != 0) {
      snprintf(why, n, "item %u: offset %u is not a multiple of 8", (unsigned)i, (unsigned)off);
      return "batch_item_misaligned";
    }
    if (area + off + ilen > len) {
      snprintf(why, n, "item %u: [%u, +%u) lies outside the packed area", (unsigned)i,
               (unsigned)off, (unsigned)ilen);
      return "batch_item_out_of_bounds";
    }
  }
  return NULL;
}
