/* Batch payloads (wire-envelope.md 2): the encoder and the directory check (WE-2). */
#ifndef NP_BATCH_H
#define NP_BATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t* data;
  uint32_t len;
} np_item;

/* Payload length of a batch of `count` items. */
size_t np_batch_len(const np_item* items, uint32_t count);
/* Writes the directory and the packed, 8-aligned items (np_batch_len bytes) to `out`. */
void np_batch_encode(const np_item* items, uint32_t count, uint8_t* out);
/* Checks a batch directory; returns the broken rule or NULL. */
const char* np_batch_check(const uint8_t* payload, uint32_t len, uint32_t count, char* why,
                           size_t n);

#endif
