/* netipc-c-peer: argument parsing (docs/peer-cli.md), then the server or client role. */
/* clang-format off: shellapi.h needs windows.h first */
// clang-format off
#include <windows.h>
#include <shellapi.h>
// clang-format on
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fault.h"
#include "names.h"
#include "options.h"

#define PROG "netipc-c-peer"

static int finish(int code) {
  np_emit_exit(code);
  return code;
}

/* The UTF-8 argument vector (argv under Wine/Windows is in the ANSI code page). */
static char** utf8_argv(int* argc) {
  wchar_t** w = CommandLineToArgvW(GetCommandLineW(), argc);
  char** a = calloc((size_t)*argc + 1, sizeof *a);
  for (int i = 0; i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    a[i] = malloc((size_t)n);
    WideCharToMultiByte(CP_UTF8, 0, w[i], -1, a[i], n, NULL, NULL);
  }
  LocalFree(w);
  return a;
}

static int parse_u64(const char* s, unsigned long long max, unsigned long long* out) {
  char* end = NULL;
  if (s[0] < '0' || s[0] > '9') return 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || v > max) return 0;
  *out = v;
  return 1;
}

typedef struct {
  const char* name;
  int role; /* 0 both, 1 server, 2 client */
  int kind; /* 0 u32, 1 u64, 2 string, 3 switch */
  size_t offset;
} flag;

#define OFF(field) offsetof(np_options, field)
static const flag kFlags[] = {
    {"--run-dir", 0, 2, OFF(run_dir)},
    {"--service", 0, 2, OFF(service)},
    {"--auth-token", 0, 1, OFF(cfg.auth_token)},
    {"--supported-profiles", 0, 0, OFF(cfg.supported)},
    {"--preferred-profiles", 0, 0, OFF(cfg.preferred)},
    {"--max-request-payload", 0, 0, OFF(cfg.max_req_payload)},
    {"--max-request-batch", 0, 0, OFF(cfg.max_req_batch)},
    {"--max-response-payload", 0, 0, OFF(cfg.max_resp_payload)},
    {"--max-response-batch", 0, 0, OFF(cfg.max_resp_batch)},
    {"--packet-size", 0, 0, OFF(cfg.packet_size)},
    {"--deadline-ms", 0, 0, OFF(deadline_ms)},
    {"--sessions", 1, 0, OFF(sessions)},
    {"--serve-forever", 1, 3, OFF(serve_forever)},
    {"--shm-prepare", 1, 0, OFF(shm_prepare)},
    {"--payload-size", 2, 0, OFF(payload_size)},
    {"--messages", 2, 0, OFF(messages)},
    {"--pipeline", 2, 0, OFF(pipeline)},
    {"--batch", 2, 0, OFF(batch)},
    {"--echo-events", 2, 2, 0},
};

static void defaults(np_options* o) {
  memset(o, 0, sizeof *o);
  o->cfg = (np_config){0, 1, 1, 1024, 1, 1024, 1, 65536};
  o->sessions = 1;
  o->shm_prepare = 1;
  o->deadline_ms = 30000;
  o->payload_size = 64;
  o->messages = 1;
  o->pipeline = 1;
  o->echo_all = 1;
}

/* Applies one `--flag=value`; returns 0 ok, 2 bad value, 127 unknown. */
static int apply(np_options* o, int role, const char* arg) {
  const char* eq = strchr(arg, '=');
  size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
  for (size_t i = 0; i < sizeof kFlags / sizeof kFlags[0]; i++) {
    const flag* f = &kFlags[i];
    if (strlen(f->name) != klen || strncmp(f->name, arg, klen) != 0) continue;
    if (f->role != 0 && f->role != role) break;
    char* field = (char*)o + f->offset;
    unsigned long long v = 0;
    if (f->kind == 3) {
      if (eq) return 2;
      *(int*)field = 1;
      return 0;
    }
    if (!eq) return 2;
    if (strcmp(f->name, "--echo-events") == 0) {
      if (strcmp(eq + 1, "all") != 0 && strcmp(eq + 1, "failures") != 0) return 2;
      o->echo_all = strcmp(eq + 1, "all") == 0;
    } else if (f->kind == 2) {
      *(char**)field = (char*)(eq + 1);
    } else if (f->kind == 1) {
      if (!parse_u64(eq + 1, ~0ULL, &v)) return 2;
      *(uint64_t*)field = v;
    } else {
      if (!parse_u64(eq + 1, 0xffffffffULL, &v)) return 2;
      *(uint32_t*)field = (uint32_t)v;
    }
    return 0;
  }
  return 127;
}

/* The run_dir_msys_converted fault: what MSYS does to a POSIX-looking argument on its way to a
 * native program when MSYS2_ARG_CONV_EXCL is unset (/c/dir -> C:/dir, slashes kept). */
static void msys_convert_drive_path(char* path) {
  char d = path[0] == '/' ? path[1] : '\0';
  if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))) return;
  if (path[2] != '/' && path[2] != '\0') return;
  path[0] = (char)toupper((unsigned char)d);
  path[1] = ':';
}

int main(void) {
  int argc = 0;
  char** argv = utf8_argv(&argc);
  np_options o;
  np_events_init();
  defaults(&o);
  if (np_fault_init() != 0) return finish(2);
  if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
    fprintf(stderr,
            "usage: " PROG " server|client RUN_DIR SERVICE | --run-dir=DIR --service=NAME ...\n");
    return finish(argc < 2 ? 2 : 127);
  }
  int role = strcmp(argv[1], "server") == 0 ? 1 : 2;
  if (argc >= 3 && strncmp(argv[2], "--", 2) != 0) {
    if (argc != 4) {
      fprintf(stderr, PROG ": the positional form takes exactly RUN_DIR and SERVICE\n");
      return finish(2);
    }
    o.minimal = 1;
    o.run_dir = argv[2];
    o.service = argv[3];
  } else {
    for (int i = 2; i < argc; i++) {
      int r = apply(&o, role, argv[i]);
      if (r == 127) fprintf(stderr, PROG ": unknown option: %s\n", argv[i]);
      if (r == 2) fprintf(stderr, PROG ": bad value in %s\n", argv[i]);
      if (r) return finish(r);
    }
    if (o.run_dir == NULL || o.service == NULL) {
      fprintf(stderr, PROG ": --run-dir and --service are required\n");
      return finish(2);
    }
    if (o.pipeline == 0 || o.messages == 0 || o.cfg.max_req_batch == 0 || o.sessions == 0 ||
        o.pipeline > 0x7fffffff) {
      fprintf(stderr, PROG ": --pipeline, --messages, --sessions and batch limits must be > 0\n");
      return finish(2);
    }
  }
  if (np_fault(F_RUN_DIR_MSYS_CONVERTED)) msys_convert_drive_path(o.run_dir);
  char why[200];
  const char* rule = np_check_service(o.service, why, sizeof why);
  if (rule == NULL) rule = np_pipe_name(o.run_dir, o.service, o.pipe_name, sizeof o.pipe_name);
  if (rule != NULL) {
    if (strcmp(rule, "pipe_name_too_long") == 0)
      snprintf(why, sizeof why, "pipe name: expected at most 256 characters");
    fprintf(stderr, PROG ": invalid service name '%s': %s: %s\n", o.service, rule, why);
    return finish(2);
  }
  return finish(role == 1 ? np_run_server(&o) : np_run_client(&o));
}
