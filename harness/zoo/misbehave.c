/* The misbehaviour zoo: a Windows program that misbehaves on purpose, one
 * way per MODE, so that harness/tests/test_zoo.py can check the verdict,
 * message, time and memory the harness gives each (the harness-side twin of
 * the C peer's fault zoo).
 *
 *   netipc-misbehave MODE ROLE RUN_DIR SERVICE     (a minimal-tier peer)
 *   netipc-misbehave MODE ROLE --run-dir=D --service=S [flags]   (full tier)
 *
 * Every mode ends by itself within ten minutes at most: the harness is
 * expected to end it much sooner. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#define FLOOD_BYTES (50u * 1024u * 1024u)
#define LONG_SLEEP_MS 600000u

static char run_dir[1024];
static char service[512];

static void find_names(int argc, char** argv) {
  int positional = 0;
  for (int i = 3; i < argc; ++i) {
    if (strncmp(argv[i], "--run-dir=", 10) == 0) {
      snprintf(run_dir, sizeof run_dir, "%s", argv[i] + 10);
    } else if (strncmp(argv[i], "--service=", 10) == 0) {
      snprintf(service, sizeof service, "%s", argv[i] + 10);
    } else if (strncmp(argv[i], "--", 2) != 0) {
      if (positional == 0) snprintf(run_dir, sizeof run_dir, "%s", argv[i]);
      if (positional == 1) snprintf(service, sizeof service, "%s", argv[i]);
      ++positional;
    }
  }
}

/* \\.\pipe\netipc-{fnv1a64(run_dir):016x}-{service} (NP-2, NP-3) */
static void pipe_name(char* out, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char* p = (const unsigned char*)run_dir; *p; ++p) {
    h ^= *p;
    h *= 0x100000001b3ull;
  }
  snprintf(out, size, "\\\\.\\pipe\\netipc-%016llx-%s", (unsigned long long)h, service);
}

static void say(const char* line) {
  fputs(line, stdout);
  fputs("\n", stdout);
  fflush(stdout);
}

static void write_all(HANDLE h, const char* data, DWORD size) {
  DWORD done = 0;
  while (size > 0 && WriteFile(h, data, size, &done, NULL) && done > 0) {
    data += done;
    size -= done;
  }
}

/* bytes of stdout or stderr: random binary first, then one endless line. */
static int flood(DWORD which) {
  static char chunk[65536];
  HANDLE h = GetStdHandle(which);
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof chunk; ++i) {
    x = x * 1103515245u + 12345u;
    chunk[i] = (char)(x >> 16);
  }
  for (unsigned sent = 0; sent < FLOOD_BYTES; sent += sizeof chunk) {
    write_all(h, chunk, sizeof chunk);
    if (sent == 1024u * 1024u) memset(chunk, 'x', sizeof chunk); /* no newline from here */
  }
  return 1;
}

static HANDLE make_pipe(DWORD out_buffer) {
  char name[1600];
  pipe_name(name, sizeof name);
  return CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                          PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, out_buffer,
                          65536, 0, NULL);
}

/* A server that answers the HELLO with reply (size bytes, one message). */
static int answer_hello_with(const char* reply, DWORD size) {
  HANDLE pipe = make_pipe(65536);
  if (pipe == INVALID_HANDLE_VALUE) return 7;
  say("READY");
  if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) return 7;
  static char hello[65536];
  DWORD got = 0;
  ReadFile(pipe, hello, sizeof hello, &got, NULL);
  write_all(pipe, reply, size);
  Sleep(30000);
  return 0;
}

static int garbage_ack(void) {
  DWORD size = 1024u * 1024u;
  char* garbage = malloc(size);
  if (!garbage) return 7;
  for (DWORD i = 0; i < size; ++i) garbage[i] = (char)(i * 7 + 3);
  return answer_hello_with(garbage, size);
}

static int huge_payload_len(void) {
  unsigned char header[32] = {0};
  uint32_t magic = 0x4E495043, payload_len = 0xFFFFFFFFu;
  memcpy(header, &magic, 4);
  header[4] = 1;  /* version */
  header[6] = 32; /* header_len */
  header[8] = 3;  /* kind: control */
  header[12] = 2; /* code: HELLO_ACK */
  memcpy(header + 16, &payload_len, 4);
  header[20] = 1; /* item_count */
  return answer_hello_with((const char*)header, sizeof header);
}

static int pipe_loop(void) {
  say("READY");
  for (DWORD start = GetTickCount(); GetTickCount() - start < 60000;) {
    HANDLE pipe = make_pipe(65536);
    Sleep(1);
    if (pipe != INVALID_HANDLE_VALUE) CloseHandle(pipe);
  }
  return 0;
}

/* NP-4, as a good peer refuses it: empty, a character outside
 * [A-Za-z0-9-_.], or too long for a pipe name. */
static int service_is_valid(void) {
  size_t n = strlen(service);
  if (n == 0 || n > 200) return 0;
  for (size_t i = 0; i < n; ++i) {
    char c = service[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.';
    if (!ok) return 0;
  }
  return 1;
}

/* A client that refuses bad names, connects, then never sends its HELLO. */
static int hang_after_connect(void) {
  if (!service_is_valid()) return 2;
  char name[1600];
  pipe_name(name, sizeof name);
  for (DWORD start = GetTickCount(); GetTickCount() - start < 30000; Sleep(20)) {
    HANDLE pipe = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (pipe != INVALID_HANDLE_VALUE) break;
  }
  Sleep(LONG_SLEEP_MS);
  return 0;
}

/* A child that inherits stdout and stderr and outlives this process. */
static int orphan_stdout(void) {
  char self[MAX_PATH];
  GetModuleFileNameA(NULL, self, sizeof self);
  char command[MAX_PATH + 32];
  snprintf(command, sizeof command, "\"%s\" sleep child", self);
  STARTUPINFOA si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION pi;
  if (!CreateProcessA(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) return 7;
  return 1;
}

/* A full-tier server that answers the made-up option with 127 and ready, then
 * never looks at stdin: --serve-forever must end at stdin's end. */
static int ignore_eof(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--netipc-made-up-option", 23) == 0) {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      say("{\"event\": \"exit\", \"code\": 127}");
      return 127;
    }
  }
  char name[1600], line[3400];
  pipe_name(name, sizeof name);
  HANDLE pipe = make_pipe(65536);
  char escaped[3200];
  size_t n = 0;
  for (const char* p = name; *p && n + 2 < sizeof escaped; ++p) {
    if (*p == '\\') escaped[n++] = '\\';
    escaped[n++] = *p;
  }
  escaped[n] = 0;
  snprintf(line, sizeof line, "{\"event\": \"ready\", \"pipe_name\": \"%s\"}", escaped);
  say(line);
  Sleep(LONG_SLEEP_MS);
  CloseHandle(pipe);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: netipc-misbehave MODE ROLE RUN_DIR SERVICE\n");
    return 2;
  }
  const char* mode = argv[1];
  find_names(argc, argv);
  if (strcmp(mode, "sleep") == 0 || strcmp(mode, "never-ready") == 0) {
    Sleep(LONG_SLEEP_MS);
    return 0;
  }
  if (strcmp(mode, "ready-no-pipe") == 0) {
    say("READY");
    Sleep(LONG_SLEEP_MS);
    return 0;
  }
  if (strcmp(mode, "exit0") == 0) return 0;
  if (strcmp(mode, "exit3") == 0) return 3;
  if (strcmp(mode, "crash") == 0) {
    volatile int* nowhere = NULL;
    *nowhere = 1;
    return 0;
  }
  if (strcmp(mode, "flood-stdout") == 0) return flood(STD_OUTPUT_HANDLE);
  if (strcmp(mode, "flood-stderr") == 0) return flood(STD_ERROR_HANDLE);
  if (strcmp(mode, "garbage-ack") == 0) return garbage_ack();
  if (strcmp(mode, "huge-payload-len") == 0) return huge_payload_len();
  if (strcmp(mode, "pipe-loop") == 0) return pipe_loop();
  if (strcmp(mode, "hang-after-connect") == 0) return hang_after_connect();
  if (strcmp(mode, "orphan-stdout") == 0) return orphan_stdout();
  if (strcmp(mode, "ignore-eof") == 0) return ignore_eof(argc, argv);
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
