/* netipc_kit.c: the peer CLI of docs/peer-cli.md over an nk_adapter (see netipc_kit.h). */
#include "netipc_kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef NK_PORTABLE_ONLY
/* after windows.h (netipc_kit.h) */
#include <fcntl.h>
#include <io.h>
#include <shellapi.h>
#else
/* The Win32 codes the events name, for the portable half alone (the kit's native unit test). */
enum {
  ERROR_FILE_NOT_FOUND = 2,
  ERROR_ACCESS_DENIED = 5,
  ERROR_OUTOFMEMORY = 14,
  ERROR_WRITE_FAULT = 29,
  ERROR_INVALID_PARAMETER = 87,
  ERROR_BROKEN_PIPE = 109,
  ERROR_SEM_TIMEOUT = 121,
  ERROR_PIPE_BUSY = 231,
  ERROR_NO_DATA = 232,
  ERROR_PIPE_NOT_CONNECTED = 233,
  ERROR_MORE_DATA = 234,
  WAIT_TIMEOUT = 258,
  ERROR_PIPE_CONNECTED = 535,
  ERROR_OPERATION_ABORTED = 995,
  ERROR_TIMEOUT = 1460
};
#endif

/* Exit codes (docs/peer-cli.md). */
enum { EXIT_ARGS = 2, EXIT_REJECTED, EXIT_DISCONNECTED, EXIT_PROTOCOL, EXIT_TIMEOUT, EXIT_WIN32 };
#define EXIT_UNKNOWN_OPTION 127

/* ---- names for the events (presentation only; the library decides what they mean) ---- */

static const char* const kRuleClauses[][2] = {
    {"service_name_empty", "NP-4"},
    {"service_name_bad_char", "NP-4"},
    {"pipe_name_too_long", "NP-2"},
    {"message_truncated", "WE-1"},
    {"bad_magic", "WE-1"},
    {"bad_version", "WE-1"},
    {"bad_header_len", "WE-1"},
    {"bad_kind", "WE-1"},
    {"bad_flags", "WE-1"},
    {"bad_item_count", "WE-1"},
    {"message_length_mismatch", "WE-1"},
    {"payload_over_limit", "WE-1"},
    {"item_count_over_limit", "WE-1"},
    {"packet_over_size", "NP-14"},
    {"batch_directory_out_of_bounds", "WE-2"},
    {"batch_item_misaligned", "WE-2"},
    {"batch_item_out_of_bounds", "WE-2"},
    {"bad_chunk_magic", "WE-3"},
    {"bad_chunk_version", "WE-3"},
    {"bad_chunk_flags", "WE-3"},
    {"chunk_message_id_mismatch", "WE-3"},
    {"chunk_index_out_of_order", "WE-3"},
    {"chunk_count_mismatch", "WE-3"},
    {"chunk_total_len_mismatch", "WE-3"},
    {"chunk_payload_len_mismatch", "WE-3"},
    {"chunk_payload_empty", "WE-3"},
    {"chunk_payload_over_budget", "WE-3"},
    {"chunk_payload_over_remaining", "WE-3"},
    {"continuation_without_first", "WE-3"},
    {"chunk_interleaved", "NP-14"},
    {"first_chunk_short", "WE-4"},
    {"control_wrong_kind", "NP-8"},
    {"control_wrong_code", "NP-8"},
    {"hello_bad_payload_len", "WE-5"},
    {"hello_ack_bad_payload_len", "WE-6"},
    {"hello_bad_layout_version", "WE-7"},
    {"hello_nonzero_flags", "WE-7"},
    {"hello_nonzero_padding", "WE-7"},
    {"auth_token_mismatch", "WE-7"},
    {"no_common_profile", "WE-7"},
    {"request_payload_over_server_limit", "WE-7"},
    {"packet_size_too_small", "NP-12"},
    {"ack_rejected", "WE-7"},
    {"ack_bad_layout_version", "WE-6"},
    {"ack_nonzero_flags", "WE-6"},
    {"ack_nonzero_padding", "WE-6"},
    {"ack_batch_items_differ", "WE-6"},
    {"ack_intersection_wrong", "WE-7"},
    {"ack_profile_not_offered", "WE-7"},
    {"ack_packet_size_too_small", "NP-12"},
    {"ack_packet_size_over_proposal", "NP-12"},
    {"ack_request_payload_over_proposal", "WE-7"},
    {"ack_session_id_zero", "WE-8"},
    {"unknown_message_id", "WE-10"},
};

static const char* rule_clause(const char* rule) {
  for (size_t i = 0; rule && i < sizeof kRuleClauses / sizeof kRuleClauses[0]; i++) {
    if (strcmp(kRuleClauses[i][0], rule) == 0) return kRuleClauses[i][1];
  }
  return "";
}

static const char* win32_name(uint32_t code) {
  static const struct {
    uint32_t code;
    const char* name;
  } kNames[] = {
      {ERROR_FILE_NOT_FOUND, "ERROR_FILE_NOT_FOUND"},
      {ERROR_ACCESS_DENIED, "ERROR_ACCESS_DENIED"},
      {ERROR_BROKEN_PIPE, "ERROR_BROKEN_PIPE"},
      {ERROR_SEM_TIMEOUT, "ERROR_SEM_TIMEOUT"},
      {ERROR_PIPE_BUSY, "ERROR_PIPE_BUSY"},
      {ERROR_NO_DATA, "ERROR_NO_DATA"},
      {ERROR_PIPE_NOT_CONNECTED, "ERROR_PIPE_NOT_CONNECTED"},
      {ERROR_MORE_DATA, "ERROR_MORE_DATA"},
      {ERROR_OPERATION_ABORTED, "ERROR_OPERATION_ABORTED"},
      {ERROR_PIPE_CONNECTED, "ERROR_PIPE_CONNECTED"},
      {ERROR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER"},
      {ERROR_TIMEOUT, "ERROR_TIMEOUT"},
      {WAIT_TIMEOUT, "WAIT_TIMEOUT"},
      {ERROR_OUTOFMEMORY, "ERROR_OUTOFMEMORY"},
      {ERROR_WRITE_FAULT, "ERROR_WRITE_FAULT"},
  };
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++) {
    if (kNames[i].code == code) return kNames[i].name;
  }
  return "ERROR_OTHER";
}

static const char* reason_name(int reason) {
  static const char* const kNames[] = {"ok",       "closed",  "disconnected", "protocol",
                                       "rejected", "timeout", "win32_error",  "bad_argument"};
  return reason >= 0 && reason <= NK_BAD_ARGUMENT ? kNames[reason] : "win32_error";
}

static const char* status_name(unsigned status) {
  static const char* const kNames[] = {
      "OK",          "BAD_ENVELOPE",   "AUTH_FAILED",   "INCOMPATIBLE",
      "UNSUPPORTED", "LIMIT_EXCEEDED", "INTERNAL_ERROR"};
  return status < 7 ? kNames[status] : "UNKNOWN";
}

static int exit_for(int reason, int mid_message) {
  switch (reason) {
    case NK_OK:
    case NK_CLOSED:
      return 0;
    case NK_DISCONNECTED:
      return mid_message ? EXIT_DISCONNECTED : 0;
    case NK_PROTOCOL:
      return EXIT_PROTOCOL;
    case NK_REJECTED:
      return EXIT_REJECTED;
    case NK_TIMEOUT:
      return EXIT_TIMEOUT;
    case NK_BAD_ARGUMENT:
      return EXIT_ARGS;
    default:
      return EXIT_WIN32;
  }
}

/* ---- errors ---- */

static int vfail(nk_error* e, int reason, const char* rule, const char* fmt, va_list ap) {
  e->reason = reason;
  e->rule = rule;
  e->has_win32 = 0;
  e->win32_code = 0;
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  return 0;
}

int nk_fail(nk_error* e, int reason, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(e, reason, NULL, fmt, ap);
  va_end(ap);
  return 0;
}

int nk_fail_rule(nk_error* e, int reason, const char* rule, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(e, reason, rule, fmt, ap);
  va_end(ap);
  return 0;
}

int nk_fail_win32(nk_error* e, int reason, uint32_t code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(e, reason, NULL, fmt, ap);
  va_end(ap);
  e->has_win32 = 1;
  e->win32_code = code;
  return 0;
}

/* ---- JSON lines on stdout: binary mode, one flushed line each, serialized across threads ---- */

static void write_line(const char* line) {
#ifdef NK_TEST_OUTPUT
  NK_TEST_OUTPUT(line); /* the kit's unit test reads the lines instead */
#else
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
#endif
}

#ifndef NK_PORTABLE_ONLY
static CRITICAL_SECTION g_out;
static INIT_ONCE g_out_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK out_init(PINIT_ONCE once, PVOID param, PVOID* ctx) {
  (void)once, (void)param, (void)ctx;
  InitializeCriticalSection(&g_out);
  _setmode(_fileno(stdout), _O_BINARY);
  return TRUE;
}

static void print_line(const char* line) {
  InitOnceExecuteOnce(&g_out_once, out_init, NULL, NULL);
  EnterCriticalSection(&g_out);
  write_line(line);
  LeaveCriticalSection(&g_out);
}
#else
static void print_line(const char* line) { write_line(line); }
#endif

typedef struct {
  char buf[4096];
  size_t n;
  int first;
} json;

static void add(json* j, const char* fmt, ...) {
  va_list ap;
  if (j->n >= sizeof j->buf - 1) return;
  va_start(ap, fmt);
  int w = vsnprintf(j->buf + j->n, sizeof j->buf - j->n, fmt, ap);
  va_end(ap);
  if (w > 0) j->n += (size_t)w;
  if (j->n >= sizeof j->buf) j->n = sizeof j->buf - 1;
}

static void add_escaped(json* j, const char* s) {
  add(j, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      add(j, "\\%c", c);
    } else if (c < 0x20) {
      add(j, "\\u%04x", c);
    } else {
      add(j, "%c", c);
    }
  }
  add(j, "\"");
}

static void key(json* j, const char* k) {
  add(j, j->first ? "" : ",");
  j->first = 0;
  add_escaped(j, k);
  add(j, ":");
}

static void j_str(json* j, const char* k, const char* v) {
  key(j, k);
  add_escaped(j, v ? v : "");
}

static void j_u64(json* j, const char* k, uint64_t v) {
  key(j, k);
  add(j, "%llu", (unsigned long long)v);
}

static void j_bool(json* j, const char* k, int v) {
  key(j, k);
  add(j, v ? "true" : "false");
}

static void j_f64(json* j, const char* k, double v) {
  key(j, k);
  add(j, "%.9g", v);
}

static void j_begin(json* j, const char* event) {
  j->n = 0;
  j->first = 1;
  add(j, "{");
  j_str(j, "event", event);
}

static void j_emit(json* j) {
  add(j, "}");
  print_line(j->buf);
}

/* A nested object under `k`: its members follow, then j_end. */
static void j_object(json* j, const char* k) {
  key(j, k);
  add(j, "{");
  j->first = 1;
}

static void j_end(json* j) {
  add(j, "}");
  j->first = 0;
}

static void j_hello(json* j, const char* k, const nk_hello* h) {
  j_object(j, k);
  j_u64(j, "layout_version", h->layout_version);
  j_u64(j, "flags", h->flags);
  j_u64(j, "supported_profiles", h->supported_profiles);
  j_u64(j, "preferred_profiles", h->preferred_profiles);
  j_u64(j, "max_request_payload_bytes", h->max_request_payload_bytes);
  j_u64(j, "max_request_batch_items", h->max_request_batch_items);
  j_u64(j, "max_response_payload_bytes", h->max_response_payload_bytes);
  j_u64(j, "max_response_batch_items", h->max_response_batch_items);
  j_u64(j, "padding", h->padding);
  j_u64(j, "auth_token", h->auth_token);
  j_u64(j, "packet_size", h->packet_size);
  j_end(j);
}

/* The three NP-15 object names of a session. */
static void j_shm_names(json* j, const nk_shm* shm) {
  j_str(j, "mapping", shm->mapping);
  j_str(j, "req_event", shm->req_event);
  j_str(j, "resp_event", shm->resp_event);
}

static void j_ack(json* j, const nk_ack* a) {
  key(j, "ack");
  add(j,
      "{\"layout_version\":%u,\"flags\":%u,\"server_supported_profiles\":%u,"
      "\"intersection_profiles\":%u,\"selected_profile\":%u,"
      "\"agreed_max_request_payload_bytes\":%u,\"agreed_max_request_batch_items\":%u,"
      "\"agreed_max_response_payload_bytes\":%u,\"agreed_max_response_batch_items\":%u,"
      "\"agreed_packet_size\":%u,\"padding\":%u,\"session_id\":%llu}",
      a->layout_version, a->flags, (unsigned)a->server_supported_profiles,
      (unsigned)a->intersection_profiles, (unsigned)a->selected_profile,
      (unsigned)a->agreed_max_request_payload_bytes, (unsigned)a->agreed_max_request_batch_items,
      (unsigned)a->agreed_max_response_payload_bytes, (unsigned)a->agreed_max_response_batch_items,
      (unsigned)a->agreed_packet_size, (unsigned)a->padding, (unsigned long long)a->session_id);
}

/* reason, detail, rule, clause, win32_code and win32_name of a failure. */
static void j_err(json* j, const nk_error* e) {
  char detail[400];
  j_str(j, "reason", reason_name(e->reason));
  if (e->rule && strncmp(e->detail, e->rule, strlen(e->rule)) != 0) {
    snprintf(detail, sizeof detail, "%s: %s", e->rule, e->detail);
    j_str(j, "detail", detail);
  } else if (e->detail[0]) {
    j_str(j, "detail", e->detail);
  }
  if (e->rule) {
    j_str(j, "rule", e->rule);
    j_str(j, "clause", rule_clause(e->rule));
  }
  if (e->has_win32) {
    j_u64(j, "win32_code", e->win32_code);
    j_str(j, "win32_name", win32_name(e->win32_code));
  }
}

int nk_exit(int code) {
  json j;
  j_begin(&j, "exit");
  j_u64(&j, "code", (uint64_t)code);
  j_emit(&j);
  return code;
}

/* ---- the command line ---- */

typedef struct {
  const nk_adapter* a;
  int minimal; /* the positional form: READY / PASS lines */
  char* run_dir;
  char* service;
  nk_config cfg;
  uint32_t sessions;
  int serve_forever;
  uint32_t deadline_ms;
  uint32_t payload_size;
  uint32_t messages;
  uint32_t pipeline;
  uint32_t batch;
  int echo_all;
} options;

enum { ROLE_BOTH, ROLE_SERVER, ROLE_CLIENT };
enum { KIND_U32, KIND_U64, KIND_BIT, KIND_STRING, KIND_SWITCH, KIND_ECHO };

typedef struct {
  const char* name;
  int role;
  int kind;
  size_t offset;
} flag;

#define OFF(field) offsetof(options, field)
static const flag kFlags[] = {
    {"--run-dir", ROLE_BOTH, KIND_STRING, OFF(run_dir)},
    {"--service", ROLE_BOTH, KIND_STRING, OFF(service)},
    {"--auth-token", ROLE_BOTH, KIND_U64, OFF(cfg.auth_token)},
    {"--supported-profiles", ROLE_BOTH, KIND_U32, OFF(cfg.supported_profiles)},
    {"--preferred-profiles", ROLE_BOTH, KIND_U32, OFF(cfg.preferred_profiles)},
    {"--max-request-payload", ROLE_BOTH, KIND_U32, OFF(cfg.max_request_payload_bytes)},
    {"--max-request-batch", ROLE_BOTH, KIND_U32, OFF(cfg.max_request_batch_items)},
    {"--max-response-payload", ROLE_BOTH, KIND_U32, OFF(cfg.max_response_payload_bytes)},
    {"--max-response-batch", ROLE_BOTH, KIND_U32, OFF(cfg.max_response_batch_items)},
    {"--packet-size", ROLE_BOTH, KIND_U32, OFF(cfg.packet_size)},
    {"--deadline-ms", ROLE_BOTH, KIND_U32, OFF(deadline_ms)},
    {"--sessions", ROLE_SERVER, KIND_U32, OFF(sessions)},
    {"--serve-forever", ROLE_SERVER, KIND_SWITCH, OFF(serve_forever)},
    {"--shm-prepare", ROLE_SERVER, KIND_BIT, OFF(cfg.shm_prepare)},
    {"--payload-size", ROLE_CLIENT, KIND_U32, OFF(payload_size)},
    {"--messages", ROLE_CLIENT, KIND_U32, OFF(messages)},
    {"--pipeline", ROLE_CLIENT, KIND_U32, OFF(pipeline)},
    {"--batch", ROLE_CLIENT, KIND_U32, OFF(batch)},
    {"--echo-events", ROLE_CLIENT, KIND_ECHO, OFF(echo_all)},
};

static void defaults(options* o) {
  o->cfg = (nk_config){0, 1, 1, 1024, 1, 1024, 1, 65536, 1};
  o->sessions = 1;
  o->deadline_ms = 30000;
  o->payload_size = 64;
  o->messages = 1;
  o->pipeline = 1;
  o->echo_all = 1;
}

static int parse_u64(const char* s, unsigned long long max, unsigned long long* out) {
  char* end = NULL;
  if (s[0] < '0' || s[0] > '9') return 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || v > max) return 0;
  *out = v;
  return 1;
}

/* Applies one `--flag=value`; returns 0 ok, 2 bad value, 127 unknown. */
static int apply(options* o, int role, const char* arg) {
  const char* eq = strchr(arg, '=');
  size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
  for (size_t i = 0; i < sizeof kFlags / sizeof kFlags[0]; i++) {
    const flag* f = &kFlags[i];
    if (strlen(f->name) != klen || strncmp(f->name, arg, klen) != 0) continue;
    if (f->role != ROLE_BOTH && f->role != role) break;
    char* field = (char*)o + f->offset;
    unsigned long long v = 0;
    if (f->kind == KIND_SWITCH) {
      if (eq) return 2;
      *(int*)field = 1;
      return 0;
    }
    if (!eq) return 2;
    if (f->kind == KIND_ECHO) {
      if (strcmp(eq + 1, "all") != 0 && strcmp(eq + 1, "failures") != 0) return 2;
      *(int*)field = strcmp(eq + 1, "all") == 0;
    } else if (f->kind == KIND_STRING) {
      *(char**)field = (char*)(eq + 1);
    } else if (f->kind == KIND_U64) {
      if (!parse_u64(eq + 1, ~0ULL, &v)) return 2;
      *(uint64_t*)field = v;
    } else if (f->kind == KIND_BIT) {
      if (!parse_u64(eq + 1, 1, &v)) return 2;
      *(int*)field = (int)v;
    } else {
      if (!parse_u64(eq + 1, 0xffffffffULL, &v)) return 2;
      *(uint32_t*)field = (uint32_t)v;
    }
    return 0;
  }
  return 127;
}

/* Parses argv into `o`; returns -1 to run, else the exit status. */
static int parse(options* o, int argc, char** argv, int* role) {
  const char* prog = o->a->program;
  if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
    fprintf(stderr, "usage: %s server|client RUN_DIR SERVICE | --run-dir=DIR --service=NAME ...\n",
            prog);
    return argc < 2 ? EXIT_ARGS : EXIT_UNKNOWN_OPTION;
  }
  *role = strcmp(argv[1], "server") == 0 ? ROLE_SERVER : ROLE_CLIENT;
  if (argc >= 3 && strncmp(argv[2], "--", 2) != 0) {
    if (argc != 4) {
      fprintf(stderr, "%s: the positional form takes exactly RUN_DIR and SERVICE\n", prog);
      return EXIT_ARGS;
    }
    o->minimal = 1;
    o->run_dir = argv[2];
    o->service = argv[3];
    return -1;
  }
  for (int i = 2; i < argc; i++) {
    int r = apply(o, *role, argv[i]);
    if (r == 127) fprintf(stderr, "%s: unknown option: %s\n", prog, argv[i]);
    if (r == 2) fprintf(stderr, "%s: bad value in %s\n", prog, argv[i]);
    if (r) return r;
  }
  if (o->run_dir == NULL || o->service == NULL) {
    fprintf(stderr, "%s: --run-dir and --service are required\n", prog);
    return EXIT_ARGS;
  }
  if (o->pipeline == 0 || o->messages == 0 || o->cfg.max_request_batch_items == 0 ||
      o->sessions == 0 || o->pipeline > 0x7fffffff) {
    fprintf(stderr, "%s: --pipeline, --messages, --sessions and batch limits must be > 0\n", prog);
    return EXIT_ARGS;
  }
  if (o->batch && o->a->batch_encode == NULL) {
    fprintf(stderr, "%s: unknown option: --batch (this library has no batch API)\n", prog);
    return EXIT_UNKNOWN_OPTION;
  }
  return -1;
}

/* listen/connect refused the service or the name: exit 2, before any pipe exists. */
static int bad_argument(const options* o, const nk_error* e) {
  fprintf(stderr, "%s: invalid service name '%s': %s: %s\n", o->a->program, o->service,
          e->rule ? e->rule : "invalid", e->detail);
  return EXIT_ARGS;
}

/* ---- the events (docs/peer-cli.md), each one line ---- */

static void emit_ready(const options* o, const char* pipe_name) {
  if (o->minimal) {
    print_line("READY");
    return;
  }
  json j;
  j_begin(&j, "ready");
  j_str(&j, "pipe_name", pipe_name);
  j_str(&j, "run_dir", o->run_dir);
  j_str(&j, "service", o->service);
  j_emit(&j);
}

static void emit_server_handshake(uint32_t conn, const nk_handshake* r) {
  json j;
  j_begin(&j, "handshake");
  j_str(&j, "role", "server");
  j_u64(&j, "connection", conn);
  j_str(&j, "status", status_name(r->status));
  j_bool(&j, "hello_malformed", r->hello_malformed);
  j_ack(&j, &r->ack);
  if (r->rule && r->status != NK_STATUS_OK) {
    j_str(&j, "rule", r->rule);
    j_str(&j, "clause", rule_clause(r->rule));
  }
  if (r->has_shm) {
    j_object(&j, "shm");
    j_shm_names(&j, &r->shm);
    j_bool(&j, "prepared", r->shm.prepared);
    j_end(&j);
  }
  j_emit(&j);
}

static void emit_server_close(uint32_t conn, uint64_t session_id, uint64_t echoed,
                              const nk_error* e) {
  json j;
  j_begin(&j, "close");
  j_str(&j, "role", "server");
  j_u64(&j, "connection", conn);
  j_u64(&j, "session_id", session_id);
  j_u64(&j, "echoed", echoed);
  j_bool(&j, "mid_message", e->mid_message);
  j_err(&j, e);
  j_emit(&j);
}

static void emit_echo(int echo_all, uint64_t id, uint32_t len, const char* detail) {
  if (detail == NULL && !echo_all) return;
  json j;
  j_begin(&j, "echo");
  j_u64(&j, "message_id", id);
  j_u64(&j, "payload_len", len);
  j_bool(&j, "ok", detail == NULL);
  if (detail) j_str(&j, "detail", detail);
  j_emit(&j);
}

/* The session_id of the last attempt the client accepted and left to reconnect: its close event
 * names it when the next attempt got no HELLO_ACK. */
static uint64_t g_left_session_id;

/* One client attempt: `handshake`, then `shm` and `reconnecting` when the library reported them. */
static void emit_attempt(const nk_handshake* r, const nk_error* e) {
  json j;
  if (r->answered) {
    j_begin(&j, "handshake");
    j_str(&j, "role", "client");
    j_str(&j, "status", status_name(r->status));
    j_bool(&j, "accepted", r->accepted);
    j_ack(&j, &r->ack);
    if (!r->accepted) {
      j_str(&j, "rule", r->rule ? r->rule : e->rule);
      j_str(&j, "detail", e->detail);
    }
    j_emit(&j);
  }
  if (r->has_shm) {
    j_begin(&j, "shm");
    j_u64(&j, "session_id", r->ack.session_id);
    j_shm_names(&j, &r->shm);
    j_bool(&j, "attached", r->shm.attached);
    if (r->shm.detail[0]) j_str(&j, "detail", r->shm.detail);
    j_emit(&j);
  }
  if (r->has_reconnect) {
    j_begin(&j, "reconnecting");
    j_hello(&j, "hello", &r->reconnect);
    j_emit(&j);
  }
}

void nk_next_attempt(nk_handshake* report) {
  nk_error none;
  memset(&none, 0, sizeof none);
  emit_attempt(report, &none);
  if (report->answered && report->accepted) g_left_session_id = report->ack.session_id;
  memset(report, 0, sizeof *report);
}

#ifndef NK_PORTABLE_ONLY
/* ---- the Win32 half: threads, the server's sessions, the client's pipelining ---- */

static double cpu_seconds(void) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  ULARGE_INTEGER k = {{kernel.dwLowDateTime, kernel.dwHighDateTime}};
  ULARGE_INTEGER u = {{user.dwLowDateTime, user.dwHighDateTime}};
  return (double)(k.QuadPart + u.QuadPart) / 1e7;
}

/* The UTF-8 argument vector (argv under Wine/Windows is in the ANSI code page). */
static char** utf8_argv(int* argc) {
  wchar_t** w = CommandLineToArgvW(GetCommandLineW(), argc);
  char** a = calloc((size_t)*argc + 1, sizeof *a);
  for (int i = 0; a && i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    a[i] = malloc((size_t)(n > 0 ? n : 1));
    a[i][0] = '\0';
    if (n > 0) WideCharToMultiByte(CP_UTF8, 0, w[i], -1, a[i], n, NULL, NULL);
  }
  LocalFree(w);
  return a;
}

/* ---- server: an accept loop, a thread per session ---- */

typedef struct {
  const options* o;
  void* session;
  uint32_t connection;
  int exit_code; /* filled when the session ends */
} session_run;

/* Echoes every request. A payload over the agreed response limit cannot be echoed: the answer is
 * LIMIT_EXCEEDED with no payload (docs/peer-cli.md). */
static uint64_t echo_loop(const nk_adapter* a, void* s, const options* o, const nk_ack* ack,
                          nk_error* e) {
  uint64_t echoed = 0;
  for (;;) {
    nk_message m;
    memset(&m, 0, sizeof m);
    if (!a->receive(s, o->deadline_ms, &m, e)) return echoed;
    m.kind = NK_KIND_RESPONSE;
    m.transport_status = NK_STATUS_OK;
    if (m.payload_len > ack->agreed_max_response_payload_bytes) {
      m.transport_status = NK_STATUS_LIMIT_EXCEEDED;
      m.payload_len = 0;
    }
    if (!a->send(s, &m, o->deadline_ms, e)) return echoed;
    echoed++;
  }
}

static DWORD WINAPI session_main(LPVOID arg) {
  session_run* run = arg;
  const nk_adapter* a = run->o->a;
  nk_handshake report;
  nk_error e;
  uint64_t echoed = 0, session_id = 0;
  memset(&report, 0, sizeof report);
  memset(&e, 0, sizeof e);
  int ok = a->server_handshake(run->session, run->o->deadline_ms, &report, &e);
  if (report.answered) emit_server_handshake(run->connection, &report);
  if (ok) {
    session_id = report.ack.session_id;
    echoed = echo_loop(a, run->session, run->o, &report.ack, &e);
  }
  a->close(run->session);
  emit_server_close(run->connection, session_id, echoed, &e);
  run->exit_code = exit_for(e.reason, e.mid_message);
  return 0;
}

/* --serve-forever: stdin EOF or a line starting with "quit" asks the server to stop. */
static DWORD WINAPI watch_stdin(LPVOID stop) {
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
  SetEvent((HANDLE)stop);
  return 0;
}

static int run_server(const options* o) {
  const nk_adapter* a = o->a;
  char pipe_name[512] = "";
  void* listener = NULL;
  nk_error e;
  memset(&e, 0, sizeof e);
  if (!a->listen(&o->cfg, o->run_dir, o->service, &listener, pipe_name, sizeof pipe_name, &e)) {
    if (e.reason == NK_BAD_ARGUMENT) return bad_argument(o, &e);
    emit_server_close(1, 0, 0, &e);
    return exit_for(e.reason, 0);
  }
  HANDLE stop = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (o->serve_forever) CloseHandle(CreateThread(NULL, 0, watch_stdin, stop, 0, NULL));
  emit_ready(o, pipe_name);

  size_t cap = o->serve_forever || o->sessions > 64 ? 64 : o->sessions; /* grows on demand */
  session_run** runs = calloc(cap, sizeof *runs);
  HANDLE* threads = calloc(cap, sizeof *threads);
  uint32_t count = 0;
  int code = 0;
  while (runs && threads && (o->serve_forever || count < o->sessions)) {
    void* session = NULL;
    if (!a->accept(listener, o->serve_forever ? NK_INFINITE : o->deadline_ms, stop, &session, &e)) {
      if (e.reason != NK_CLOSED) {
        emit_server_close(count + 1, 0, 0, &e);
        code = exit_for(e.reason, 0);
      }
      break;
    }
    if (count == cap) {
      cap *= 2;
      runs = realloc(runs, cap * sizeof *runs);
      threads = realloc(threads, cap * sizeof *threads);
      if (runs == NULL || threads == NULL) abort(); /* out of memory with sessions running */
    }
    /* Each run lives in its own allocation: the array may move while threads run. */
    session_run* run = calloc(1, sizeof *run);
    if (run == NULL) abort();
    *run = (session_run){o, session, count + 1, 0};
    runs[count] = run;
    threads[count] = CreateThread(NULL, 0, session_main, run, 0, NULL);
    count++;
  }
  uint32_t clean = 0;
  for (uint32_t i = 0; i < count; i++) {
    WaitForSingleObject(threads[i], INFINITE);
    CloseHandle(threads[i]);
    if (runs[i]->exit_code == 0) clean++;
    if (runs[i]->exit_code > code) code = runs[i]->exit_code;
    free(runs[i]);
  }
  /* The listener (and the spare instance the library keeps, NP-18) lives
   * until the last session ends, as a server's does: closing it at the last
   * accept would be the kit's choice showing through as the library's. */
  a->close_listener(listener);
  json j;
  j_begin(&j, "stats");
  j_str(&j, "role", "server");
  j_u64(&j, "sessions", count);
  j_u64(&j, "clean_sessions", clean);
  j_f64(&j, "cpu_seconds", cpu_seconds());
  j_emit(&j);
  free(runs);
  free(threads);
  CloseHandle(stop);
  return code;
}

/* ---- client: a writer (this thread) and a reader thread, at most --pipeline in flight ---- */

typedef struct {
  const options* o;
  void* session;
  CRITICAL_SECTION cs;
  CONDITION_VARIABLE cv;
  uint64_t sent, got; /* requests sent, answers matched */
  uint8_t* inflight;  /* indexed by message_id, 1..messages */
  LONGLONG* sent_at;  /* QueryPerformanceCounter at send, by message_id */
  double* latency_us; /* one per good echo */
  LONGLONG qpf;       /* counts per second */
  int failed;         /* first failure wins; the other thread stops */
  nk_error err;
  uint64_t ok, bad;
} client;

static void fail(client* c, const nk_error* e) {
  EnterCriticalSection(&c->cs);
  int first = !c->failed;
  if (first) {
    c->err = *e;
    c->failed = 1;
  }
  WakeAllConditionVariable(&c->cv);
  LeaveCriticalSection(&c->cs);
  if (first && c->o->a->interrupt) c->o->a->interrupt(c->session);
}

/* The request of `message_id`: deterministic bytes, or a batch of them through the library. */
static int build_request(const options* o, uint64_t id, uint8_t** buf, size_t* len, nk_error* e) {
  uint32_t items = o->batch ? o->batch : 1;
  size_t item_len = o->payload_size;
  uint8_t* data = malloc(item_len * items + 1);
  nk_item* list = calloc(items, sizeof *list);
  if (data == NULL || list == NULL) {
    free(data);
    free(list);
    return nk_fail_win32(e, NK_WIN32_ERROR, ERROR_OUTOFMEMORY, "request of %u items", items);
  }
  for (uint32_t i = 0; i < items; i++) {
    uint8_t* p = data + (size_t)i * item_len;
    for (size_t j = 0; j < item_len; j++) p[j] = (uint8_t)(id * 131u + i * 17u + j);
    list[i] = (nk_item){p, (uint32_t)item_len};
  }
  int ok = 1;
  if (o->batch == 0) {
    *buf = data;
    *len = item_len;
    data = NULL;
  } else if ((ok = o->a->batch_encode(list, items, NULL, len, e)) != 0) {
    *buf = malloc(*len ? *len : 1);
    ok = *buf ? o->a->batch_encode(list, items, *buf, len, e) : 0;
    if (*buf == NULL) nk_fail_win32(e, NK_WIN32_ERROR, ERROR_OUTOFMEMORY, "batch payload");
  }
  free(data);
  free(list);
  return ok;
}

/* Compares an answer with the request it answers; NULL when it echoes it. */
static const char* compare(const options* o, const nk_message* m, nk_error* e) {
  static const char* const kNoRequest = "the request could not be rebuilt";
  uint8_t* want = NULL;
  size_t len = 0;
  const char* bad = NULL;
  if (m->kind != NK_KIND_RESPONSE) return "kind is not RESPONSE";
  if (m->transport_status != NK_STATUS_OK) return status_name(m->transport_status);
  if (m->code != 1) return "code differs";
  if (m->flags != (o->batch ? NK_FLAG_BATCH : 0)) return "flags differ";
  if (m->item_count != (o->batch ? o->batch : 1)) return "item_count differs";
  if (!build_request(o, m->message_id, &want, &len, e)) return kNoRequest;
  if (m->payload_len != len) {
    bad = "payload_len differs";
  } else if (len && memcmp(want, m->payload, len) != 0) {
    bad = "payload differs";
  }
  free(want);
  return bad;
}

static DWORD WINAPI reader(LPVOID arg) {
  client* c = arg;
  const options* o = c->o;
  while (c->got < o->messages) {
    nk_message m;
    nk_error e;
    memset(&m, 0, sizeof m);
    memset(&e, 0, sizeof e);
    /* Read only while a request is out: a refused send leaves nothing to wait for. */
    EnterCriticalSection(&c->cs);
    while (!c->failed && c->sent == c->got) SleepConditionVariableCS(&c->cv, &c->cs, INFINITE);
    int stop = c->failed;
    LeaveCriticalSection(&c->cs);
    if (stop) break;
    if (!o->a->receive(c->session, o->deadline_ms, &m, &e)) {
      fail(c, &e);
      break;
    }
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    EnterCriticalSection(&c->cs);
    int known = m.message_id >= 1 && m.message_id <= o->messages && c->inflight[m.message_id];
    if (known) c->inflight[m.message_id] = 0;
    LeaveCriticalSection(&c->cs);
    /* WE-10 is the library's: it fails receive for an id never sent. What it lets through and
     * the kit did not ask for is no answer to any request; the kit keeps waiting. */
    if (!known) continue;
    const char* bad = compare(o, &m, &e);
    if (bad) {
      c->bad++;
    } else {
      c->latency_us[c->ok++] =
          (double)(now.QuadPart - c->sent_at[m.message_id]) * 1e6 / (double)c->qpf;
    }
    emit_echo(o->echo_all, m.message_id, m.payload_len, bad);
    EnterCriticalSection(&c->cs);
    c->got++;
    WakeAllConditionVariable(&c->cv);
    LeaveCriticalSection(&c->cs);
  }
  return 0;
}

/* Waits for a free pipeline place; returns 0 when the run failed (or, on a deadline, fails it). */
static int wait_slot(client* c) {
  ULONGLONG end = GetTickCount64() + c->o->deadline_ms;
  EnterCriticalSection(&c->cs);
  while (!c->failed && c->sent - c->got >= c->o->pipeline) {
    ULONGLONG now = GetTickCount64();
    if (now >= end) {
      LeaveCriticalSection(&c->cs);
      nk_error e;
      nk_fail_win32(&e, NK_TIMEOUT, WAIT_TIMEOUT, "waiting for a response: WAIT_TIMEOUT");
      e.mid_message = 0;
      fail(c, &e);
      return 0;
    }
    SleepConditionVariableCS(&c->cv, &c->cs, (DWORD)(end - now));
  }
  int ok = !c->failed;
  LeaveCriticalSection(&c->cs);
  return ok;
}

static void writer(client* c) {
  const options* o = c->o;
  for (uint64_t id = 1; id <= o->messages; id++) {
    nk_error e;
    uint8_t* payload = NULL;
    size_t len = 0;
    memset(&e, 0, sizeof e);
    if (!wait_slot(c)) break;
    if (!build_request(o, id, &payload, &len, &e)) {
      fail(c, &e);
      break;
    }
    nk_message m = {NK_KIND_REQUEST,
                    1,
                    o->batch ? NK_FLAG_BATCH : 0,
                    NK_STATUS_OK,
                    o->batch ? o->batch : 1,
                    (uint32_t)len,
                    id,
                    payload};
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    EnterCriticalSection(&c->cs);
    c->inflight[id] = 1;
    c->sent_at[id] = now.QuadPart;
    LeaveCriticalSection(&c->cs);
    int ok = o->a->send(c->session, &m, o->deadline_ms, &e);
    free(payload);
    if (!ok) {
      fail(c, &e);
      break;
    }
    EnterCriticalSection(&c->cs);
    c->sent++;
    WakeAllConditionVariable(&c->cv);
    LeaveCriticalSection(&c->cs);
  }
}

static int compare_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void emit_client_stats(const client* c, double secs) {
  json j;
  j_begin(&j, "stats");
  j_str(&j, "role", "client");
  j_u64(&j, "messages", c->o->messages);
  j_u64(&j, "echoes_ok", c->ok);
  j_u64(&j, "echoes_bad", c->bad);
  j_f64(&j, "seconds", secs);
  j_f64(&j, "round_trips_per_second", secs > 0 ? (double)c->ok / secs : 0.0);
  j_f64(&j, "cpu_seconds", cpu_seconds());
  if (c->ok) {
    static const char* const kKeys[] = {"latency_p50_us", "latency_p95_us", "latency_p99_us"};
    static const double kAt[] = {0.50, 0.95, 0.99};
    qsort(c->latency_us, (size_t)c->ok, sizeof *c->latency_us, compare_double);
    for (int i = 0; i < 3; i++)
      j_f64(&j, kKeys[i], c->latency_us[(size_t)(kAt[i] * (double)(c->ok - 1) + 0.5)]);
  }
  j_emit(&j);
}

/* Runs the session's requests; fills `e` with how it ended. */
static void run_requests(client* c, nk_error* e) {
  size_t n = (size_t)c->o->messages + 1;
  c->inflight = calloc(n, 1);
  c->sent_at = calloc(n, sizeof *c->sent_at);
  c->latency_us = calloc(n, sizeof *c->latency_us);
  if (!c->inflight || !c->sent_at || !c->latency_us) {
    nk_fail_win32(e, NK_WIN32_ERROR, ERROR_OUTOFMEMORY, "%u messages: ERROR_OUTOFMEMORY",
                  c->o->messages);
    return;
  }
  HANDLE rt = CreateThread(NULL, 0, reader, c, 0, NULL);
  writer(c);
  WaitForSingleObject(rt, INFINITE);
  CloseHandle(rt);
  if (c->failed) {
    *e = c->err;
  } else if (c->bad) {
    nk_fail(e, NK_PROTOCOL, "%llu echoes did not match their requests", (unsigned long long)c->bad);
  } else {
    nk_fail(e, NK_CLOSED, "all echoes received");
  }
}

static int run_client(const options* o) {
  const nk_adapter* a = o->a;
  client c;
  nk_handshake report;
  nk_error e;
  LARGE_INTEGER f, t0, t1;
  memset(&c, 0, sizeof c);
  memset(&report, 0, sizeof report);
  memset(&e, 0, sizeof e);
  c.o = o;
  InitializeCriticalSection(&c.cs);
  InitializeConditionVariable(&c.cv);
  QueryPerformanceFrequency(&f);
  c.qpf = f.QuadPart;
  g_left_session_id = 0;
  int opened = a->connect(&o->cfg, o->run_dir, o->service, o->deadline_ms, &c.session, &report, &e);
  if (!opened && e.reason == NK_BAD_ARGUMENT) return bad_argument(o, &e);
  emit_attempt(&report, &e);
  QueryPerformanceCounter(&t0);
  t1 = t0;
  if (opened) {
    run_requests(&c, &e);
    QueryPerformanceCounter(&t1);
    a->close(c.session);
  }
  /* As the Go kit: the session of the last attempt accepted, also one left to reconnect. */
  uint64_t session_id =
      report.accepted || !g_left_session_id ? report.ack.session_id : g_left_session_id;
  json j;
  j_begin(&j, "close");
  j_str(&j, "role", "client");
  j_u64(&j, "session_id", session_id);
  j_err(&j, &e);
  j_emit(&j);
  emit_client_stats(&c, (double)(t1.QuadPart - t0.QuadPart) / (double)f.QuadPart);
  /* Before the last echo, the server leaving is never graceful for the client. */
  int code = e.reason == NK_DISCONNECTED ? EXIT_DISCONNECTED : exit_for(e.reason, 0);
  if (o->minimal) {
    char line[300];
    snprintf(line, sizeof line, code == 0 ? "PASS" : "FAIL %s", e.detail);
    print_line(line);
  }
  free(c.inflight);
  free(c.sent_at);
  free(c.latency_us);
  DeleteCriticalSection(&c.cs);
  return code;
}

/* nk_main without the process's command line (the kit's unit test calls it). */
static int run_peer(const nk_adapter* adapter, int argc, char** argv) {
  int role = 0;
  options o;
  memset(&o, 0, sizeof o);
  o.a = adapter;
  defaults(&o);
  int code = parse(&o, argc, argv, &role);
  if (code < 0) code = role == ROLE_SERVER ? run_server(&o) : run_client(&o);
  return nk_exit(code);
}

int nk_main(const nk_adapter* adapter) {
  int argc = 0;
  char** argv = utf8_argv(&argc);
  if (argv == NULL) return nk_exit(EXIT_WIN32);
  return run_peer(adapter, argc, argv);
}
#endif /* NK_PORTABLE_ONLY */
