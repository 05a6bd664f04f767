/* JSON-line events on stdout (binary mode, one flushed line each, serialized across threads). */
#ifndef NP_EVENTS_H
#define NP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "wire.h"

typedef struct {
  char buf[4096];
  size_t n;
  int first;
} np_json;

void np_events_init(void);
void np_json_begin(np_json* j, const char* event);
void np_json_str(np_json* j, const char* key, const char* value);
void np_json_u64(np_json* j, const char* key, uint64_t value);
void np_json_bool(np_json* j, const char* key, int value);
void np_json_f64(np_json* j, const char* key, double value);
void np_json_ack(np_json* j, const np_ack* a);
/* Adds reason, rule, clause, win32_code, win32_name and detail of an error. */
void np_json_err(np_json* j, const np_err* e);
/* Closes the object and prints it as one flushed line. */
void np_json_emit(np_json* j);
/* Prints a bare line (READY, PASS, FAIL ...), flushed. */
void np_print_line(const char* line);
void np_emit_exit(int code);

#endif
