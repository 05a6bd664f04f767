/* The fault zoo: one deliberate contract violation, chosen by NETIPC_FAULT=<name>. */
#ifndef NP_FAULT_H
#define NP_FAULT_H

#define NP_FAULTS(X)                                                          \
  X(FNV_WRONG_BASIS, fnv_wrong_basis)                                         \
  X(HEX_UNPADDED, hex_unpadded)                                               \
  X(SERVICE_SANITIZED, service_sanitized)                                     \
  X(RUN_DIR_NORMALIZED, run_dir_normalized)                                   \
  X(RUN_DIR_MSYS_CONVERTED, run_dir_msys_converted)                           \
  X(READ_MODE_BYTE, read_mode_byte)                                           \
  X(HELLO_PADDING_NONZERO, hello_padding_nonzero)                             \
  X(HELLO_FLAGS_NONZERO, hello_flags_nonzero)                                 \
  X(SESSION_ID_FROM_ZERO, session_id_from_zero)                               \
  X(SESSION_ID_CONSTANT, session_id_constant)                                 \
  X(PACKET_SIZE_MAX, packet_size_max)                                         \
  X(PACKET_32_ACCEPTED, packet_32_accepted)                                   \
  X(REQUEST_PAYLOAD_OVER_LIMIT_ACCEPTED, request_payload_over_limit_accepted) \
  X(RESPONSE_BATCH_DIFFERS, response_batch_differs)                           \
  X(ACK_INTERSECTION_WRONG, ack_intersection_wrong)                           \
  X(ACK_RESERVED_NONZERO, ack_reserved_nonzero)                               \
  X(NO_CLOSE_AFTER_REJECT, no_close_after_reject)                             \
  X(REJECT_WITH_BARE_CLOSE, reject_with_bare_close)                           \
  X(ECHO_LOSES_MESSAGE_ID, echo_loses_message_id)                             \
  X(OVER_LIMIT_REQUEST_ECHOED, over_limit_request_echoed)                     \
  X(CONTINUATION_INDEX_FROM_ZERO, continuation_index_from_zero)               \
  X(CONTINUATION_WRONG_MAGIC, continuation_wrong_magic)                       \
  X(CONTINUATION_MESSAGE_ID_WRONG, continuation_message_id_wrong)             \
  X(CHUNK_COUNT_WRONG, chunk_count_wrong)                                     \
  X(CHUNK_PAYLOAD_LEN_WRONG, chunk_payload_len_wrong)                         \
  X(CHUNKS_IN_ONE_WRITE, chunks_in_one_write)                                 \
  X(SHORT_FIRST_CHUNK, short_first_chunk)                                     \
  X(CHUNK_CHECKS_SKIPPED, chunk_checks_skipped)                               \
  X(CLIENT_IGNORES_AGREED_PACKET_SIZE, client_ignores_agreed_packet_size)     \
  X(CLIENT_WAITS_BEFORE_HELLO, client_waits_before_hello)                     \
  X(CLIENT_IGNORES_REJECTION, client_ignores_rejection)                       \
  X(CLIENT_SENDS_OVER_AGREED_LIMIT, client_sends_over_agreed_limit)           \
  X(CLIENT_ACCEPTS_UNKNOWN_ID, client_accepts_unknown_id)                     \
  X(BATCH_OFFSETS_FROM_PAYLOAD_START, batch_offsets_from_payload_start)       \
  X(BROKEN_PIPE_IS_PROTOCOL_ERROR, broken_pipe_is_protocol_error)             \
  X(ONE_CLIENT_AT_A_TIME, one_client_at_a_time)                               \
  X(NO_NEW_INSTANCE_UNTIL_SESSION_ENDS, no_new_instance_until_session_ends)   \
  X(REJECT_THEN_DISCONNECT, reject_then_disconnect)                           \
  X(HELLO_FLAGS_IGNORED, hello_flags_ignored)                                 \
  X(HELLO_PADDING_BARE_CLOSE, hello_padding_bare_close)                       \
  X(SHORT_LAST_CHUNK_AWAITED, short_last_chunk_awaited)                       \
  X(ARGS_ANSI_CODE_PAGE, args_ansi_code_page)                                 \
  X(PIPE_TYPE_BYTE, pipe_type_byte)                                           \
  X(CLIENT_IGNORES_ACK_STATUS, client_ignores_ack_status)                     \
  X(CLIENT_READ_MODE_BYTE, client_read_mode_byte)                             \
  X(CLIENT_ACCEPTS_OVER_LIMIT_RESPONSE, client_accepts_over_limit_response)

enum np_fault_id {
  F_NONE = 0,
#define NP_FAULT_ENUM(id, name) F_##id,
  NP_FAULTS(NP_FAULT_ENUM)
#undef NP_FAULT_ENUM
      F_COUNT
};

/* Reads NETIPC_FAULT; returns 0 on success, -1 (after a message on stderr) for an unknown name. */
int np_fault_init(void);
/* Nonzero when fault `id` is switched on. */
int np_fault(int id);

#endif
