// The reassembler fed arbitrary packet sequences. Input layout:
//   u16 packet_size - 33 | u24 max_payload_bytes | u8 max_batch_items |
//   then packets, each a u16 length prefix and that many bytes.
// Also plans the leftover bytes as one message and reassembles the plan.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_check.hpp"
#include "netipc/chunking.hpp"

using namespace netipc;

namespace {

void feed_packets(const limits& lim, byte_view rest) {
  reassembler r(lim);
  std::optional<error> failed;
  while (rest.size() >= 2) {
    std::size_t len = rest[0] | rest[1] << 8;
    rest = rest.subspan(2);
    if (len > rest.size()) len = rest.size();
    byte_view packet = rest.first(len);
    rest = rest.subspan(len);
    auto got = r.feed(packet);
    if (failed) {
      // Dead: the same error again, whatever arrives.
      NETIPC_FUZZ_CHECK(!got.ok() && got.err().which == failed->which &&
                        got.err().detail == failed->detail);
      continue;
    }
    if (!got) {
      failed = got.err();
      NETIPC_FUZZ_CHECK(rule_name(failed->which) != "unknown_rule" && !failed->detail.empty());
      continue;
    }
    NETIPC_FUZZ_CHECK(packet.size() <= lim.agreed_packet_size);
    if (got->has_value()) {
      const message& m = **got;
      NETIPC_FUZZ_CHECK(m.payload.size() == m.header.payload_len);
      NETIPC_FUZZ_CHECK(m.header.payload_len <= lim.max_payload_bytes);
      NETIPC_FUZZ_CHECK(m.header.item_count <= lim.max_batch_items);
      NETIPC_FUZZ_CHECK(check_outer_header(m.header, lim).ok());
      NETIPC_FUZZ_CHECK(!r.in_progress());
    } else {
      NETIPC_FUZZ_CHECK(r.in_progress());
    }
  }
}

void plan_round_trip(std::uint32_t packet_size, byte_view payload) {
  outer_header h;
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  h.message_id = payload.size() * 7919u;
  bytes m = encode_outer_header(h);
  m.insert(m.end(), payload.begin(), payload.end());
  auto packets = plan_chunks(m, packet_size);
  NETIPC_FUZZ_CHECK(packets.size() == chunk_count(payload.size(), packet_size));
  reassembler r(limits{h.payload_len, 1, packet_size});
  for (std::size_t i = 0; i < packets.size(); ++i) {
    NETIPC_FUZZ_CHECK(packets[i].size() <= packet_size);
    auto got = r.feed(packets[i]);
    NETIPC_FUZZ_CHECK(got.ok());
    NETIPC_FUZZ_CHECK(got->has_value() == (i + 1 == packets.size()));
    if (got->has_value()) {
      NETIPC_FUZZ_CHECK((*got)->header == h && !(*got)->first_chunk_short);
      NETIPC_FUZZ_CHECK(std::equal(payload.begin(), payload.end(), (*got)->payload.begin(),
                                   (*got)->payload.end()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  limits lim;
  // Packet sizes 33..1056 keep chunk counts high and inputs small.
  lim.agreed_packet_size = 33 + ((data[0] | data[1] << 8) % 1024);
  lim.max_payload_bytes = data[2] | data[3] << 8 | data[4] << 16;
  lim.max_batch_items = data[5];
  byte_view rest(data + 6, size - 6);
  feed_packets(lim, rest);
  // At packet size 33 every payload byte is a packet: keep the plan short.
  plan_round_trip(lim.agreed_packet_size, rest.first(std::min<std::size_t>(rest.size(), 512)));
  return 0;
}
