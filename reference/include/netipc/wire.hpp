// The byte layouts of wire-envelope.md: outer header (1), continuation
// header (3.1), HELLO (4.1) and HELLO_ACK (4.2), little-endian on the wire.
// decode_* only parses; check_* applies the rules (WE-1, WE-3, WE-5, WE-6).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netipc/record.hpp"
#include "netipc/rules.hpp"

namespace netipc {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

inline constexpr std::uint32_t kMagic = 0x4E495043;       // "NIPC"
inline constexpr std::uint32_t kChunkMagic = 0x4E43484B;  // "NCHK"
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::uint32_t kHeaderLen = 32;
inline constexpr std::uint32_t kHelloPayloadLen = 44;
inline constexpr std::uint32_t kHelloAckPayloadLen = 48;

inline constexpr std::uint16_t kKindRequest = 1;
inline constexpr std::uint16_t kKindResponse = 2;
inline constexpr std::uint16_t kKindControl = 3;
inline constexpr std::uint16_t kFlagBatch = 0x0001;
inline constexpr std::uint16_t kCodeHello = 1;
inline constexpr std::uint16_t kCodeHelloAck = 2;

inline constexpr std::uint32_t kProfileNamedPipe = 0x01;
inline constexpr std::uint32_t kProfileShmHybrid = 0x02;
inline constexpr std::uint32_t kProfileShmBusywait = 0x04;
inline constexpr std::uint32_t kProfileShmWaitaddr = 0x08;

// wire-envelope.md 1.2; the enum's underlying type is the wire field, so any
// u16 read off the wire is representable (unknown values included).
enum class transport_status : std::uint16_t {
  ok = 0,
  bad_envelope = 1,
  auth_failed = 2,
  incompatible = 3,
  unsupported = 4,
  limit_exceeded = 5,
  internal_error = 6,
};

// Index = wire value (the Python STATUS_NAMES).
inline constexpr std::array<std::string_view, 7> kStatusNames = {
    "OK",          "BAD_ENVELOPE",   "AUTH_FAILED",   "INCOMPATIBLE",
    "UNSUPPORTED", "LIMIT_EXCEEDED", "INTERNAL_ERROR"};

// "OK" .. "INTERNAL_ERROR"; an unknown wire value reads "UNKNOWN(<n>)".
std::string transport_status_name(transport_status status);
// nullopt when the name is not one of kStatusNames.
std::optional<transport_status> transport_status_from_name(std::string_view name);

// X(type, name, initial value): one row per field, in wire order.
// Outer header (wire-envelope.md 1), 32 bytes.
#define NETIPC_OUTER_HEADER_FIELDS(X)      \
  X(std::uint32_t, magic, kMagic)          \
  X(std::uint16_t, version, kVersion)      \
  X(std::uint16_t, header_len, kHeaderLen) \
  X(std::uint16_t, kind, kKindRequest)     \
  X(std::uint16_t, flags, 0)               \
  X(std::uint16_t, code, 0)                \
  X(std::uint16_t, transport_status, 0)    \
  X(std::uint32_t, payload_len, 0)         \
  X(std::uint32_t, item_count, 1)          \
  X(std::uint64_t, message_id, 0)

// Continuation header (wire-envelope.md 3.1), 32 bytes.
#define NETIPC_CONTINUATION_HEADER_FIELDS(X) \
  X(std::uint32_t, magic, kChunkMagic)       \
  X(std::uint16_t, version, kVersion)        \
  X(std::uint16_t, flags, 0)                 \
  X(std::uint64_t, message_id, 0)            \
  X(std::uint32_t, total_message_len, 0)     \
  X(std::uint32_t, chunk_index, 0)           \
  X(std::uint32_t, chunk_count, 0)           \
  X(std::uint32_t, chunk_payload_len, 0)

// HELLO payload (wire-envelope.md 4.1), 44 bytes.
#define NETIPC_HELLO_FIELDS(X)                            \
  X(std::uint16_t, layout_version, 1)                     \
  X(std::uint16_t, flags, 0)                              \
  X(std::uint32_t, supported_profiles, kProfileNamedPipe) \
  X(std::uint32_t, preferred_profiles, kProfileNamedPipe) \
  X(std::uint32_t, max_request_payload_bytes, 1024)       \
  X(std::uint32_t, max_request_batch_items, 1)            \
  X(std::uint32_t, max_response_payload_bytes, 1024)      \
  X(std::uint32_t, max_response_batch_items, 1)           \
  X(std::uint32_t, padding, 0)                            \
  X(std::uint64_t, auth_token, 0)                         \
  X(std::uint32_t, packet_size, 65536)

// HELLO_ACK payload (wire-envelope.md 4.2), 48 bytes.
#define NETIPC_HELLO_ACK_FIELDS(X)                       \
  X(std::uint16_t, layout_version, 1)                    \
  X(std::uint16_t, flags, 0)                             \
  X(std::uint32_t, server_supported_profiles, 0)         \
  X(std::uint32_t, intersection_profiles, 0)             \
  X(std::uint32_t, selected_profile, 0)                  \
  X(std::uint32_t, agreed_max_request_payload_bytes, 0)  \
  X(std::uint32_t, agreed_max_request_batch_items, 0)    \
  X(std::uint32_t, agreed_max_response_payload_bytes, 0) \
  X(std::uint32_t, agreed_max_response_batch_items, 0)   \
  X(std::uint32_t, agreed_packet_size, 0)                \
  X(std::uint32_t, padding, 0)                           \
  X(std::uint64_t, session_id, 0)

// The limits of ONE receive direction of a session (not on the wire).
#define NETIPC_LIMITS_FIELDS(X)          \
  X(std::uint32_t, max_payload_bytes, 0) \
  X(std::uint32_t, max_batch_items, 0)   \
  X(std::uint32_t, agreed_packet_size, 0)

struct outer_header {
  NETIPC_RECORD(outer_header, NETIPC_OUTER_HEADER_FIELDS)
};

struct continuation_header {
  NETIPC_RECORD(continuation_header, NETIPC_CONTINUATION_HEADER_FIELDS)
};

struct hello {
  NETIPC_RECORD(hello, NETIPC_HELLO_FIELDS)
};

struct hello_ack {
  NETIPC_RECORD(hello_ack, NETIPC_HELLO_ACK_FIELDS)
};

struct limits {
  NETIPC_RECORD(limits, NETIPC_LIMITS_FIELDS)
};

static_assert(packed_size<outer_header>() == kHeaderLen);
static_assert(packed_size<continuation_header>() == kHeaderLen);
static_assert(packed_size<hello>() == kHelloPayloadLen);
static_assert(packed_size<hello_ack>() == kHelloAckPayloadLen);

bytes encode_outer_header(const outer_header& h);
// Parses the first 32 bytes; message_truncated when shorter.
result<outer_header> decode_outer_header(byte_view data);
// magic, version, header_len, kind, flags, item_count; with limits also
// payload_over_limit and item_count_over_limit.
status check_outer_header(const outer_header& h, const std::optional<limits>& lim = std::nullopt);

bytes encode_continuation_header(const continuation_header& h);
result<continuation_header> decode_continuation_header(byte_view data);
// magic, version, flags, chunk_payload_len > 0, chunk_index < chunk_count.
status check_continuation_header(const continuation_header& h);

bytes encode_hello(const hello& h);
result<hello> decode_hello(byte_view payload);  // exactly 44 bytes
bytes encode_hello_ack(const hello_ack& a);
result<hello_ack> decode_hello_ack(byte_view payload);  // exactly 48 bytes

// Whole control messages: outer header (CONTROL, item_count 1) + payload.
bytes hello_message(const hello& h, std::uint64_t message_id = 0);
bytes hello_ack_message(const hello_ack& a, transport_status status = transport_status::ok,
                        std::uint64_t message_id = 0);

result<hello> parse_hello_message(byte_view message);

struct parsed_hello_ack {
  transport_status status = transport_status::ok;
  hello_ack ack;
  bool operator==(const parsed_hello_ack&) const = default;
};
result<parsed_hello_ack> parse_hello_ack_message(byte_view message);

}  // namespace netipc
