// Writes the seed corpus, made from valid encodings by the core's own
// encoders: make_corpus DIR writes DIR/<target>/seed-<n>.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "netipc/batch.hpp"
#include "netipc/chunking.hpp"
#include "netipc/handshake.hpp"
#include "netipc/wire.hpp"

using namespace netipc;

namespace {

bool write_seeds(const std::string& dir, const std::string& target,
                 const std::vector<bytes>& seeds) {
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    std::string path = dir + "/" + target + "/seed-" + std::to_string(i);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
    if (!out) {
      std::cerr << "cannot write " << path << " (does the directory exist?)\n";
      return false;
    }
  }
  return true;
}

bytes message_of(outer_header h, const bytes& payload) {
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  bytes m = encode_outer_header(h);
  m.insert(m.end(), payload.begin(), payload.end());
  return m;
}

bytes pattern(std::size_t n) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i % 251);
  return out;
}

void append_u16(bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

// The fuzz_reassembler layout: limits, then length-prefixed packets.
bytes reassembler_seed(std::uint32_t packet_size, std::uint32_t max_payload, std::uint8_t items,
                       const std::vector<bytes>& packets) {
  bytes out;
  append_u16(out, packet_size - 33);
  out.push_back(static_cast<std::uint8_t>(max_payload));
  out.push_back(static_cast<std::uint8_t>(max_payload >> 8));
  out.push_back(static_cast<std::uint8_t>(max_payload >> 16));
  out.push_back(items);
  for (const bytes& p : packets) {
    append_u16(out, p.size());
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus DIR (DIR/<target>/ must exist)\n";
    return 2;
  }
  std::string dir = argv[1];

  outer_header request;
  request.code = 3;
  request.message_id = 1;
  outer_header batch = request;
  batch.kind = kKindResponse;
  batch.flags = kFlagBatch;
  batch.item_count = 3;
  std::vector<bytes> items = {pattern(5), bytes{}, pattern(17)};
  bytes batch_payload = build_batch(items);

  hello offer;
  offer.supported_profiles = 0x0F;
  offer.preferred_profiles = 0x02;
  offer.max_request_batch_items = 4;
  offer.packet_size = 4096;
  server_config server;
  server.supported_profiles = 0x03;
  session_counter counter;
  hello_ack accepted = decide_handshake(server, offer, counter).ack;
  hello bad = offer;
  bad.auth_token = 5;
  decision rejected = decide_handshake(server, bad, counter);

  bytes request_msg = message_of(request, pattern(100));
  auto chunked = plan_chunks(request_msg, 64);
  bytes batch_msg = message_of(batch, batch_payload);

  bool ok = true;
  bytes header_with_limits = encode_outer_header(batch);
  header_with_limits.insert(header_with_limits.end(), {0, 4, 0, 0, 8, 0, 0, 0});
  ok &= write_seeds(
      dir, "fuzz_outer_header",
      {encode_outer_header(request), batch_msg, hello_message(offer, 2), header_with_limits});
  ok &= write_seeds(dir, "fuzz_continuation_header", {chunked[1], chunked[3]});
  ok &= write_seeds(dir, "fuzz_hello",
                    {encode_hello(offer), encode_hello(hello{}), hello_message(offer, 9)});
  ok &= write_seeds(dir, "fuzz_hello_ack",
                    {encode_hello_ack(accepted), hello_ack_message(accepted),
                     hello_ack_message(rejected.ack, rejected.status, 4)});
  bytes batch_seed = {3, 0};
  batch_seed.insert(batch_seed.end(), batch_payload.begin(), batch_payload.end());
  bytes single_seed = {1, 0};
  bytes one = build_batch(std::vector<bytes>{pattern(9)});
  single_seed.insert(single_seed.end(), one.begin(), one.end());
  ok &= write_seeds(dir, "fuzz_batch", {batch_seed, single_seed});
  ok &= write_seeds(dir, "fuzz_reassembler",
                    {reassembler_seed(64, 1024, 1, chunked),
                     reassembler_seed(4096, 1024, 4, {batch_msg, request_msg}),
                     reassembler_seed(33, 200, 4, plan_chunks(batch_msg, 33))});
  return ok ? 0 : 1;
}
