/* The error value: broken rules, Win32 failures classified (NP-17: a disconnect is graceful). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "fault.h"

int np_rule(np_err* e, const char* rule, const char* fmt, ...) {
  va_list ap;
  e->reason = NP_PROTOCOL;
  e->rule = rule;
  e->has_win32 = 0;
  e->win32 = 0;
  va_start(ap, fmt);
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  va_end(ap);
  return 0;
}

const char* np_win32_name(DWORD code) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
      return "ERROR_FILE_NOT_FOUND";
    case ERROR_ACCESS_DENIED:
      return "ERROR_ACCESS_DENIED";
    case ERROR_BROKEN_PIPE:
      return "ERROR_BROKEN_PIPE";
    case ERROR_SEM_TIMEOUT:
      return "ERROR_SEM_TIMEOUT";
    case ERROR_PIPE_BUSY:
      return "ERROR_PIPE_BUSY";
    case ERROR_NO_DATA:
      return "ERROR_NO_DATA";
    case ERROR_PIPE_NOT_CONNECTED:
      return "ERROR_PIPE_NOT_CONNECTED";
    case ERROR_MORE_DATA:
      return "ERROR_MORE_DATA";
    case ERROR_OPERATION_ABORTED:
      return "ERROR_OPERATION_ABORTED";
    case ERROR_PIPE_CONNECTED:
      return "ERROR_PIPE_CONNECTED";
    case ERROR_INVALID_PARAMETER:
      return "ERROR_INVALID_PARAMETER";
    case ERROR_TIMEOUT:
      return "ERROR_TIMEOUT";
    case WAIT_TIMEOUT:
      return "WAIT_TIMEOUT";
    case ERROR_OUTOFMEMORY:
      return "ERROR_OUTOFMEMORY";
    case ERROR_WRITE_FAULT:
      return "ERROR_WRITE_FAULT";
    default:
      return "ERROR_OTHER";
  }
}

int np_win32(np_err* e, DWORD code, const char* what) {
  e->win32 = code;
  e->has_win32 = 1;
  e->rule = NULL;
  snprintf(e->detail, sizeof e->detail, "%s: %s", what, np_win32_name(code));
  if (code == ERROR_BROKEN_PIPE || code == ERROR_NO_DATA || code == ERROR_PIPE_NOT_CONNECTED) {
    e->reason = np_fault(F_BROKEN_PIPE_IS_PROTOCOL_ERROR) ? NP_PROTOCOL : NP_DISCONNECTED;
  } else if (code == WAIT_TIMEOUT || code == ERROR_SEM_TIMEOUT || code == ERROR_TIMEOUT) {
    e->reason = NP_TIMEOUT;
  } else {
    e->reason = NP_WIN32;
  }
  return 0;
}
