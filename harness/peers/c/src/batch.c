/* Batch directory layout: u32 offset (8-aligned, from the packed area) + u32 length per item. */
#include "batch.h"

#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "wire.h"

static uint64_t align8(uint64_t v) { return (v + 7u) & ~(uint64_t)7u; }

size_t np_batch_len(const np_item* items, uint32_t count) {
  uint64_t len = align8((uint64_t)count * 8u);
  for (uint32_t i = 0; i < count; i++) len += align8(items[i].len);
  return (size_t)len;
}

void np_batch_encode(const np_item* items, uint32_t count, uint8_t* out) {
  size_t area = (size_t)align8((uint64_t)count * 8u);
  uint32_t off = 0;
  memset(out, 0, np_batch_len(items, count));
  for (uint32_t i = 0; i < count; i++) {
    /* The fault measures offsets from the payload start, not from the packed area. */
    np_put32(out + (size_t)i * 8u,
             off + (np_fault(F_BATCH_OFFSETS_FROM_PAYLOAD_START) ? (uint32_t)area : 0u));
    np_put32(out + (size_t)i * 8u + 4u, items[i].len);
    if (items[i].len) memcpy(out + area + off, items[i].data, items[i].len);
    off += (uint32_t)align8(items[i].len);
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
