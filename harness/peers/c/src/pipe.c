/* Overlapped named-pipe I/O with deadlines and CancelIoEx. */
#include "pipe.h"

#include <stdlib.h>

#include "fault.h"

int np_buf_reserve(np_buf* b, size_t cap) {
  if (b->cap >= cap) return 1;
  uint8_t* d = realloc(b->data, cap);
  if (d == NULL) return 0;
  b->data = d;
  b->cap = cap;
  return 1;
}

void np_buf_free(np_buf* b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

wchar_t* np_wide(const char* utf8) {
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
  wchar_t* w = malloc(sizeof(wchar_t) * (size_t)(n > 0 ? n : 1));
  if (w == NULL) return NULL;
  if (n <= 0 || MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, n) <= 0) w[0] = 0;
  return w;
}

HANDLE np_pipe_create(const wchar_t* name, DWORD buffer_size, np_err* e) {
  DWORD mode = PIPE_TYPE_MESSAGE | PIPE_WAIT |
               (np_fault(F_READ_MODE_BYTE) ? PIPE_READMODE_BYTE : PIPE_READMODE_MESSAGE);
  /* pipe_type_byte: the flags of a stream pipe, as in most CreateNamedPipe examples. */
  if (np_fault(F_PIPE_TYPE_BYTE)) mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT;
  HANDLE h = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, mode,
                              PIPE_UNLIMITED_INSTANCES, buffer_size, buffer_size, 0, NULL);
  if (h == INVALID_HANDLE_VALUE) np_win32(e, GetLastError(), "CreateNamedPipeW");
  return h;
}

/* Waits for an overlapped operation; on a deadline, cancels it and reports a timeout. */
static int finish(HANDLE h, OVERLAPPED* ov, DWORD wait_ms, HANDLE quit, DWORD* n, DWORD* err,
                  int* timed_out) {
  HANDLE events[2] = {ov->hEvent, quit};
  DWORD w = WaitForMultipleObjects(quit ? 2 : 1, events, FALSE, wait_ms);
  *timed_out = 0;
  if (w != WAIT_OBJECT_0) {
    CancelIoEx(h, ov);
    GetOverlappedResult(h, ov, n, TRUE);
    *timed_out = 1;
    *err = w == WAIT_TIMEOUT ? WAIT_TIMEOUT : ERROR_OPERATION_ABORTED;
    return 0;
  }
  if (GetOverlappedResult(h, ov, n, FALSE)) return 1;
  *err = GetLastError();
  return 0;
}

int np_pipe_accept(HANDLE h, DWORD deadline_ms, HANDLE quit, np_err* e) {
  OVERLAPPED ov = {0};
  DWORD n = 0, err = 0;
  int timed_out = 0;
  ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
  BOOL ok = ConnectNamedPipe(h, &ov);
  err = GetLastError();
  if (!ok && err == ERROR_PIPE_CONNECTED) ok = TRUE;
  if (!ok && err == ERROR_IO_PENDING) ok = finish(h, &ov, deadline_ms, quit, &n, &err, &timed_out);
  CloseHandle(ov.hEvent);
  if (ok) return 1;
  np_win32(e, err, "ConnectNamedPipe");
  if (timed_out) e->reason = err == WAIT_TIMEOUT ? NP_TIMEOUT : NP_CLOSED;
  return 0;
}

int np_pipe_open(const wchar_t* name, DWORD deadline_ms, HANDLE* out, np_err* e) {
  ULONGLONG end = GetTickCount64() + deadline_ms;
  for (;;) {
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
    if (h != INVALID_HANDLE_VALUE) {
      DWORD mode = PIPE_READMODE_MESSAGE;
      /* A client end starts in byte mode; the faults forget to switch it. */
      int byte_mode = np_fault(F_READ_MODE_BYTE) || np_fault(F_CLIENT_READ_MODE_BYTE);
      if (!byte_mode && !SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
        np_win32(e, GetLastError(), "SetNamedPipeHandleState");
        CloseHandle(h);
        return 0;
      }
      *out = h;
      return 1;
    }
    DWORD err = GetLastError();
    ULONGLONG now = GetTickCount64();
    if ((err != ERROR_PIPE_BUSY && err != ERROR_FILE_NOT_FOUND) || now >= end) {
      np_win32(e, err, "CreateFileW");
      if (now >= end) e->reason = NP_TIMEOUT;
      return 0;
    }
    if (err == ERROR_PIPE_BUSY) {
      DWORD left = (DWORD)(end - now);
      WaitNamedPipeW(name, left > 0 ? left : 1);
    } else {
      Sleep(10);
    }
  }
}

static HANDLE event_of(HANDLE* ev) {
  if (*ev == NULL) *ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  return *ev;
}

void np_pipe_close(np_pipe* p) {
  if (p->h != NULL && p->h != INVALID_HANDLE_VALUE) CloseHandle(p->h);
  if (p->rev) CloseHandle(p->rev);
  if (p->wev) CloseHandle(p->wev);
  p->h = INVALID_HANDLE_VALUE;
  p->rev = p->wev = NULL;
}

/* Completes an overlapped call: at once when it finished synchronously, else with a wait. */
static int complete(HANDLE h, OVERLAPPED* ov, BOOL started, DWORD wait_ms, DWORD* n, DWORD* err,
                    int* timed_out) {
  *timed_out = 0;
  if (started || *err == ERROR_MORE_DATA) {
    if (GetOverlappedResult(h, ov, n, FALSE)) return 1;
    *err = GetLastError();
    return 0;
  }
  if (*err != ERROR_IO_PENDING) return 0;
  return finish(h, ov, wait_ms, NULL, n, err, timed_out);
}

int np_pipe_read_for(np_pipe* p, np_buf* b, DWORD wait_ms, int* timed_out, np_err* e) {
  OVERLAPPED ov = {0};
  ov.hEvent = event_of(&p->rev);
  b->len = 0;
  *timed_out = 0;
  if (!np_buf_reserve(b, b->cap > 4096 ? b->cap : 4096))
    return np_win32(e, ERROR_OUTOFMEMORY, "ReadFile");
  for (;;) {
    DWORD n = 0, err = 0;
    if (b->len == b->cap && !np_buf_reserve(b, b->cap * 2))
      return np_win32(e, ERROR_OUTOFMEMORY, "ReadFile");
    /* A byte-mode reader that does other work between reads sees queued messages merge. */
    if (np_fault(F_READ_MODE_BYTE)) Sleep(20);
    BOOL r = ReadFile(p->h, b->data + b->len, (DWORD)(b->cap - b->len), NULL, &ov);
    err = r ? 0 : GetLastError();
    if (complete(p->h, &ov, r, wait_ms, &n, &err, timed_out)) {
      b->len += n;
      return 1;
    }
    if (err != ERROR_MORE_DATA) {
      np_win32(e, err, "ReadFile");
      if (*timed_out) e->reason = NP_TIMEOUT;
      return 0;
    }
    b->len += n;
  }
}

int np_pipe_read(np_pipe* p, np_buf* b, np_err* e) {
  int timed_out = 0;
  return np_pipe_read_for(p, b, p->read_ms, &timed_out, e);
}

int np_pipe_write(np_pipe* p, const void* data, size_t len, np_err* e) {
  OVERLAPPED ov = {0};
  DWORD n = 0, err = 0;
  int timed_out = 0;
  ov.hEvent = event_of(&p->wev);
  BOOL r = WriteFile(p->h, data, (DWORD)len, NULL, &ov);
  err = r ? 0 : GetLastError();
  int ok = complete(p->h, &ov, r, p->write_ms, &n, &err, &timed_out);
  if (ok && n == len) return 1;
  if (ok) return np_win32(e, ERROR_WRITE_FAULT, "WriteFile (short write)");
  np_win32(e, err, "WriteFile");
  if (timed_out) e->reason = NP_TIMEOUT;
  return 0;
}
