/* The error value: rule names with their clause, Win32 classification. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "fault.h"

static const char* const kRules[][2] = {
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

const char* np_rule_clause(const char* rule) {
  for (size_t i = 0; rule && i < sizeof kRules / sizeof kRules[0]; i++) {
    if (strcmp(kRules[i][0], rule) == 0) return kRules[i][1];
  }
  return "";
}

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

const char* np_reason_name(int reason) {
  switch (reason) {
    case NP_CLOSED:
      return "closed";
    case NP_DISCONNECTED:
      return "disconnected";
    case NP_PROTOCOL:
      return "protocol";
    case NP_REJECTED:
      return "rejected";
    case NP_TIMEOUT:
      return "timeout";
    case NP_WIN32:
      return "win32_error";
    default:
      return "ok";
  }
}

int np_exit_for(int reason, int mid_message) {
  switch (reason) {
    case NP_OK:
    case NP_CLOSED:
      return NP_EXIT_OK;
    case NP_DISCONNECTED:
      return mid_message ? NP_EXIT_DISCONNECTED : NP_EXIT_OK;
    case NP_PROTOCOL:
      return NP_EXIT_PROTOCOL;
    case NP_REJECTED:
      return NP_EXIT_REJECTED;
    case NP_TIMEOUT:
      return NP_EXIT_TIMEOUT;
    default:
      return NP_EXIT_WIN32;
  }
}
