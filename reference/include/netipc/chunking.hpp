// Chunking (wire-envelope.md 3, NP-14, WE-3, WE-4): the sender's plan and
// the receiver's state machine that names the rule a packet sequence broke.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "netipc/rules.hpp"
#include "netipc/wire.hpp"

namespace netipc {

// message = outer header + whole payload (header payload_len must match).
// Throws std::invalid_argument if agreed_packet_size <= 32 or the message is
// not a header followed by exactly payload_len bytes.
std::vector<bytes> plan_chunks(byte_view message, std::uint32_t agreed_packet_size);

// Packets for one message, first included; 1 when it fits.
// Throws std::invalid_argument if agreed_packet_size <= 32.
std::uint64_t chunk_count(std::uint64_t payload_len, std::uint32_t agreed_packet_size);

struct message {
  outer_header header;
  bytes payload;
  bool first_chunk_short = false;  // WE-4 not followed: accepted, NON-STRICT
  bool operator==(const message&) const = default;
};

class reassembler {
 public:
  // Throws std::invalid_argument if lim.agreed_packet_size <= 32.
  explicit reassembler(limits lim);

  // A message once complete; nullopt while a chunked one is incomplete.
  // After an error the reassembler is dead and returns that error again.
  result<std::optional<message>> feed(byte_view packet);
  bool in_progress() const { return pending_.has_value(); }

 private:
  struct pending_message {
    outer_header header;
    bytes payload;  // bytes received so far
    bool first_chunk_short = false;
    std::uint64_t expected_chunk_count = 0;  // can reach 2^32 at packet size 33
    std::uint64_t next_index = 1;
  };

  result<std::optional<message>> feed_first(byte_view packet);
  result<std::optional<message>> feed_continuation(byte_view packet);
  result<std::optional<message>> complete(message m);
  result<std::optional<message>> fail(error e);

  limits limits_;
  std::optional<pending_message> pending_;
  std::optional<error> dead_;
};

// WE-10: unknown_message_id unless message_id is one the client sent.
status check_response_id(const std::unordered_set<std::uint64_t>& sent_ids,
                         std::uint64_t message_id);

}  // namespace netipc
