/* A small JSON-lines writer. */
#include "events.h"

#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static CRITICAL_SECTION g_out;

void np_events_init(void) {
  InitializeCriticalSection(&g_out);
  _setmode(_fileno(stdout), _O_BINARY);
}

static void add(np_json* j, const char* fmt, ...) {
  va_list ap;
  if (j->n >= sizeof j->buf) return;
  va_start(ap, fmt);
  int w = vsnprintf(j->buf + j->n, sizeof j->buf - j->n, fmt, ap);
  va_end(ap);
  if (w > 0) j->n += (size_t)w;
  if (j->n >= sizeof j->buf) j->n = sizeof j->buf - 1;
}

static void add_escaped(np_json* j, const char* s) {
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

static void key(np_json* j, const char* k) {
  add(j, j->first ? "" : ",");
  j->first = 0;
  add_escaped(j, k);
  add(j, ":");
}

void np_json_begin(np_json* j, const char* event) {
  j->n = 0;
  j->first = 1;
  add(j, "{");
  np_json_str(j, "event", event);
}

void np_json_str(np_json* j, const char* k, const char* v) {
  key(j, k);
  add_escaped(j, v ? v : "");
}

void np_json_u64(np_json* j, const char* k, uint64_t v) {
  key(j, k);
  add(j, "%llu", (unsigned long long)v);
}

void np_json_bool(np_json* j, const char* k, int v) {
  key(j, k);
  add(j, v ? "true" : "false");
}

void np_json_f64(np_json* j, const char* k, double v) {
  key(j, k);
  add(j, "%.9g", v);
}

void np_json_ack(np_json* j, const np_ack* a) {
  key(j, "ack");
  add(j,
      "{\"layout_version\":%u,\"flags\":%u,\"server_supported_profiles\":%u,"
      "\"intersection_profiles\":%u,\"selected_profile\":%u,"
      "\"agreed_max_request_payload_bytes\":%u,\"agreed_max_request_batch_items\":%u,"
      "\"agreed_max_response_payload_bytes\":%u,\"agreed_max_response_batch_items\":%u,"
      "\"agreed_packet_size\":%u,\"padding\":%u,\"session_id\":%llu}",
      a->layout_version, a->flags, (unsigned)a->server_supported, (unsigned)a->intersection,
      (unsigned)a->selected, (unsigned)a->req_payload, (unsigned)a->req_batch,
      (unsigned)a->resp_payload, (unsigned)a->resp_batch, (unsigned)a->packet_size,
      (unsigned)a->padding, (unsigned long long)a->session_id);
}

void np_json_err(np_json* j, const np_err* e) {
  char detail[400];
  np_json_str(j, "reason", np_reason_name(e->reason));
  if (e->rule && strncmp(e->detail, e->rule, strlen(e->rule)) != 0) {
    snprintf(detail, sizeof detail, "%s: %s", e->rule, e->detail);
    np_json_str(j, "detail", detail);
  } else if (e->detail[0]) {
    np_json_str(j, "detail", e->detail);
  }
  if (e->rule) {
    np_json_str(j, "rule", e->rule);
    np_json_str(j, "clause", np_rule_clause(e->rule));
  }
  if (e->has_win32) {
    np_json_u64(j, "win32_code", e->win32);
    np_json_str(j, "win32_name", np_win32_name(e->win32));
  }
}

void np_json_emit(np_json* j) {
  add(j, "}");
  np_print_line(j->buf);
}

void np_print_line(const char* line) {
  EnterCriticalSection(&g_out);
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  LeaveCriticalSection(&g_out);
}

void np_emit_exit(int code) {
  np_json j;
  np_json_begin(&j, "exit");
  np_json_u64(&j, "code", (uint64_t)code);
  np_json_emit(&j);
}
