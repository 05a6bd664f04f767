// Echo through the reference server at chunking boundaries (NP-14, WE-3,
// WE-4), many clients at once (NP-18), pipelining and batches (WE-9, WE-2).
#include <gtest/gtest.h>

#include <set>

#include "test_support.hpp"

namespace netipc::win32::testing {
namespace {

struct echo_case {
  std::uint32_t packet_size;
  std::uint32_t payload_size;
};

std::string case_name(const ::testing::TestParamInfo<echo_case>& info) {
  return "packet" + std::to_string(info.param.packet_size) + "_payload" +
         std::to_string(info.param.payload_size);
}

// 0, 1, budget-1, budget, budget+1 and a large message per packet size. At
// packet size 33 (budget 1) a MiB is a million packets each way, minutes
// under Wine: 16 KiB (16384 packets) makes the same point there.
std::vector<echo_case> echo_cases() {
  std::vector<echo_case> out;
  for (std::uint32_t packet : {33u, 64u, 4096u, 65536u}) {
    std::uint32_t budget = packet - kHeaderLen;
    std::uint32_t large = packet == 33 ? 16384 : kMiB;
    // At packet size 33, 0 and 1 are budget-1 and budget too: listed once.
    std::set<std::uint32_t> sizes{0u, 1u, budget - 1, budget, budget + 1, large};
    for (std::uint32_t size : sizes) out.push_back({packet, size});
  }
  return out;
}

class Echo : public ::testing::TestWithParam<echo_case> {};

// The request goes out through the reference client's chunking; the echo is
// read packet by packet here, so the server's chunking is checked too.
TEST_P(Echo, EveryBoundarySizeComesBackChunkedAsPlanned) {
  const echo_case& c = GetParam();
  std::string run_dir = unique_run_dir();
  server_config config = big_config(c.packet_size);
  background_server server(run_dir, config, 1, 60s);
  ASSERT_TRUE(server.started()) << server.open_failure;

  auto session = connect_session(run_dir, "svc", 10s);
  ASSERT_TRUE(session.ok()) << session.fail().detail;
  auto answer = request_handshake(session.value(), hello_for(config));
  ASSERT_TRUE(answer.ok()) << answer.fail().detail;
  ASSERT_FALSE(answer->broken.has_value());
  ASSERT_EQ(answer->ack.agreed_packet_size, c.packet_size);

  echo_plan plan{c.payload_size, 1};
  bytes request = make_request(plan, 42);
  ASSERT_TRUE(session->send_message(request).ok());

  reassembler echo(limits{2 * kMiB, 16, c.packet_size});
  std::uint64_t packets = 0;
  std::optional<message> got;
  while (!got) {
    auto packet = session->read_packet();
    ASSERT_TRUE(packet.ok()) << packet.fail().detail;
    ASSERT_LE(packet->size(), c.packet_size);
    ++packets;
    auto fed = echo.feed(packet.value());
    ASSERT_TRUE(fed.ok()) << rule_name(fed.err().which) << ": " << fed.err().detail;
    got = std::move(fed.value());
  }
  EXPECT_EQ(packets, chunk_count(c.payload_size, c.packet_size));
  EXPECT_FALSE(got->first_chunk_short);
  EXPECT_EQ(got->header.kind, kKindResponse);
  EXPECT_EQ(got->header.message_id, 42u);
  EXPECT_TRUE(std::equal(got->payload.begin(), got->payload.end(), request.begin() + kHeaderLen,
                         request.end()));
  EXPECT_EQ(got->payload.size(), c.payload_size);
  session->close();

  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  EXPECT_TRUE(served.sessions[0].clean()) << served.sessions[0].end.detail;
  EXPECT_EQ(served.sessions[0].echoed, 1u);
}

INSTANTIATE_TEST_SUITE_P(ChunkBoundaries, Echo, ::testing::ValuesIn(echo_cases()), case_name);

TEST(Echo, SixtyFourConcurrentClientsGetUniqueSessionIds) {
  constexpr int kClients = 64;
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  background_server server(run_dir, config, kClients, 30s);
  ASSERT_TRUE(server.started()) << server.open_failure;

  std::vector<client_run> runs(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto options = client_options(run_dir, hello_for(config));
      options.wait = 30s;
      runs[i] = run_echo_client(options, echo_plan{5000, 3});
    });
  }
  for (auto& t : clients) t.join();

  std::set<std::uint64_t> ids;
  for (const client_run& run : runs) {
    EXPECT_TRUE(run.ok()) << run.end.detail;
    EXPECT_EQ(run.echoes_ok, 3u);
    if (run.handshake) ids.insert(run.handshake->ack.session_id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), static_cast<std::uint64_t>(kClients));
  const server_run& served = server.finish();
  EXPECT_EQ(served.sessions.size(), static_cast<std::size_t>(kClients));
  for (const session_end& end : served.sessions) EXPECT_TRUE(end.clean()) << end.end.detail;
}

TEST(Echo, PipelinedLargeRequestsInBothDirectionsDoNotDeadlock) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  background_server server(run_dir, config, 1, 30s);
  ASSERT_TRUE(server.started()) << server.open_failure;
  auto options = client_options(run_dir, hello_for(config));
  client_run run = run_echo_client(options, echo_plan{200000, 12, 6});
  EXPECT_TRUE(run.ok()) << run.end.detail;
  EXPECT_EQ(run.echoes_ok, 12u);
}

TEST(Echo, BatchesComeBackItemForItem) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(64);
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  echo_plan plan{13, 4};
  plan.batch_items = 5;
  plan.pipeline = 2;
  client_run run = run_echo_client(client_options(run_dir, hello_for(config)), plan);
  EXPECT_TRUE(run.ok()) << run.end.detail;
  EXPECT_EQ(run.echoes_ok, 4u);
}

TEST(Echo, PayloadAboveTheAgreedResponseLimitIsAnsweredLimitExceeded) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.max_response_payload_bytes = 100;
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  hello h = hello_for(config);
  h.max_response_payload_bytes = 100;
  client_run run = run_echo_client(client_options(run_dir, h), echo_plan{101, 1});
  EXPECT_EQ(run.end.reason, close_reason::closed) << run.end.detail;
  EXPECT_EQ(run.echoes_bad, 1u);  // answered, but with LIMIT_EXCEEDED and no payload
}

}  // namespace
}  // namespace netipc::win32::testing
