/* One server session: handshake (wire-envelope.md 4.3), then echo until the client leaves. */
#ifndef NP_SESSION_H
#define NP_SESSION_H

#include "options.h"

typedef struct {
  HANDLE h;
  uint32_t connection;
  const np_options* o;
  int exit_code; /* filled when the session ends */
} np_session;

DWORD WINAPI np_session_main(LPVOID arg);

#endif
