/* The C kit's unit test. Natively (ctest in build/native): the kit's portable half, the argument
 * parsing and the events, checked line by line. Cross-built (ctest in build/win64, under Wine):
 * also whole runs of both roles over an in-memory adapter. It includes the kit's source to reach
 * its static functions and reads the kit's output lines through NK_TEST_OUTPUT. */
#include <stdio.h>
#include <string.h>

static void capture(const char* line);
#define NK_TEST_OUTPUT capture
#include "netipc_kit.c"

/* ---- a tiny harness: the lines the kit printed, and checks that count failures ---- */

#define MAX_LINES 256
static char g_lines[MAX_LINES][4096];
static int g_count;
static int g_failures;

static void capture(const char* line) {
  if (g_count < MAX_LINES) snprintf(g_lines[g_count++], sizeof g_lines[0], "%s", line);
}

static void reset(void) { g_count = 0; }

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                       \
    }                                                                     \
  } while (0)

#define CHECK_LINE(i, want) check_line(__LINE__, i, want)

static void check_line(int at, int i, const char* want) {
  const char* got = i < g_count ? g_lines[i] : "(no such line)";
  if (strcmp(got, want) != 0) {
    fprintf(stderr, "%s:%d: line %d\n  expected %s\n  got      %s\n", __FILE__, at, i, want, got);
    g_failures++;
  }
}

/* The first line after `from` that starts with `prefix`, or -1. */
static int find(const char* prefix, int from) {
  for (int i = from; i < g_count; i++) {
    if (strncmp(g_lines[i], prefix, strlen(prefix)) == 0) return i;
  }
  return -1;
}

static int contains(int i, const char* text) { return i >= 0 && strstr(g_lines[i], text) != NULL; }

static int dummy_batch(const nk_item* items, uint32_t count, uint8_t* out, size_t* len,
                       nk_error* err) {
  (void)items, (void)count, (void)out, (void)err;
  *len = 0;
  return 1;
}

static const nk_adapter kNoBatch = {.program = "test-peer"};
static const nk_adapter kBatch = {.program = "test-peer", .batch_encode = dummy_batch};

/* Parses `args` (after the program name) as the kit does; returns parse's result. */
static int parse_args(const nk_adapter* a, options* o, int argc, const char* const* args) {
  char* argv[16] = {"test-peer"};
  int role = 0;
  for (int i = 0; i < argc; i++) argv[i + 1] = (char*)args[i];
  memset(o, 0, sizeof *o);
  o->a = a;
  defaults(o);
  return parse(o, argc + 1, argv, &role);
}

/* ---- the portable half ---- */

static void test_shm_prepare(void) {
  options o;
  const char* dflt[] = {"server", "--run-dir=C:\\run", "--service=svc"};
  const char* off[] = {"server", "--run-dir=C:\\run", "--service=svc", "--shm-prepare=0"};
  const char* on[] = {"server", "--run-dir=C:\\run", "--service=svc", "--shm-prepare=1"};
  const char* two[] = {"server", "--run-dir=C:\\run", "--service=svc", "--shm-prepare=2"};
  const char* bare[] = {"server", "--run-dir=C:\\run", "--service=svc", "--shm-prepare"};
  const char* client[] = {"client", "--run-dir=C:\\run", "--service=svc", "--shm-prepare=0"};
  CHECK(parse_args(&kNoBatch, &o, 3, dflt) == -1 && o.cfg.shm_prepare == 1);
  CHECK(parse_args(&kNoBatch, &o, 4, off) == -1 && o.cfg.shm_prepare == 0);
  CHECK(parse_args(&kNoBatch, &o, 4, on) == -1 && o.cfg.shm_prepare == 1);
  CHECK(parse_args(&kNoBatch, &o, 4, two) == EXIT_ARGS);
  CHECK(parse_args(&kNoBatch, &o, 4, bare) == EXIT_ARGS);
  CHECK(parse_args(&kNoBatch, &o, 4, client) == EXIT_UNKNOWN_OPTION);
}

static void test_arguments(void) {
  options o;
  const char* full[] = {
      "client",       "--run-dir=C:\\run", "--service=svc",    "--auth-token=18446744073709551615",
      "--pipeline=4", "--messages=9",      "--payload-size=0", "--echo-events=failures"};
  const char* minimal[] = {"server", "C:\\run", "svc"};
  const char* made_up[] = {"client", "--run-dir=C:\\run", "--service=svc", "--made-up-option=1"};
  const char* sessions[] = {"client", "--run-dir=C:\\run", "--service=svc", "--sessions=2"};
  const char* batch[] = {"client", "--run-dir=C:\\run", "--service=svc", "--batch=2"};
  const char* no_dir[] = {"client", "--service=svc"};
  const char* zero[] = {"client", "--run-dir=C:\\run", "--service=svc", "--pipeline=0"};
  const char* echo[] = {"client", "--run-dir=C:\\run", "--service=svc", "--echo-events=some"};
  CHECK(parse_args(&kNoBatch, &o, 8, full) == -1);
  CHECK(o.cfg.auth_token == 18446744073709551615ULL && o.pipeline == 4 && o.messages == 9);
  CHECK(o.payload_size == 0 && o.echo_all == 0 && o.minimal == 0);
  CHECK(parse_args(&kNoBatch, &o, 3, minimal) == -1 && o.minimal == 1);
  CHECK(o.cfg.max_request_payload_bytes == 1024 && o.cfg.packet_size == 65536);
  CHECK(parse_args(&kNoBatch, &o, 4, made_up) == EXIT_UNKNOWN_OPTION);
  CHECK(parse_args(&kNoBatch, &o, 4, sessions) == EXIT_UNKNOWN_OPTION);
  CHECK(parse_args(&kNoBatch, &o, 4, batch) == EXIT_UNKNOWN_OPTION);
  CHECK(parse_args(&kBatch, &o, 4, batch) == -1 && o.batch == 2);
  CHECK(parse_args(&kNoBatch, &o, 2, no_dir) == EXIT_ARGS);
  CHECK(parse_args(&kNoBatch, &o, 4, zero) == EXIT_ARGS);
  CHECK(parse_args(&kNoBatch, &o, 4, echo) == EXIT_ARGS);
}

static void test_exit_codes(void) {
  CHECK(exit_for(NK_CLOSED, 0) == 0);
  CHECK(exit_for(NK_DISCONNECTED, 0) == 0);
  CHECK(exit_for(NK_DISCONNECTED, 1) == 4);
  CHECK(exit_for(NK_PROTOCOL, 0) == 5);
  CHECK(exit_for(NK_REJECTED, 0) == 3);
  CHECK(exit_for(NK_TIMEOUT, 0) == 6);
  CHECK(exit_for(NK_WIN32_ERROR, 0) == 7);
  CHECK(exit_for(NK_BAD_ARGUMENT, 0) == 2);
}

static void fill_shm(nk_shm* shm, const char* base) {
  snprintf(shm->mapping, sizeof shm->mapping, "%s-mapping", base);
  snprintf(shm->req_event, sizeof shm->req_event, "%s-req_event", base);
  snprintf(shm->resp_event, sizeof shm->resp_event, "%s-resp_event", base);
}

#define ACK_1_SHM                                                                            \
  "\"ack\":{\"layout_version\":1,\"flags\":0,\"server_supported_profiles\":3,"               \
  "\"intersection_profiles\":3,\"selected_profile\":2,\"agreed_max_request_payload_bytes\":" \
  "1024,\"agreed_max_request_batch_items\":1,\"agreed_max_response_payload_bytes\":1024,"    \
  "\"agreed_max_response_batch_items\":1,\"agreed_packet_size\":65536,\"padding\":0,"        \
  "\"session_id\":1}"

static nk_ack shm_ack(uint64_t session_id) {
  return (nk_ack){1, 0, 3, 3, 2, 1024, 1, 1024, 1, 65536, 0, session_id};
}

static void test_server_handshake_shm(void) {
  nk_handshake r;
  memset(&r, 0, sizeof r);
  r.answered = 1;
  r.ack = shm_ack(1);
  r.has_shm = 1;
  fill_shm(&r.shm, "Local\\netipc-1-svc-p2-s1");
  reset();
  emit_server_handshake(1, &r);
  CHECK_LINE(0,
             "{\"event\":\"handshake\",\"role\":\"server\",\"connection\":1,\"status\":\"OK\","
             "\"hello_malformed\":false," ACK_1_SHM
             ",\"shm\":{\"mapping\":\"Local\\\\netipc-1-svc-p2-s1-mapping\",\"req_event\":"
             "\"Local\\\\netipc-1-svc-p2-s1-req_event\",\"resp_event\":"
             "\"Local\\\\netipc-1-svc-p2-s1-resp_event\",\"prepared\":false}}");
  r.shm.prepared = 1;
  r.has_shm = 0;
  reset();
  emit_server_handshake(1, &r);
  CHECK(g_count == 1 && !contains(0, "\"shm\""));
  r.has_shm = 1;
  reset();
  emit_server_handshake(1, &r);
  CHECK(contains(0, "\"prepared\":true}}"));
}

static void test_client_attempts(void) {
  nk_handshake r;
  memset(&r, 0, sizeof r);
  r.answered = 1;
  r.accepted = 1;
  r.ack = shm_ack(1);
  r.has_shm = 1;
  fill_shm(&r.shm, "m");
  snprintf(r.shm.detail, sizeof r.shm.detail, "profile 2: not \"here\"");
  r.has_reconnect = 1;
  r.reconnect = (nk_hello){1, 0, 1, 1, 1024, 1, 1024, 1, 0, 16045690984503098046ULL, 65536};
  g_left_session_id = 0;
  reset();
  nk_next_attempt(&r);
  CHECK(g_count == 3);
  CHECK_LINE(
      0,
      "{\"event\":\"handshake\",\"role\":\"client\",\"status\":\"OK\",\"accepted\":true," ACK_1_SHM
      "}");
  CHECK_LINE(1,
             "{\"event\":\"shm\",\"session_id\":1,\"mapping\":\"m-mapping\",\"req_event\":"
             "\"m-req_event\",\"resp_event\":\"m-resp_event\",\"attached\":false,\"detail\":"
             "\"profile 2: not \\\"here\\\"\"}");
  CHECK_LINE(2,
             "{\"event\":\"reconnecting\",\"hello\":{\"layout_version\":1,\"flags\":0,"
             "\"supported_profiles\":1,\"preferred_profiles\":1,\"max_request_payload_bytes\":1024,"
             "\"max_request_batch_items\":1,\"max_response_payload_bytes\":1024,"
             "\"max_response_batch_items\":1,\"padding\":0,\"auth_token\":16045690984503098046,"
             "\"packet_size\":65536}}");
  /* The report is cleared for the next attempt; the left session is remembered. */
  CHECK(!r.answered && !r.has_shm && !r.has_reconnect && r.ack.session_id == 0);
  CHECK(g_left_session_id == 1);

  /* Attached: no detail, no reconnecting. */
  nk_error none;
  memset(&none, 0, sizeof none);
  r.answered = r.accepted = r.has_shm = r.shm.attached = 1;
  r.ack = shm_ack(2);
  fill_shm(&r.shm, "n");
  reset();
  emit_attempt(&r, &none);
  CHECK(g_count == 2 && contains(1, "\"attached\":true}") && !contains(1, "detail"));
  CHECK(find("{\"event\":\"reconnecting\"", 0) == -1);

  /* A refused attempt names its rule and the error's detail. */
  nk_error e;
  nk_fail_rule(&e, NK_REJECTED, "ack_rejected", "the server refused");
  memset(&r, 0, sizeof r);
  r.answered = 1;
  r.status = 2;
  reset();
  emit_attempt(&r, &e);
  CHECK(g_count == 1 && contains(0, "\"status\":\"AUTH_FAILED\",\"accepted\":false"));
  CHECK(contains(0, "\"rule\":\"ack_rejected\",\"detail\":\"the server refused\"}"));
}

static void test_close_event(void) {
  nk_error e;
  memset(&e, 0, sizeof e);
  nk_fail_win32(&e, NK_DISCONNECTED, 109, "the server left");
  e.mid_message = 1;
  reset();
  emit_server_close(2, 5, 3, &e);
  CHECK_LINE(0,
             "{\"event\":\"close\",\"role\":\"server\",\"connection\":2,\"session_id\":5,"
             "\"echoed\":3,\"mid_message\":true,\"reason\":\"disconnected\",\"detail\":\"the "
             "server left\",\"win32_code\":109,\"win32_name\":\"ERROR_BROKEN_PIPE\"}");
  nk_fail_rule(&e, NK_PROTOCOL, "bad_magic", "magic 0x1");
  reset();
  emit_server_close(1, 1, 0, &e);
  CHECK(contains(
      0, "\"detail\":\"bad_magic: magic 0x1\",\"rule\":\"bad_magic\",\"clause\":\"WE-1\"}"));
}

/* ---- whole runs over an in-memory adapter (Win32: the kit's threads and events) ---- */

#ifndef NK_PORTABLE_ONLY

/* The fake library: a queue of answers per session, and what the kit passed in. */
typedef struct {
  CRITICAL_SECTION cs;
  CONDITION_VARIABLE cv;
  nk_message queue[64];
  uint8_t payloads[64][128];
  int head, tail;
} fake_session;

static struct {
  int fail_reconnect; /* connect: the second attempt gets no HELLO_ACK */
  int shm_prepare;    /* listen: the cfg->shm_prepare it was given */
  int listens, accepts, closes;
  fake_session session;
} g_fake;

static void fake_reset(void) {
  memset(&g_fake.session.queue, 0, sizeof g_fake.session.queue);
  g_fake.session.head = g_fake.session.tail = 0;
  g_fake.fail_reconnect = 0;
  g_fake.shm_prepare = -1;
  g_fake.listens = g_fake.accepts = g_fake.closes = 0;
  reset();
}

static int fake_send(void* s, const nk_message* m, uint32_t deadline_ms, nk_error* err) {
  fake_session* f = s;
  (void)deadline_ms;
  if (m->payload_len > sizeof f->payloads[0]) return nk_fail(err, NK_REJECTED, "too long");
  EnterCriticalSection(&f->cs);
  int at = f->tail++ % 64;
  f->queue[at] = *m;
  f->queue[at].kind = NK_KIND_RESPONSE;
  memcpy(f->payloads[at], m->payload, m->payload_len);
  f->queue[at].payload = f->payloads[at];
  WakeAllConditionVariable(&f->cv);
  LeaveCriticalSection(&f->cs);
  return 1;
}

static int fake_receive(void* s, uint32_t deadline_ms, nk_message* m, nk_error* err) {
  fake_session* f = s;
  EnterCriticalSection(&f->cs);
  while (f->head == f->tail) {
    if (!SleepConditionVariableCS(&f->cv, &f->cs, deadline_ms)) {
      LeaveCriticalSection(&f->cs);
      return nk_fail_win32(err, NK_TIMEOUT, WAIT_TIMEOUT, "no answer");
    }
  }
  *m = f->queue[f->head++ % 64];
  LeaveCriticalSection(&f->cs);
  return 1;
}

static void fake_close(void* s) {
  (void)s;
  g_fake.closes++;
}

/* The client's library: an SHM profile it cannot attach, so it reconnects without SHM (NP-11). */
static int fake_connect(const nk_config* cfg, const char* run_dir, const char* service,
                        uint32_t deadline_ms, void** session, nk_handshake* r, nk_error* err) {
  (void)run_dir, (void)service, (void)deadline_ms;
  r->answered = r->accepted = 1;
  r->ack = shm_ack(1);
  r->has_shm = 1;
  fill_shm(&r->shm, "first");
  snprintf(r->shm.detail, sizeof r->shm.detail, "cannot attach");
  r->has_reconnect = 1;
  r->reconnect = (nk_hello){.layout_version = 1,
                            .supported_profiles = cfg->supported_profiles & 1,
                            .preferred_profiles = cfg->preferred_profiles & 1};
  nk_next_attempt(r);
  if (g_fake.fail_reconnect) {
    return nk_fail_win32(err, NK_WIN32_ERROR, 2, "the pipe is gone: ERROR_FILE_NOT_FOUND");
  }
  r->answered = r->accepted = 1;
  r->ack = (nk_ack){1, 0, 1, 1, 1, 1024, 1, 1024, 1, 65536, 0, 2};
  *session = &g_fake.session;
  return 1;
}

/* The server's library: it selects SHM and prepares the objects unless told not to. */
static int fake_listen(const nk_config* cfg, const char* run_dir, const char* service,
                       void** listener, char* pipe_name, size_t pipe_name_len, nk_error* err) {
  (void)run_dir, (void)service, (void)err;
  g_fake.listens++;
  g_fake.shm_prepare = cfg->shm_prepare;
  snprintf(pipe_name, pipe_name_len, "\\\\.\\pipe\\netipc-test");
  *listener = &g_fake;
  return 1;
}

static int fake_accept(void* listener, uint32_t deadline_ms, HANDLE stop, void** session,
                       nk_error* err) {
  (void)listener, (void)stop;
  if (g_fake.accepts++ > 0)
    return nk_fail_win32(err, NK_TIMEOUT, WAIT_TIMEOUT, "%u ms", deadline_ms);
  *session = &g_fake.session;
  return 1;
}

static void fake_close_listener(void* listener) { (void)listener; }

static int fake_server_handshake(void* session, uint32_t deadline_ms, nk_handshake* r,
                                 nk_error* err) {
  (void)session, (void)deadline_ms, (void)err;
  r->answered = 1;
  r->ack = shm_ack(1);
  r->has_shm = 1;
  fill_shm(&r->shm, "s");
  r->shm.prepared = g_fake.shm_prepare;
  return 1;
}

/* The server's session: one request, then the client leaves. */
static int fake_server_receive(void* s, uint32_t deadline_ms, nk_message* m, nk_error* err) {
  static const uint8_t kPayload[3] = {1, 2, 3};
  (void)s, (void)deadline_ms;
  if (g_fake.session.head++ == 0) {
    *m = (nk_message){NK_KIND_REQUEST, 4, 0, 0, 1, 3, 7, kPayload};
    return 1;
  }
  return nk_fail_win32(err, NK_DISCONNECTED, 109, "the client left");
}

static const nk_adapter kClient = {.program = "test-peer",
                                   .connect = fake_connect,
                                   .send = fake_send,
                                   .receive = fake_receive,
                                   .close = fake_close};
static const nk_adapter kServer = {.program = "test-peer",
                                   .listen = fake_listen,
                                   .accept = fake_accept,
                                   .close_listener = fake_close_listener,
                                   .server_handshake = fake_server_handshake,
                                   .send = fake_send,
                                   .receive = fake_server_receive,
                                   .close = fake_close};

static int run(const nk_adapter* a, int argc, const char* const* args) {
  char* argv[16] = {"test-peer"};
  for (int i = 0; i < argc; i++) argv[i + 1] = (char*)args[i];
  int code = run_peer(a, argc + 1, argv);
  char exit_line[64];
  snprintf(exit_line, sizeof exit_line, "{\"event\":\"exit\",\"code\":%d}", code);
  CHECK_LINE(g_count - 1, exit_line); /* always the last line */
  return code;
}

static void test_client_reconnects(void) {
  const char* args[] = {"client",
                        "--run-dir=C:\\run",
                        "--service=svc",
                        "--supported-profiles=3",
                        "--preferred-profiles=2",
                        "--messages=20",
                        "--pipeline=4"};
  fake_reset();
  CHECK(run(&kClient, 7, args) == 0);
  int hs = find("{\"event\":\"handshake\"", 0);
  int shm = find("{\"event\":\"shm\"", 0);
  int again = find("{\"event\":\"reconnecting\"", 0);
  int hs2 = find("{\"event\":\"handshake\"", hs + 1);
  int echo = find("{\"event\":\"echo\"", 0);
  int close = find("{\"event\":\"close\"", 0);
  CHECK(hs == 0 && shm == 1 && again == 2 && hs2 == 3 && echo == 4);
  CHECK(contains(shm, "\"session_id\":1,\"mapping\":\"first-mapping\""));
  CHECK(contains(shm, "\"attached\":false,\"detail\":\"cannot attach\"}"));
  CHECK(contains(again, "\"supported_profiles\":1,\"preferred_profiles\":0,"));
  CHECK(contains(hs2, "\"session_id\":2}"));
  CHECK(contains(close, "\"session_id\":2,\"reason\":\"closed\""));
  CHECK(contains(find("{\"event\":\"stats\"", 0), "\"echoes_ok\":20,\"echoes_bad\":0"));
  CHECK(g_fake.closes == 1);
}

static void test_client_reconnect_fails(void) {
  const char* args[] = {"client", "--run-dir=C:\\run", "--service=svc", "--supported-profiles=3"};
  fake_reset();
  g_fake.fail_reconnect = 1;
  CHECK(run(&kClient, 4, args) == 7);
  CHECK(find("{\"event\":\"reconnecting\"", 0) == 2);
  CHECK(find("{\"event\":\"handshake\"", 1) == -1); /* the second attempt got no ACK */
  /* As the Go kit: the close names the session the client left to reconnect. */
  int close = find("{\"event\":\"close\"", 0);
  CHECK(contains(close, "\"session_id\":1,\"reason\":\"win32_error\""));
  CHECK(contains(close, "\"win32_name\":\"ERROR_FILE_NOT_FOUND\""));
}

static void test_server_shm_prepare(void) {
  const char* prepared[] = {"server", "--run-dir=C:\\run", "--service=svc"};
  const char* broken[] = {"server", "--run-dir=C:\\run", "--service=svc", "--shm-prepare=0"};
  for (int i = 0; i < 2; i++) {
    fake_reset();
    CHECK(run(&kServer, i ? 4 : 3, i ? broken : prepared) == 0);
    CHECK(g_fake.listens == 1 && g_fake.shm_prepare == !i);
    int hs = find("{\"event\":\"handshake\",\"role\":\"server\"", 0);
    CHECK(contains(hs, i ? "\"resp_event\":\"s-resp_event\",\"prepared\":false}}"
                         : "\"resp_event\":\"s-resp_event\",\"prepared\":true}}"));
    CHECK(contains(find("{\"event\":\"close\"", 0), "\"echoed\":1,\"mid_message\":false"));
    CHECK(contains(find("{\"event\":\"stats\"", 0), "\"sessions\":1,\"clean_sessions\":1"));
  }
}

static void run_win32_tests(void) {
  InitializeCriticalSection(&g_fake.session.cs);
  InitializeConditionVariable(&g_fake.session.cv);
  test_client_reconnects();
  test_client_reconnect_fails();
  test_server_shm_prepare();
}
#endif

int main(void) {
  test_shm_prepare();
  test_arguments();
  test_exit_codes();
  test_server_handshake_shm();
  test_client_attempts();
  test_close_event();
#ifndef NK_PORTABLE_ONLY
  run_win32_tests();
#endif
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  printf("the C kit's tests passed\n");
  return 0;
}
