#include "netipc/chunking.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "netipc/batch.hpp"

namespace netipc {

namespace {

constexpr std::uint64_t kReassemblyReserveCap = 16u << 20;

void require_packet_size(std::uint32_t agreed_packet_size) {
  if (agreed_packet_size <= kHeaderLen) {
    throw std::invalid_argument("agreed_packet_size: expected > 32, got " +
                                std::to_string(agreed_packet_size));
  }
}

std::uint64_t ceil_div(std::uint64_t n, std::uint64_t d) { return (n + d - 1) / d; }

std::string mismatch(std::string_view field, std::uint64_t expected, std::uint64_t actual) {
  return std::string(field) + ": expected " + std::to_string(expected) + ", got " +
         std::to_string(actual);
}

}  // namespace

std::uint64_t chunk_count(std::uint64_t payload_len, std::uint32_t agreed_packet_size) {
  require_packet_size(agreed_packet_size);
  if (kHeaderLen + payload_len <= agreed_packet_size) return 1;
  std::uint64_t budget = agreed_packet_size - kHeaderLen;
  return 1 + ceil_div(payload_len - budget, budget);
}

std::vector<bytes> plan_chunks(byte_view message, std::uint32_t agreed_packet_size) {
  require_packet_size(agreed_packet_size);
  auto header = decode_outer_header(message);
  if (!header) throw std::invalid_argument("plan_chunks: " + header.err().detail);
  if (std::uint64_t{kHeaderLen} + header->payload_len != message.size()) {
    throw std::invalid_argument("plan_chunks: " +
                                mismatch("message length (32 + payload_len)",
                                         kHeaderLen + std::uint64_t{header->payload_len},
                                         message.size()));
  }
  if (message.size() > UINT32_MAX) {
    throw std::invalid_argument("plan_chunks: total_message_len does not fit a u32");
  }
  if (message.size() <= agreed_packet_size) return {bytes(message.begin(), message.end())};

  std::size_t budget = agreed_packet_size - kHeaderLen;
  std::uint64_t count = chunk_count(header->payload_len, agreed_packet_size);
  std::vector<bytes> packets;
  packets.reserve(count);
  packets.emplace_back(message.begin(), message.begin() + kHeaderLen + budget);
  byte_view rest = message.subspan(kHeaderLen + budget);
  for (std::uint32_t index = 1; !rest.empty(); ++index) {
    std::size_t len = std::min(budget, rest.size());
    continuation_header c;
    c.message_id = header->message_id;
    c.total_message_len = static_cast<std::uint32_t>(message.size());
    c.chunk_index = index;
    c.chunk_count = static_cast<std::uint32_t>(count);
    c.chunk_payload_len = static_cast<std::uint32_t>(len);
    bytes packet = encode_continuation_header(c);
    packet.insert(packet.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(len));
    packets.push_back(std::move(packet));
    rest = rest.subspan(len);
  }
  return packets;
}

reassembler::reassembler(limits lim) : limits_(lim) { require_packet_size(lim.agreed_packet_size); }

result<std::optional<message>> reassembler::feed(byte_view packet) {
  if (dead_) return *dead_;
  if (packet.size() > limits_.agreed_packet_size) {
    return fail(broke(rule::packet_over_size, mismatch("packet length (at most agreed_packet_size)",
                                                       limits_.agreed_packet_size, packet.size())));
  }
  return pending_ ? feed_continuation(packet) : feed_first(packet);
}

result<std::optional<message>> reassembler::feed_first(byte_view packet) {
  auto h = decode_outer_header(packet);
  if (!h) return fail(h.err());
  if (h->magic == kChunkMagic) {
    return fail(broke(rule::continuation_without_first,
                      "magic: expected an outer header (0x4e495043) first, got a continuation "
                      "header (0x4e43484b) with no message in progress"));
  }
  if (auto ok = check_outer_header(*h, limits_); !ok) return fail(ok.err());

  std::uint64_t total = kHeaderLen + std::uint64_t{h->payload_len};
  byte_view payload = packet.subspan(kHeaderLen);
  if (total <= limits_.agreed_packet_size) {
    if (packet.size() != total) {
      return fail(broke(rule::message_length_mismatch,
                        mismatch("message length (32 + payload_len)", total, packet.size())));
    }
    return complete(message{*h, bytes(payload.begin(), payload.end()), false});
  }
  // Chunked: WE-4 asks for a full first chunk; a shorter one is accepted and
  // reported, and the chunk count follows from what actually arrived.
  std::uint64_t budget = limits_.agreed_packet_size - kHeaderLen;
  pending_message p;
  p.header = *h;
  // One allocation for the whole message instead of a regrowth every few
  // chunks; capped, because payload_len is only as trustworthy as the limits.
  p.payload.reserve(std::min<std::uint64_t>(h->payload_len, kReassemblyReserveCap));
  p.payload.assign(payload.begin(), payload.end());
  p.first_chunk_short = payload.size() < budget;
  p.expected_chunk_count = 1 + ceil_div(h->payload_len - payload.size(), budget);
  pending_ = std::move(p);
  return std::optional<message>{};
}

result<std::optional<message>> reassembler::feed_continuation(byte_view packet) {
  auto c = decode_continuation_header(packet);
  if (!c) return fail(c.err());
  pending_message& p = *pending_;
  std::uint64_t total = kHeaderLen + std::uint64_t{p.header.payload_len};
  std::uint64_t budget = limits_.agreed_packet_size - kHeaderLen;
  std::uint64_t remaining = p.header.payload_len - p.payload.size();
  std::uint64_t carried = packet.size() - kHeaderLen;

  if (c->magic == kMagic) {
    return fail(broke(rule::chunk_interleaved,
                      "magic: expected a continuation (0x4e43484b) of message_id " +
                          std::to_string(p.header.message_id) +
                          ", got a new outer header (0x4e495043)"));
  }
  if (c->magic != kChunkMagic) {
    return fail(
        broke(rule::bad_chunk_magic, mismatch("continuation magic", kChunkMagic, c->magic)));
  }
  if (c->version != kVersion) {
    return fail(broke(rule::bad_chunk_version, mismatch("continuation version", 1, c->version)));
  }
  if (c->flags != 0) {
    return fail(broke(rule::bad_chunk_flags, mismatch("continuation flags", 0, c->flags)));
  }
  if (c->message_id != p.header.message_id) {
    return fail(broke(rule::chunk_message_id_mismatch,
                      mismatch("message_id", p.header.message_id, c->message_id)));
  }
  if (c->total_message_len != total) {
    return fail(broke(rule::chunk_total_len_mismatch,
                      mismatch("total_message_len", total, c->total_message_len)));
  }
  if (c->chunk_count != p.expected_chunk_count) {
    return fail(broke(rule::chunk_count_mismatch,
                      mismatch("chunk_count", p.expected_chunk_count, c->chunk_count)));
  }
  if (c->chunk_index != p.next_index) {
    return fail(broke(rule::chunk_index_out_of_order,
                      mismatch("chunk_index", p.next_index, c->chunk_index)));
  }
  if (c->chunk_payload_len == 0) {
    return fail(broke(rule::chunk_payload_empty, mismatch("chunk_payload_len (> 0)", 1, 0)));
  }
  if (c->chunk_payload_len != carried) {
    return fail(broke(
        rule::chunk_payload_len_mismatch,
        mismatch("chunk_payload_len (bytes after the header)", carried, c->chunk_payload_len)));
  }
  // Unreachable while packet_over_size is checked first (carried <= budget);
  // kept so the rule holds even if that order changes.
  if (c->chunk_payload_len > budget) {
    return fail(
        broke(rule::chunk_payload_over_budget,
              mismatch("chunk_payload_len (at most the budget)", budget, c->chunk_payload_len)));
  }
  if (c->chunk_payload_len > remaining) {
    return fail(broke(rule::chunk_payload_over_remaining,
                      mismatch("chunk_payload_len (at most the bytes remaining)", remaining,
                               c->chunk_payload_len)));
  }
  byte_view data = packet.subspan(kHeaderLen);
  p.payload.insert(p.payload.end(), data.begin(), data.end());
  ++p.next_index;
  if (c->chunk_index + std::uint64_t{1} < p.expected_chunk_count) return std::optional<message>{};

  if (p.payload.size() != p.header.payload_len) {
    return fail(
        broke(rule::chunk_payload_len_mismatch,
              "last chunk " + std::to_string(c->chunk_index) + ": " +
                  mismatch("payload bytes received", p.header.payload_len, p.payload.size())));
  }
  message m{p.header, std::move(p.payload), p.first_chunk_short};
  pending_.reset();
  return complete(std::move(m));
}

result<std::optional<message>> reassembler::complete(message m) {
  if (m.header.flags & kFlagBatch) {
    auto items = extract_batch(m.payload, m.header.item_count);
    if (!items) return fail(items.err());
  }
  return std::optional<message>{std::move(m)};
}

result<std::optional<message>> reassembler::fail(error e) {
  dead_ = e;
  return e;
}

status check_response_id(const std::unordered_set<std::uint64_t>& sent_ids,
                         std::uint64_t message_id) {
  if (sent_ids.contains(message_id)) return success();
  return broke(rule::unknown_message_id, "message_id: expected one of the " +
                                             std::to_string(sent_ids.size()) + " ids sent, got " +
                                             std::to_string(message_id));
}

}  // namespace netipc
