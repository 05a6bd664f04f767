/* Win32 named pipe I/O: message-mode instances, overlapped reads and writes with deadlines. */
#ifndef NP_PIPE_H
#define NP_PIPE_H

#include "common.h"

typedef struct {
  HANDLE h;
  DWORD read_ms, write_ms; /* the deadline of each read and write */
  HANDLE rev, wev;         /* one event per direction (reads and writes may run on two threads) */
} np_pipe;

/* A growable buffer holding one pipe message. */
typedef struct {
  uint8_t* data;
  size_t len, cap;
} np_buf;

int np_buf_reserve(np_buf* b, size_t cap);
void np_buf_free(np_buf* b);

/* Converts a UTF-8 name to UTF-16 (caller frees). */
wchar_t* np_wide(const char* utf8);

/* Server: a new message-mode instance; INVALID_HANDLE_VALUE on failure. */
HANDLE np_pipe_create(const wchar_t* name, DWORD buffer_size, np_err* e);
/* Server: waits for a client on `h` (deadline, or until `quit` is signalled). */
int np_pipe_accept(HANDLE h, DWORD deadline_ms, HANDLE quit, np_err* e);
/* Client: opens the pipe, retrying while busy or absent until the deadline; sets message mode. */
int np_pipe_open(const wchar_t* name, DWORD deadline_ms, HANDLE* out, np_err* e);

/* Closes the handle and the pipe's events. */
void np_pipe_close(np_pipe* p);

/* Reads one whole message into `b` (ERROR_MORE_DATA grows the buffer). Returns 1 or 0. */
int np_pipe_read(np_pipe* p, np_buf* b, np_err* e);
/* Like np_pipe_read with an explicit wait; sets *timed_out instead of failing on a timeout. */
int np_pipe_read_for(np_pipe* p, np_buf* b, DWORD wait_ms, int* timed_out, np_err* e);
/* Writes one message (one WriteFile). Returns 1 or 0. */
int np_pipe_write(np_pipe* p, const void* data, size_t len, np_err* e);

#endif
