/* The sample library's public API, of the usual shape: listen, accept, connect, send, receive,
 * close. Everything the contract governs happens below this line; the adapter only maps it. */
#ifndef NP_CONN_H
#define NP_CONN_H

#include "common.h"
#include "wire.h"

typedef struct np_server np_server;
typedef struct np_conn np_conn;

/* What a handshake showed (also when it refused). */
typedef struct {
  int answered;        /* a HELLO_ACK was sent (server) / received and decoded (client) */
  unsigned status;     /* its transport_status */
  int accepted;        /* client: the ACK was OK and passed the checks */
  np_ack ack;          /* its fields */
  const char* rule;    /* why it refused */
  int hello_malformed; /* server: the first message was no well-formed HELLO */
} np_report;

/* Checks the service (NP-4), derives the name (NP-2) and creates the first instance. A bad name
 * fails with reason NP_BAD_NAME before any pipe exists. */
np_server* np_listen(const np_config* cfg, const char* run_dir, const char* service, np_err* e);
const char* np_server_pipe_name(const np_server* s);
/* Waits for a client (up to wait_ms, or until `stop`: reason NP_CLOSED) and has an instance
 * ready for the next one before it returns (NP-18). */
np_conn* np_accept(np_server* s, DWORD wait_ms, HANDLE stop, np_err* e);
void np_server_close(np_server* s);
/* Server side of the handshake (wire-envelope.md 4.3): read the HELLO, decide, answer. */
int np_server_handshake(np_conn* c, DWORD deadline_ms, np_report* r, np_err* e);

/* Client: open the pipe, HELLO, check the HELLO_ACK. NULL on failure (r says how far it got). */
np_conn* np_connect(const np_config* cfg, const char* run_dir, const char* service,
                    DWORD deadline_ms, np_report* r, np_err* e);

/* One logical message each way: chunked, reassembled and validated here. The payload that
 * np_recv returns lives until the next np_recv on the connection. */
int np_send(np_conn* c, const np_header* h, const uint8_t* payload, DWORD deadline_ms, np_err* e);
int np_recv(np_conn* c, DWORD deadline_ms, np_header* h, const uint8_t** payload, np_err* e);
/* Makes a pending np_send / np_recv on another thread return (thread-safe). */
void np_cancel(np_conn* c);
void np_close(np_conn* c);

#endif
