#include "netipc/wire.hpp"

#include <string>
#include <type_traits>

#include "byte_order.hpp"

namespace netipc {

using detail::le_reader;
using detail::put_le;

namespace {

std::string hex_u(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

std::string field_detail(std::string_view field, const std::string& expected,
                         std::uint64_t actual) {
  return std::string(field) + ": expected " + expected + ", got " + std::to_string(actual);
}

error truncated(std::string_view what, std::size_t need, std::size_t got) {
  return broke(rule::message_truncated, std::string(what) + ": expected at least " +
                                            std::to_string(need) + " bytes, got " +
                                            std::to_string(got));
}

// A record's fields in wire order, little-endian (their X-macro rows).
template <class Record>
bytes encode_record(const Record& record) {
  bytes out;
  out.reserve(packed_size<Record>());
  Record::each_field([&](const char*, auto member) { put_le(out, record.*member); });
  return out;
}

// The caller has checked that data holds packed_size<Record>() bytes.
template <class Record>
Record decode_record(byte_view data) {
  le_reader r(data);
  Record record;
  Record::each_field([&](const char*, auto member) {
    record.*member = r.read<std::remove_reference_t<decltype(record.*member)>>();
  });
  return record;
}

}  // namespace

std::string transport_status_name(transport_status status) {
  auto value = static_cast<std::uint16_t>(status);
  if (value < kStatusNames.size()) return std::string(kStatusNames[value]);
  return "UNKNOWN(" + std::to_string(value) + ")";
}

std::optional<transport_status> transport_status_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<transport_status>(i);
  }
  return std::nullopt;
}

bytes encode_outer_header(const outer_header& h) { return encode_record(h); }

result<outer_header> decode_outer_header(byte_view data) {
  if (data.size() < kHeaderLen) return truncated("outer header", kHeaderLen, data.size());
  return decode_record<outer_header>(data);
}

status check_outer_header(const outer_header& h, const std::optional<limits>& lim) {
  if (h.magic != kMagic) {
    return broke(rule::bad_magic, "magic: expected " + hex_u(kMagic) + ", got " + hex_u(h.magic));
  }
  if (h.version != kVersion) {
    return broke(rule::bad_version, field_detail("version", "1", h.version));
  }
  if (h.header_len != kHeaderLen) {
    return broke(rule::bad_header_len, field_detail("header_len", "32", h.header_len));
  }
  if (h.kind < kKindRequest || h.kind > kKindControl) {
    return broke(rule::bad_kind, field_detail("kind", "1, 2 or 3", h.kind));
  }
  if ((h.flags & ~kFlagBatch) != 0) {
    return broke(rule::bad_flags, "flags: expected only bit 0 (BATCH) set, got " + hex_u(h.flags));
  }
  bool batch = (h.flags & kFlagBatch) != 0;
  if (!batch && h.item_count != 1) {
    return broke(rule::bad_item_count,
                 field_detail("item_count", "1 (flags has no BATCH)", h.item_count));
  }
  if (batch && h.item_count < 1) {
    return broke(rule::bad_item_count,
                 field_detail("item_count", ">= 1 (flags has BATCH)", h.item_count));
  }
  if (lim) {
    if (h.payload_len > lim->max_payload_bytes) {
      return broke(rule::payload_over_limit,
                   field_detail("payload_len", "<= " + std::to_string(lim->max_payload_bytes),
                                h.payload_len));
    }
    if (h.item_count > lim->max_batch_items) {
      return broke(
          rule::item_count_over_limit,
          field_detail("item_count", "<= " + std::to_string(lim->max_batch_items), h.item_count));
    }
  }
  return success();
}

bytes encode_continuation_header(const continuation_header& h) { return encode_record(h); }

result<continuation_header> decode_continuation_header(byte_view data) {
  if (data.size() < kHeaderLen) return truncated("continuation header", kHeaderLen, data.size());
  return decode_record<continuation_header>(data);
}

status check_continuation_header(const continuation_header& h) {
  if (h.magic != kChunkMagic) {
    return broke(rule::bad_chunk_magic,
                 "magic: expected " + hex_u(kChunkMagic) + ", got " + hex_u(h.magic));
  }
  if (h.version != kVersion) {
    return broke(rule::bad_chunk_version, field_detail("version", "1", h.version));
  }
  if (h.flags != 0) {
    return broke(rule::bad_chunk_flags, field_detail("flags", "0", h.flags));
  }
  if (h.chunk_payload_len == 0) {
    return broke(rule::chunk_payload_empty, field_detail("chunk_payload_len", "> 0", 0));
  }
  if (h.chunk_index >= h.chunk_count) {
    return broke(rule::chunk_index_out_of_order,
                 field_detail("chunk_index", "< chunk_count " + std::to_string(h.chunk_count),
                              h.chunk_index));
  }
  return success();
}

bytes encode_hello(const hello& h) { return encode_record(h); }

result<hello> decode_hello(byte_view payload) {
  if (payload.size() != kHelloPayloadLen) {
    return broke(rule::hello_bad_payload_len,
                 field_detail("HELLO payload length", "44", payload.size()));
  }
  return decode_record<hello>(payload);
}

bytes encode_hello_ack(const hello_ack& a) { return encode_record(a); }

result<hello_ack> decode_hello_ack(byte_view payload) {
  if (payload.size() != kHelloAckPayloadLen) {
    return broke(rule::hello_ack_bad_payload_len,
                 field_detail("HELLO_ACK payload length", "48", payload.size()));
  }
  return decode_record<hello_ack>(payload);
}

namespace {

bytes control_message(std::uint16_t code, std::uint16_t status, std::uint64_t message_id,
                      const bytes& payload) {
  outer_header h;
  h.kind = kKindControl;
  h.code = code;
  h.transport_status = status;
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  h.item_count = 1;
  h.message_id = message_id;
  bytes out = encode_outer_header(h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// The checks shared by HELLO and HELLO_ACK: a valid outer header of a
// CONTROL message with this code, whose payload is exactly the rest.
result<outer_header> parse_control_header(byte_view message, std::uint16_t code,
                                          std::uint32_t payload_len, rule bad_payload_len) {
  auto h = decode_outer_header(message);
  if (!h) return h.err();
  if (auto ok = check_outer_header(*h); !ok) return ok.err();
  if (h->kind != kKindControl) {
    return broke(rule::control_wrong_kind, field_detail("kind", "3 (CONTROL)", h->kind));
  }
  if (h->code != code) {
    return broke(rule::control_wrong_code, field_detail("code", std::to_string(code), h->code));
  }
  if (h->payload_len != payload_len) {
    return broke(bad_payload_len,
                 field_detail("payload_len", std::to_string(payload_len), h->payload_len));
  }
  if (std::uint64_t{kHeaderLen} + h->payload_len != message.size()) {
    return broke(rule::message_length_mismatch,
                 field_detail("message length",
                              "32 + payload_len = " +
                                  std::to_string(kHeaderLen + std::uint64_t{h->payload_len}),
                              message.size()));
  }
  return h;
}

}  // namespace

bytes hello_message(const hello& h, std::uint64_t message_id) {
  return control_message(kCodeHello, 0, message_id, encode_hello(h));
}

bytes hello_ack_message(const hello_ack& a, transport_status status, std::uint64_t message_id) {
  return control_message(kCodeHelloAck, static_cast<std::uint16_t>(status), message_id,
                         encode_hello_ack(a));
}

result<hello> parse_hello_message(byte_view message) {
  auto h = parse_control_header(message, kCodeHello, kHelloPayloadLen, rule::hello_bad_payload_len);
  if (!h) return h.err();
  return decode_hello(message.subspan(kHeaderLen));
}

result<parsed_hello_ack> parse_hello_ack_message(byte_view message) {
  auto h = parse_control_header(message, kCodeHelloAck, kHelloAckPayloadLen,
                                rule::hello_ack_bad_payload_len);
  if (!h) return h.err();
  auto ack = decode_hello_ack(message.subspan(kHeaderLen));
  if (!ack) return ack.err();
  return parsed_hello_ack{static_cast<transport_status>(h->transport_status), *ack};
}

}  // namespace netipc
