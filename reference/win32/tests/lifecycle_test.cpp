// Ends of sessions and waits: disconnects are graceful closes (NP-17), rule
// breaks are protocol failures naming the rule, deadlines fire, and the
// server stays reachable and fair while clients misbehave (NP-18).
#include <gtest/gtest.h>

#include "netipc/names.hpp"
#include "test_support.hpp"

namespace netipc::win32::testing {
namespace {

using steady = std::chrono::steady_clock;

// A client that has finished its handshake and drives the session by hand.
pipe_session handshaken(const std::string& run_dir, const server_config& config) {
  auto session = connect_session(run_dir, "svc", 10s);
  EXPECT_TRUE(session.ok()) << (session ? "" : session.fail().detail);
  if (!session) std::abort();  // nothing below can run without it
  auto answer = request_handshake(session.value(), hello_for(config));
  EXPECT_TRUE(answer.ok() && !answer->broken);
  return std::move(session).value();
}

TEST(Disconnect, MidChunkLeavesTheOthersServed) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(64);
  background_server server(run_dir, config, 4);
  ASSERT_TRUE(server.started()) << server.open_failure;

  pipe_session leaver = handshaken(run_dir, config);
  auto packets = plan_chunks(make_request(echo_plan{1000, 1}, 1), 64);
  ASSERT_GT(packets.size(), 3u);
  ASSERT_TRUE(leaver.write_packet(packets[0]).ok());
  ASSERT_TRUE(leaver.write_packet(packets[1]).ok());

  std::vector<std::thread> others;
  std::vector<client_run> runs(3);
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&, i] {
      runs[i] = run_echo_client(client_options(run_dir, hello_for(config)), echo_plan{300, 5});
    });
  }
  leaver.close();
  for (auto& t : others) t.join();
  for (const client_run& run : runs) EXPECT_TRUE(run.ok()) << run.end.detail;

  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 4u);
  const session_end& left = served.sessions[0];
  EXPECT_EQ(left.end.reason, close_reason::disconnected) << left.end.detail;
  EXPECT_EQ(left.end.win32_code, static_cast<DWORD>(ERROR_BROKEN_PIPE));
  EXPECT_TRUE(left.mid_message);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(served.sessions[i].clean());
}

TEST(Disconnect, SilentClientDoesNotHoldUpTheOthers) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  background_server server(run_dir, config, 2, 20s);
  ASSERT_TRUE(server.started()) << server.open_failure;
  pipe_session silent = handshaken(run_dir, config);

  auto started = steady::now();
  client_run run = run_echo_client(client_options(run_dir, hello_for(config)), echo_plan{64, 20});
  EXPECT_TRUE(run.ok()) << run.end.detail;
  EXPECT_LT(steady::now() - started, 5s) << "the active client waited for the silent one";
  silent.close();
  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 2u);
  EXPECT_TRUE(served.sessions[0].clean()) << served.sessions[0].end.detail;
}

TEST(Disconnect, WriteToAGoneClientIsAGracefulClose) {
  std::string run_dir = unique_run_dir();
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  auto l = listener::open(widen(name.value()), 4096);
  ASSERT_TRUE(l.ok()) << l.fail().detail;
  auto client = connect_session(run_dir, "svc", 5s);
  ASSERT_TRUE(client.ok());
  auto accepted = l->accept(steady::now() + 5s);
  ASSERT_TRUE(accepted.ok());
  pipe_session server_end(std::move(accepted).value(), 2s);
  client->close();
  done written = server_end.write_packet(bytes(10, 1));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.fail().reason, close_reason::disconnected);
  EXPECT_EQ(written.fail().win32_code, static_cast<DWORD>(ERROR_NO_DATA));
  auto read = server_end.read_packet();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.fail().reason, close_reason::disconnected);
}

TEST(Protocol, BrokenChunkSequenceEndsTheSessionNamingTheRule) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(64);
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  pipe_session client = handshaken(run_dir, config);
  auto packets = plan_chunks(make_request(echo_plan{200, 1}, 9), 64);
  ASSERT_TRUE(client.write_packet(packets[0]).ok());
  ASSERT_TRUE(client.write_packet(packets[2]).ok());  // index 2 where 1 belongs
  auto after = client.read_packet();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.fail().reason, close_reason::disconnected);
  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  EXPECT_EQ(served.sessions[0].end.reason, close_reason::protocol);
  ASSERT_TRUE(served.sessions[0].end.rule.has_value());
  EXPECT_EQ(served.sessions[0].end.rule->which, rule::chunk_index_out_of_order);
}

TEST(Protocol, AnswerToAnIdNeverSentIsAProtocolViolation) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  auto l = listener::open(widen(name.value()), 4096);
  ASSERT_TRUE(l.ok());
  // A server that answers with the wrong message_id (WE-9 broken).
  std::thread liar([&] {
    auto pipe = l->accept(steady::now() + 10s);
    if (!pipe) return;
    pipe_session session(std::move(pipe).value(), 10s);
    shared_session_counter counter;
    server_handshake_options options{config, run_dir, "svc", true};
    if (!serve_handshake(session, options, counter)) return;
    auto request = session.receive_message();
    if (!request) return;
    outer_header h = request->header;
    h.kind = kKindResponse;
    h.message_id += 100;
    bytes response = encode_outer_header(h);
    response.insert(response.end(), request->payload.begin(), request->payload.end());
    (void)session.send_message(response);
    (void)session.read_packet();  // until the client leaves
  });
  client_run run = run_echo_client(client_options(run_dir, hello_for(config)), echo_plan{10, 1});
  liar.join();
  EXPECT_EQ(run.end.reason, close_reason::protocol);
  ASSERT_TRUE(run.end.rule.has_value());
  EXPECT_EQ(run.end.rule->which, rule::unknown_message_id);
}

TEST(Deadline, ReadWithNoDataTimesOutAndLosesNothing) {
  std::string run_dir = unique_run_dir();
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  auto l = listener::open(widen(name.value()), 4096);
  ASSERT_TRUE(l.ok());
  auto client = connect_session(run_dir, "svc", 5s);
  ASSERT_TRUE(client.ok());
  auto accepted = l->accept(steady::now() + 5s);
  ASSERT_TRUE(accepted.ok());
  pipe_session server_end(std::move(accepted).value(), 300ms);
  auto started = steady::now();
  auto read = server_end.read_packet();
  auto took = steady::now() - started;
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.fail().reason, close_reason::timeout);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  // Cancelled, not broken: a message sent afterwards arrives whole.
  ASSERT_TRUE(client->write_packet(bytes{4, 5, 6}).ok());
  auto later = server_end.read_packet();
  ASSERT_TRUE(later.ok()) << later.fail().detail;
  EXPECT_EQ(later.value(), (bytes{4, 5, 6}));
}

TEST(Deadline, ConnectToAMissingNameTimesOut) {
  std::string run_dir = unique_run_dir();
  auto started = steady::now();
  auto session = connect_session(run_dir, "nobody-listens", 300ms);
  auto took = steady::now() - started;
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.fail().reason, close_reason::timeout);
  EXPECT_EQ(session.fail().win32_code, static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
}

TEST(Deadline, AcceptWithNoClientTimesOut) {
  std::string run_dir = unique_run_dir();
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  auto l = listener::open(widen(name.value()), 4096);
  ASSERT_TRUE(l.ok());
  auto accepted = l->accept(steady::now() + 200ms);
  ASSERT_FALSE(accepted.ok());
  EXPECT_EQ(accepted.fail().reason, close_reason::timeout);
}

TEST(Listener, AnotherInstanceListensRightAfterEachAccept) {
  std::string run_dir = unique_run_dir();
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  std::wstring wide = widen(name.value());
  auto l = listener::open(wide, 4096);
  ASSERT_TRUE(l.ok());
  std::vector<pipe_session> clients;
  std::vector<handle> accepted;
  for (int i = 0; i < 5; ++i) {
    auto client = connect_session(run_dir, "svc", 5s);
    ASSERT_TRUE(client.ok());
    clients.push_back(std::move(client).value());
    auto pipe = l->accept(steady::now() + 5s);
    ASSERT_TRUE(pipe.ok()) << pipe.fail().detail;
    accepted.push_back(std::move(pipe).value());
    // NP-18: a free instance exists at once, without waiting.
    EXPECT_EQ(probe_pipe_name(wide, 1), static_cast<DWORD>(ERROR_SUCCESS)) << "after accept " << i;
  }
}

TEST(Listener, PipeIsMessageTypeWithBuffersOfThePacketSize) {
  std::string run_dir = unique_run_dir();
  auto name = pipe_name(run_dir, "svc");
  ASSERT_TRUE(name.ok());
  auto l = listener::open(widen(name.value()), 12345);
  ASSERT_TRUE(l.ok());
  auto client = connect_session(run_dir, "svc", 5s);
  ASSERT_TRUE(client.ok());
  DWORD flags = 0, out_size = 0, in_size = 0, instances = 0;
  ASSERT_TRUE(::GetNamedPipeInfo(client->native(), &flags, &out_size, &in_size, &instances));
  EXPECT_TRUE(flags & PIPE_TYPE_MESSAGE);  // NP-1
  EXPECT_EQ(in_size, 12345u);              // NP-13
  EXPECT_EQ(out_size, 12345u);
  // Back-to-back messages stay separate (NP-1).
  auto pipe = l->accept(steady::now() + 5s);
  ASSERT_TRUE(pipe.ok());
  pipe_session server_end(std::move(pipe).value(), 5s);
  // The last one is larger than the pipe buffer: its write waits for the read.
  bool written = false;
  std::thread writer([&] {
    written = client->write_packet(bytes{1, 2, 3}).ok() && client->write_packet(bytes{}).ok() &&
              client->write_packet(bytes(70000, 7)).ok();
  });
  auto first = server_end.read_packet();
  auto second = server_end.read_packet();
  auto third = server_end.read_packet();  // larger than the first read buffer: ERROR_MORE_DATA
  writer.join();
  EXPECT_TRUE(written);
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_EQ(first.value(), (bytes{1, 2, 3}));
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(third.value(), bytes(70000, 7));
}

}  // namespace
}  // namespace netipc::win32::testing
