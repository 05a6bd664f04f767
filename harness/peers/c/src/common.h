/* Shared types of the C sample peer: configuration, the error value, helpers. */
#ifndef NP_COMMON_H
#define NP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <windows.h>

/* The eight config flags of docs/peer-cli.md. */
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

/* Why a session ended (the `reason` of a close event). */
enum np_reason {
  NP_OK = 0,
  NP_CLOSED,
  NP_DISCONNECTED,
  NP_PROTOCOL,
  NP_REJECTED,
  NP_TIMEOUT,
  NP_WIN32
};

/* Exit codes (docs/peer-cli.md). */
enum {
  NP_EXIT_OK = 0,
  NP_EXIT_ARGS = 2,
  NP_EXIT_REJECTED = 3,
  NP_EXIT_DISCONNECTED = 4,
  NP_EXIT_PROTOCOL = 5,
  NP_EXIT_TIMEOUT = 6,
  NP_EXIT_WIN32 = 7,
  NP_EXIT_UNKNOWN_OPTION = 127
};

typedef struct {
  int reason;       /* enum np_reason */
  const char* rule; /* rule name when reason is NP_PROTOCOL or NP_REJECTED */
  DWORD win32;      /* Win32 code when known, else 0 */
  int has_win32;    /* win32 is meaningful */
  char detail[256]; /* a sentence for humans */
} np_err;

/* Record a broken rule; returns 0 so callers can `return np_rule(...)`. */
int np_rule(np_err* e, const char* rule, const char* fmt, ...);
/* Record a Win32 failure of `what`, classifying disconnects (NP-17) and timeouts. */
int np_win32(np_err* e, DWORD code, const char* what);
/* The clauses.md id of a rule name ("" when unknown). */
const char* np_rule_clause(const char* rule);
const char* np_win32_name(DWORD code);
const char* np_reason_name(int reason);
int np_exit_for(int reason, int mid_message);

#endif
