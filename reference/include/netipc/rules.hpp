// The rules of the contract a value can break, and the error-as-value type.
// Every decoder, validator, planner and reassembler reports WHICH rule broke
// by one of these names; the names are part of the project's public surface
// (vectors, Python exceptions, peer events), so they never change spelling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "netipc/value_or.hpp"

namespace netipc {

// X(name, clause) : one line per rule; clause is the clauses.md id it enforces.
#define NETIPC_RULES(X)                                              \
  /* naming (NP-2, NP-4, NP-15) */                                   \
  X(service_name_empty, "NP-4")                                      \
  X(service_name_bad_char, "NP-4")                                   \
  X(pipe_name_too_long, "NP-2")                                      \
  /* outer header, per message (WE-1) */                             \
  X(message_truncated, "WE-1")                                       \
  X(bad_magic, "WE-1")                                               \
  X(bad_version, "WE-1")                                             \
  X(bad_header_len, "WE-1")                                          \
  X(bad_kind, "WE-1")                                                \
  X(bad_flags, "WE-1")                                               \
  X(bad_item_count, "WE-1")                                          \
  X(message_length_mismatch, "WE-1")                                 \
  X(payload_over_limit, "WE-1")                                      \
  X(item_count_over_limit, "WE-1")                                   \
  X(packet_over_size, "NP-14")                                       \
  /* batch directory (WE-2) */                                       \
  X(batch_directory_out_of_bounds, "WE-2")                           \
  X(batch_item_misaligned, "WE-2")                                   \
  X(batch_item_out_of_bounds, "WE-2")                                \
  /* chunking (NP-14, WE-3, WE-4) */                                 \
  X(bad_chunk_magic, "WE-3")                                         \
  X(bad_chunk_version, "WE-3")                                       \
  X(bad_chunk_flags, "WE-3")                                         \
  X(chunk_message_id_mismatch, "WE-3")                               \
  X(chunk_index_out_of_order, "WE-3")                                \
  X(chunk_count_mismatch, "WE-3")                                    \
  X(chunk_total_len_mismatch, "WE-3")                                \
  X(chunk_payload_len_mismatch, "WE-3")                              \
  X(chunk_payload_empty, "WE-3")                                     \
  X(chunk_payload_over_budget, "WE-3")                               \
  X(chunk_payload_over_remaining, "WE-3")                            \
  X(continuation_without_first, "WE-3")                              \
  X(chunk_interleaved, "NP-14")                                      \
  X(first_chunk_short, "WE-4")                                       \
  /* control messages (WE-5, WE-6) */                                \
  X(control_wrong_kind, "NP-8")                                      \
  X(control_wrong_code, "NP-8")                                      \
  X(hello_bad_payload_len, "WE-5")                                   \
  X(hello_ack_bad_payload_len, "WE-6")                               \
  /* server decision (WE-7), each maps to one transport_status */    \
  X(hello_bad_layout_version, "WE-7")                                \
  X(hello_nonzero_flags, "WE-7")                                     \
  X(hello_nonzero_padding, "WE-7")                                   \
  X(auth_token_mismatch, "WE-7")                                     \
  X(no_common_profile, "WE-7")                                       \
  X(request_payload_over_server_limit, "WE-7")                       \
  X(packet_size_too_small, "NP-12")                                  \
  /* client's check of a HELLO_ACK against its HELLO (NP-9, WE-6) */ \
  X(ack_rejected, "WE-7")                                            \
  X(ack_bad_layout_version, "WE-6")                                  \
  X(ack_nonzero_flags, "WE-6")                                       \
  X(ack_nonzero_padding, "WE-6")                                     \
  X(ack_batch_items_differ, "WE-6")                                  \
  X(ack_intersection_wrong, "WE-7")                                  \
  X(ack_profile_not_offered, "WE-7")                                 \
  X(ack_packet_size_too_small, "NP-12")                              \
  X(ack_packet_size_over_proposal, "NP-12")                          \
  X(ack_request_payload_over_proposal, "WE-7")                       \
  X(ack_session_id_zero, "WE-8")                                     \
  /* responses (WE-9, WE-10) */                                      \
  X(unknown_message_id, "WE-10")

enum class rule : std::uint8_t {
#define NETIPC_RULE_ENUM(name, clause) name,
  NETIPC_RULES(NETIPC_RULE_ENUM)
#undef NETIPC_RULE_ENUM
};

constexpr std::string_view rule_name(rule r) {
  switch (r) {
#define NETIPC_RULE_NAME(name, clause) \
  case rule::name:                     \
    return #name;
    NETIPC_RULES(NETIPC_RULE_NAME)
#undef NETIPC_RULE_NAME
  }
  return "unknown_rule";
}

constexpr std::string_view rule_clause(rule r) {
  switch (r) {
#define NETIPC_RULE_CLAUSE(name, clause) \
  case rule::name:                       \
    return clause;
    NETIPC_RULES(NETIPC_RULE_CLAUSE)
#undef NETIPC_RULE_CLAUSE
  }
  return "";
}

// A broken rule and a sentence for a human (which field, expected, actual).
struct error {
  rule which;
  std::string detail;
};

inline error broke(rule which, std::string detail = {}) { return error{which, std::move(detail)}; }

// A value or the rule that prevented it.
template <class T>
class result : public value_or<T, error> {
 public:
  using value_or<T, error>::value_or;
  const error& err() const { return this->reason(); }
};

using status = result<nothing>;
inline status success() { return nothing{}; }

}  // namespace netipc
