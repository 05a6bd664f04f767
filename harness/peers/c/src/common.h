/* Shared types of the C sample library: configuration, the error value. */
#ifndef NP_COMMON_H
#define NP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <windows.h>

/* The config values of a HELLO and of a server's decision. */
typedef struct {
  uint64_t auth_token;
  uint32_t supported;
  uint32_t preferred;
  uint32_t max_req_payload;
  uint32_t max_req_batch;
  uint32_t max_resp_payload;
  uint32_t max_resp_batch;
  uint32_t packet_size;
} np_config;

/* Why a call failed. */
enum np_reason {
  NP_OK = 0,
  NP_CLOSED,       /* stopped on purpose */
  NP_DISCONNECTED, /* the other side left (NP-17) */
  NP_PROTOCOL,     /* the other side broke `rule` */
  NP_REJECTED,     /* the handshake (or the agreed limits) refused */
  NP_TIMEOUT,
  NP_WIN32,
  NP_BAD_NAME /* the service or pipe name breaks NP-4 / NP-2 */
};

typedef struct {
  int reason;       /* enum np_reason */
  const char* rule; /* rule name when reason is NP_PROTOCOL, NP_REJECTED or NP_BAD_NAME */
  DWORD win32;      /* Win32 code when known, else 0 */
  int has_win32;    /* win32 is meaningful */
  int mid_message;  /* the failure came between two chunks of one message */
  char detail[256]; /* a sentence for humans */
} np_err;

/* Record a broken rule; returns 0 so callers can `return np_rule(...)`. */
int np_rule(np_err* e, const char* rule, const char* fmt, ...);
/* Record a Win32 failure of `what`, classifying disconnects (NP-17) and timeouts. */
int np_win32(np_err* e, DWORD code, const char* what);
const char* np_win32_name(DWORD code);

#endif
