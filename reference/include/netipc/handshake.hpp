// The server's decision on a HELLO (wire-envelope.md 4.3, WE-7, WE-8, NP-12)
// as a pure function, and the client's check of the HELLO_ACK it gets back.
#pragma once

#include <cstdint>
#include <optional>

#include "netipc/rules.hpp"
#include "netipc/wire.hpp"

namespace netipc {

// X(type, name, initial value, peer-cli.md flag, flag help): a server's
// (and a client's) configuration, the values a HELLO proposes (WE-5). The
// reference peer's flags and the harness's config fields (_core.CONFIG_FIELDS,
// _core.CONFIG_FLAGS) come from these rows.
#define NETIPC_SERVER_CONFIG_FIELDS(X)                                                  \
  X(std::uint64_t, auth_token, 0, "--auth-token", "auth_token (u64)")                   \
  X(std::uint32_t, supported_profiles, kProfileNamedPipe, "--supported-profiles",       \
    "profile bitmask")                                                                  \
  X(std::uint32_t, preferred_profiles, kProfileNamedPipe, "--preferred-profiles",       \
    "profile bitmask")                                                                  \
  X(std::uint32_t, max_request_payload_bytes, 1024, "--max-request-payload", "bytes")   \
  X(std::uint32_t, max_request_batch_items, 1, "--max-request-batch", "items")          \
  X(std::uint32_t, max_response_payload_bytes, 1024, "--max-response-payload", "bytes") \
  X(std::uint32_t, max_response_batch_items, 1, "--max-response-batch", "items")        \
  X(std::uint32_t, packet_size, 65536, "--packet-size", "bytes")

struct server_config {
  NETIPC_RECORD(server_config, NETIPC_SERVER_CONFIG_FIELDS)
};

// WE-8: starts at 1, +1 per accepted session.
class session_counter {
 public:
  explicit session_counter(std::uint64_t next_session_id = 1) : next_(next_session_id) {}
  std::uint64_t allocate() { return next_++; }
  std::uint64_t peek() const { return next_; }

 private:
  std::uint64_t next_;
};

struct decision {
  transport_status status = transport_status::ok;
  std::optional<netipc::rule> rule;  // nullopt when status is ok
  hello_ack ack;
};

// Allocates a session id from counter ONLY when the HELLO is accepted.
decision decide_handshake(const server_config& server, const hello& h, session_counter& counter);

// The HELLO of a client configured with the same values a server would be:
// how a peer turns its configuration into its proposal (WE-5).
hello hello_for(const server_config& config);

// The client's check of an ACK against its own HELLO.
status check_hello_ack(const hello& h, transport_status status, const hello_ack& ack);

}  // namespace netipc
