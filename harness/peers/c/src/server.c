/* The server role: a listening instance always ahead of the sessions, a thread per session. */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fault.h"
#include "options.h"
#include "pipe.h"
#include "session.h"

#define NP_MAX_PIPE_BUFFER (16u * 1024u * 1024u)

/* --serve-forever: stdin EOF or a line starting with "quit" asks the server to stop. */
static DWORD WINAPI watch_stdin(LPVOID quit) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  char line[8];
  size_t n = 0;
  for (;;) {
    char c;
    DWORD got = 0;
    if (!ReadFile(in, &c, 1, &got, NULL) || got == 0) break;
    if (c == '\n') {
      if (n >= 4 && memcmp(line, "quit", 4) == 0) break;
      n = 0;
    } else if (n < sizeof line) {
      line[n++] = c;
    }
  }
  SetEvent((HANDLE)quit);
  return 0;
}

static void emit_ready(const np_options* o) {
  if (o->minimal) {
    np_print_line("READY");
    return;
  }
  np_json j;
  np_json_begin(&j, "ready");
  np_json_str(&j, "pipe_name", o->pipe_name);
  np_json_str(&j, "run_dir", o->run_dir);
  np_json_str(&j, "service", o->service);
  np_json_emit(&j);
}

static void emit_failure(uint32_t conn, const np_err* e) {
  np_json j;
  np_json_begin(&j, "close");
  np_json_str(&j, "role", "server");
  np_json_u64(&j, "connection", conn);
  np_json_u64(&j, "session_id", 0);
  np_json_u64(&j, "echoed", 0);
  np_json_bool(&j, "mid_message", 0);
  np_json_err(&j, e);
  np_json_emit(&j);
}

/* Sessions live in their own allocations: the list may grow while threads run. */
static np_session* new_session(HANDLE h, uint32_t connection, const np_options* o) {
  np_session* s = calloc(1, sizeof *s);
  s->h = h;
  s->connection = connection;
  s->o = o;
  return s;
}

int np_run_server(const np_options* o) {
  wchar_t* name = np_wide(o->pipe_name);
  DWORD bufsize = o->cfg.packet_size < NP_MAX_PIPE_BUFFER ? o->cfg.packet_size : NP_MAX_PIPE_BUFFER;
  HANDLE quit = CreateEventW(NULL, TRUE, FALSE, NULL);
  int code = 0;
  np_err e;
  memset(&e, 0, sizeof e);
  if (o->serve_forever) CloseHandle(CreateThread(NULL, 0, watch_stdin, quit, 0, NULL));

  size_t cap = o->serve_forever ? 16 : o->sessions;
  np_session** sessions = calloc(cap ? cap : 1, sizeof *sessions);
  HANDLE* threads = calloc(cap ? cap : 1, sizeof *threads);
  uint32_t count = 0;
  HANDLE listening = np_pipe_create(name, bufsize, &e);
  if (listening == INVALID_HANDLE_VALUE) {
    emit_failure(1, &e);
    code = np_exit_for(e.reason, 0);
  } else {
    emit_ready(o);
  }
  while (listening != INVALID_HANDLE_VALUE && (o->serve_forever || count < o->sessions)) {
    DWORD wait = o->serve_forever ? INFINITE : o->deadline_ms;
    if (!np_pipe_accept(listening, wait, quit, &e)) {
      CloseHandle(listening);
      listening = INVALID_HANDLE_VALUE;
      if (e.reason != NP_CLOSED) {
        emit_failure(count + 1, &e);
        code = np_exit_for(e.reason, 0);
      }
      break;
    }
    if (count == cap) {
      cap *= 2;
      sessions = realloc(sessions, cap * sizeof *sessions);
      threads = realloc(threads, cap * sizeof *threads);
    }
    HANDLE accepted = listening;
    int more = o->serve_forever || count + 1 < o->sessions;
    listening = INVALID_HANDLE_VALUE;
    if (np_fault(F_ONE_CLIENT_AT_A_TIME)) {
      if (more) listening = np_pipe_create(name, bufsize, &e);
      threads[count] = NULL;
      sessions[count] = new_session(accepted, count + 1, o);
      np_session_main(sessions[count]);
    } else if (np_fault(F_NO_NEW_INSTANCE_UNTIL_SESSION_ENDS)) {
      sessions[count] = new_session(accepted, count + 1, o);
      threads[count] = CreateThread(NULL, 0, np_session_main, sessions[count], 0, NULL);
      WaitForSingleObject(threads[count], INFINITE);
      if (more) listening = np_pipe_create(name, bufsize, &e);
    } else {
      /* The next instance exists before this session's first read. */
      if (more) listening = np_pipe_create(name, bufsize, &e);
      sessions[count] = new_session(accepted, count + 1, o);
      threads[count] = CreateThread(NULL, 0, np_session_main, sessions[count], 0, NULL);
    }
    count++;
    if (more && listening == INVALID_HANDLE_VALUE) {
      emit_failure(count + 1, &e);
      code = np_exit_for(e.reason, 0);
    }
  }
  uint32_t clean = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (threads[i]) {
      WaitForSingleObject(threads[i], INFINITE);
      CloseHandle(threads[i]);
    }
    if (sessions[i]->exit_code == 0) clean++;
    if (sessions[i]->exit_code > code) code = sessions[i]->exit_code;
    free(sessions[i]);
  }
  np_json j;
  np_json_begin(&j, "stats");
  np_json_str(&j, "role", "server");
  np_json_u64(&j, "sessions", count);
  np_json_u64(&j, "clean_sessions", clean);
  np_json_emit(&j);
  free(sessions);
  free(threads);
  free(name);
  return code;
}
