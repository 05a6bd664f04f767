// Throughput of the reference core (Google Benchmark): the encode/decode and
// reassembly paths every message takes, so a slowdown of the core shows.
// Figures, not assertions: compare runs on the same machine.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "netipc/chunking.hpp"
#include "netipc/handshake.hpp"
#include "netipc/wire.hpp"

namespace {

using namespace netipc;

bytes request_of(std::size_t payload_len) {
  outer_header h;
  h.kind = kKindRequest;
  h.code = 3;
  h.message_id = 7;
  h.payload_len = static_cast<std::uint32_t>(payload_len);
  bytes message = encode_outer_header(h);
  message.resize(message.size() + payload_len, 0x5a);
  return message;
}

void outer_header_round_trip(benchmark::State& state) {
  bytes message = request_of(64);
  for (auto _ : state) {
    auto header = decode_outer_header(message);
    benchmark::DoNotOptimize(check_outer_header(header.value()));
    benchmark::DoNotOptimize(encode_outer_header(header.value()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(outer_header_round_trip);

void handshake_decision(benchmark::State& state) {
  server_config config;
  bytes wire = hello_message(hello{});
  session_counter counter;
  for (auto _ : state) {
    auto parsed = parse_hello_message(wire);
    benchmark::DoNotOptimize(decide_handshake(config, parsed.value(), counter));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(handshake_decision);

void plan_chunks_of(benchmark::State& state) {
  bytes message = request_of(static_cast<std::size_t>(state.range(0)));
  auto packet = static_cast<std::uint32_t>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(plan_chunks(message, packet));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(plan_chunks_of)->Args({65536, 4096})->Args({1 << 20, 65536})->Args({1 << 20, 64});

void reassemble(benchmark::State& state) {
  bytes message = request_of(static_cast<std::size_t>(state.range(0)));
  auto packet = static_cast<std::uint32_t>(state.range(1));
  std::vector<bytes> packets = plan_chunks(message, packet);
  limits lim{1u << 21, 1, packet};
  for (auto _ : state) {
    reassembler r(lim);
    for (const bytes& p : packets) benchmark::DoNotOptimize(r.feed(p));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(reassemble)->Args({65536, 4096})->Args({1 << 20, 65536})->Args({1 << 20, 64});

}  // namespace

BENCHMARK_MAIN();
