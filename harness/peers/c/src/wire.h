/* Byte layouts of wire-envelope.md: outer header, continuation header, HELLO, HELLO_ACK. */
#ifndef NP_WIRE_H
#define NP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define NP_MAGIC 0x4e495043u
#define NP_CHUNK_MAGIC 0x4e43484bu
#define NP_HEADER_LEN 32u
#define NP_HELLO_LEN 44u
#define NP_ACK_LEN 48u

enum { NP_KIND_REQUEST = 1, NP_KIND_RESPONSE = 2, NP_KIND_CONTROL = 3 };
enum { NP_CODE_HELLO = 1, NP_CODE_HELLO_ACK = 2 };
enum { NP_FLAG_BATCH = 1 };
enum {
  NP_ST_OK = 0,
  NP_ST_BAD_ENVELOPE,
  NP_ST_AUTH_FAILED,
  NP_ST_INCOMPATIBLE,
  NP_ST_UNSUPPORTED,
  NP_ST_LIMIT_EXCEEDED,
  NP_ST_INTERNAL_ERROR
};

typedef struct {
  uint32_t magic;
  uint16_t version, header_len, kind, flags, code, status;
  uint32_t payload_len, item_count;
  uint64_t message_id;
} np_header;

typedef struct {
  uint32_t magic;
  uint16_t version, flags;
  uint64_t message_id;
  uint32_t total_len, index, count, payload_len;
} np_chunk;

typedef struct {
  uint16_t layout_version, flags;
  uint32_t supported, preferred, max_req_payload, max_req_batch, max_resp_payload, max_resp_batch;
  uint32_t padding;
  uint64_t auth_token;
  uint32_t packet_size;
} np_hello;

typedef struct {
  uint16_t layout_version, flags;
  uint32_t server_supported, intersection, selected;
  uint32_t req_payload, req_batch, resp_payload, resp_batch, packet_size, padding;
  uint64_t session_id;
} np_ack;

void np_put16(uint8_t* p, uint16_t v);
void np_put32(uint8_t* p, uint32_t v);
void np_put64(uint8_t* p, uint64_t v);
uint16_t np_get16(const uint8_t* p);
uint32_t np_get32(const uint8_t* p);
uint64_t np_get64(const uint8_t* p);

void np_header_init(np_header* h, uint16_t kind, uint16_t code, uint32_t payload_len,
                    uint64_t message_id);
void np_header_encode(const np_header* h, uint8_t* out);
void np_header_decode(const uint8_t* in, np_header* h);
/* Per-message checks of WE-1; returns the broken rule or NULL. */
const char* np_header_check(const np_header* h, uint32_t max_payload, uint32_t max_items, char* why,
                            size_t why_len);

void np_chunk_encode(const np_chunk* c, uint8_t* out);
void np_chunk_decode(const uint8_t* in, np_chunk* c);

void np_hello_encode(const np_hello* h, uint8_t* out);
void np_hello_decode(const uint8_t* in, np_hello* h);
void np_ack_encode(const np_ack* a, uint8_t* out);
void np_ack_decode(const uint8_t* in, np_ack* a);

const char* np_status_name(unsigned status);

#endif
