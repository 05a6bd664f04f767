/* Chunking (wire-envelope.md 3): split on send, reassemble with every check on receive. */
#ifndef NP_CHUNK_H
#define NP_CHUNK_H

#include "pipe.h"
#include "wire.h"

typedef struct {
  uint32_t packet_size; /* agreed_packet_size */
  uint32_t max_payload; /* inbound payload limit */
  uint32_t max_items;   /* inbound batch-item limit */
} np_limits;

/* Sends header + payload, chunked when 32 + payload_len exceeds packet_size. */
int np_send_message(np_pipe* p, uint32_t packet_size, const np_header* h, const uint8_t* payload,
                    np_err* e);
/* Receives one logical message into `msg` (header then payload). *mid_message is set when the
 * failure came after the first packet. */
int np_recv_message(np_pipe* p, const np_limits* lim, np_buf* msg, np_buf* scratch, np_header* h,
                    int* mid_message, np_err* e);

#endif
