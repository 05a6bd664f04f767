/* Batch payloads (wire-envelope.md 2): the request generator and the directory check (WE-2). */
#ifndef NP_BATCH_H
#define NP_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* Payload length of a request: `items` == 0 means a single message of `item_len` bytes. */
size_t np_request_len(uint32_t items, uint32_t item_len);
/* Writes the deterministic payload of request `message_id`. */
void np_request_fill(uint8_t* out, uint64_t message_id, uint32_t items, uint32_t item_len);
/* Checks a batch directory; returns the broken rule or NULL. */
const char* np_batch_check(const uint8_t* payload, uint32_t len, uint32_t count, char* why,
                           size_t n);

#endif
