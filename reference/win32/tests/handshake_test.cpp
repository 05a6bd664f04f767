// The handshake over a real pipe: the server's answers follow the core's
// decision (WE-7, WE-8, NP-12), a rejection is followed by the close, and the
// SHM promise of NP-11 holds both ways.
#include <gtest/gtest.h>

#include <functional>

#include "netipc/names.hpp"
#include "test_support.hpp"

namespace netipc::win32::testing {
namespace {

// A client that sends one crafted first message and reads the answer.
struct raw_answer {
  transport_status status = transport_status::ok;
  hello_ack ack;
  failure after;  // what the next read gave: the server's close
};

raw_answer send_first_message(const std::string& run_dir, const bytes& first) {
  auto session = connect_session(run_dir, "svc", 5s);
  EXPECT_TRUE(session.ok()) << (session ? "" : session.fail().detail);
  raw_answer answer;
  if (!session) return answer;
  EXPECT_TRUE(session->write_packet(first).ok());
  auto reply = session->read_packet();
  EXPECT_TRUE(reply.ok()) << (reply ? "" : reply.fail().detail);
  if (!reply) return answer;
  auto parsed = parse_hello_ack_message(reply.value());
  EXPECT_TRUE(parsed.ok());
  if (!parsed) return answer;
  answer.status = parsed->status;
  answer.ack = parsed->ack;
  auto next = session->read_packet();
  EXPECT_FALSE(next.ok()) << "the server sent more after its rejection";
  if (!next) answer.after = next.fail();
  return answer;
}

TEST(Handshake, AcceptedAckFollowsTheCoreDecision) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.auth_token = 0xDEADBEEFCAFEBABE;
  config.max_response_payload_bytes = 512;
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;

  hello proposal = hello_for(config);
  proposal.packet_size = 65536;
  proposal.max_request_payload_bytes = 2048;
  proposal.max_request_batch_items = 3;
  proposal.max_response_payload_bytes = 1024;
  client_run run = run_echo_client(client_options(run_dir, proposal), echo_plan{});
  EXPECT_TRUE(run.ok()) << run.end.detail;
  ASSERT_TRUE(run.handshake.has_value());

  session_counter fresh;
  decision expected = decide_handshake(config, proposal, fresh);
  EXPECT_EQ(run.handshake->status, transport_status::ok);
  EXPECT_EQ(run.handshake->ack, expected.ack);
  EXPECT_EQ(run.handshake->ack.session_id, 1u);
  EXPECT_EQ(run.handshake->ack.agreed_packet_size, 4096u);

  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  EXPECT_TRUE(served.sessions[0].clean()) << served.sessions[0].end.detail;
  EXPECT_EQ(served.sessions[0].echoed, 1u);
}

struct rejection_case {
  const char* name;
  std::function<void(hello&)> spoil;
  transport_status status;
  rule why;
};

class Rejection : public ::testing::TestWithParam<rejection_case> {};

TEST_P(Rejection, AnsweredWithTheStatusThenClosed) {
  const rejection_case& c = GetParam();
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.auth_token = 77;
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;

  hello h = hello_for(config);
  c.spoil(h);
  raw_answer answer = send_first_message(run_dir, hello_message(h, 5));
  EXPECT_EQ(answer.status, c.status);
  EXPECT_EQ(answer.ack.session_id, 0u);
  EXPECT_EQ(answer.ack.server_supported_profiles, config.supported_profiles);
  EXPECT_EQ(answer.after.reason, close_reason::disconnected) << answer.after.detail;

  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  const session_end& end = served.sessions[0];
  EXPECT_EQ(end.end.reason, close_reason::rejected);
  ASSERT_TRUE(end.end.rule.has_value());
  EXPECT_EQ(rule_name(end.end.rule->which), rule_name(c.why));
}

INSTANTIATE_TEST_SUITE_P(
    EachStatus, Rejection,
    ::testing::Values(
        rejection_case{"layout_version", [](hello& h) { h.layout_version = 2; },
                       transport_status::incompatible, rule::hello_bad_layout_version},
        rejection_case{"flags", [](hello& h) { h.flags = 1; }, transport_status::bad_envelope,
                       rule::hello_nonzero_flags},
        rejection_case{"padding", [](hello& h) { h.padding = 9; }, transport_status::bad_envelope,
                       rule::hello_nonzero_padding},
        rejection_case{"auth_token", [](hello& h) { h.auth_token = 78; },
                       transport_status::auth_failed, rule::auth_token_mismatch},
        rejection_case{"no_common_profile", [](hello& h) { h.supported_profiles = 0x10; },
                       transport_status::unsupported, rule::no_common_profile},
        rejection_case{"request_payload",
                       [](hello& h) { h.max_request_payload_bytes = 2 * kMiB + 1; },
                       transport_status::limit_exceeded, rule::request_payload_over_server_limit},
        rejection_case{"packet_size_32", [](hello& h) { h.packet_size = 32; },
                       transport_status::incompatible, rule::packet_size_too_small}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Handshake, PacketSize33IsTheSmallestAccepted) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(65536);
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  hello h = hello_for(config);
  h.packet_size = 33;
  client_run run = run_echo_client(client_options(run_dir, h), echo_plan{100, 2});
  EXPECT_TRUE(run.ok()) << run.end.detail;
  ASSERT_TRUE(run.handshake.has_value());
  EXPECT_EQ(run.handshake->ack.agreed_packet_size, 33u);
  EXPECT_EQ(run.echoes_ok, 2u);
}

TEST(Handshake, FirstMessageThatIsNoHelloGetsBadEnvelope) {
  std::string run_dir = unique_run_dir();
  background_server server(run_dir, big_config(4096), 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  bytes first = hello_message(hello{}, 1);
  first[0] ^= 0xFF;  // magic
  raw_answer answer = send_first_message(run_dir, first);
  EXPECT_EQ(answer.status, transport_status::bad_envelope);
  EXPECT_EQ(answer.after.reason, close_reason::disconnected);
  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  EXPECT_EQ(served.sessions[0].end.reason, close_reason::protocol);
  ASSERT_TRUE(served.sessions[0].end.rule.has_value());
  EXPECT_EQ(served.sessions[0].end.rule->which, rule::bad_magic);
}

TEST(Handshake, SessionIdsCountFromOneAcrossSessions) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  background_server server(run_dir, config, 4);
  ASSERT_TRUE(server.started()) << server.open_failure;
  hello good = hello_for(config);
  hello bad = good;
  bad.auth_token = 1;
  std::vector<std::uint64_t> ids;
  for (const hello* h : {&good, &bad, &good, &good}) {
    client_run run = run_echo_client(client_options(run_dir, *h), echo_plan{});
    ASSERT_TRUE(run.handshake.has_value());
    ids.push_back(run.handshake->ack.session_id);
  }
  // WE-8: a rejection allocates no id.
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 0, 2, 3}));
}

TEST(Shm, ObjectsExistWhenTheAckArrives) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.supported_profiles = 0x0F;
  config.preferred_profiles = 0x02;
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;

  hello h = hello_for(config);
  h.supported_profiles = 0x03;
  h.preferred_profiles = 0x02;
  struct watcher : client_observer {
    void shm(const shm_object_names& names, std::uint64_t,
             const std::optional<failure>& why_not) override {
      seen = names;
      attached = !why_not;
    }
    shm_object_names seen;
    bool attached = false;
  } watch;
  client_run run = run_echo_client(client_options(run_dir, h), echo_plan{}, &watch);
  EXPECT_TRUE(run.ok()) << run.end.detail;
  ASSERT_TRUE(run.handshake.has_value());
  EXPECT_EQ(run.handshake->ack.selected_profile, 0x02u);
  EXPECT_TRUE(watch.attached);
  auto expected = shm_names(run_dir, "svc", config.auth_token, 2, 1);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(watch.seen, expected.value());
}

TEST(Shm, UnpreparedObjectsMakeTheClientReconnectWithoutShm) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.supported_profiles = 0x03;
  config.preferred_profiles = 0x02;
  background_server server(run_dir, config, 2, 10s, /*shm_prepare=*/false);
  ASSERT_TRUE(server.started()) << server.open_failure;

  hello h = hello_for(config);
  struct watcher : client_observer {
    void shm(const shm_object_names&, std::uint64_t,
             const std::optional<failure>& why_not) override {
      failures += why_not ? 1 : 0;
    }
    void reconnecting(const hello& proposal) override { retried_with = proposal; }
    int failures = 0;
    std::optional<hello> retried_with;
  } watch;
  client_run run = run_echo_client(client_options(run_dir, h), echo_plan{}, &watch);
  EXPECT_TRUE(run.ok()) << run.end.detail;
  EXPECT_EQ(watch.failures, 1);
  ASSERT_TRUE(watch.retried_with.has_value());
  EXPECT_EQ(watch.retried_with->supported_profiles, kProfileNamedPipe);
  ASSERT_TRUE(run.handshake.has_value());
  EXPECT_EQ(run.handshake->ack.selected_profile, kProfileNamedPipe);
  EXPECT_EQ(run.handshake->ack.session_id, 2u);
  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 2u);
  EXPECT_EQ(served.sessions[0].end.reason, close_reason::disconnected);
}

TEST(Shm, ObjectsThatCannotBeCreatedGiveInternalError) {
  std::string run_dir = unique_run_dir();
  server_config config = big_config(4096);
  config.supported_profiles = 0x03;
  config.preferred_profiles = 0x02;
  // Someone else already holds the mapping name session 1 would get.
  auto names = shm_names(run_dir, "svc", config.auth_token, 2, 1);
  ASSERT_TRUE(names.ok());
  handle squatter(::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, 4096,
                                       widen(names->mapping).c_str()));
  ASSERT_TRUE(squatter.valid());
  background_server server(run_dir, config, 1);
  ASSERT_TRUE(server.started()) << server.open_failure;
  raw_answer answer = send_first_message(run_dir, hello_message(hello_for(config)));
  EXPECT_EQ(answer.status, transport_status::internal_error);
  EXPECT_EQ(answer.ack.session_id, 0u);
  const server_run& served = server.finish();
  ASSERT_EQ(served.sessions.size(), 1u);
  EXPECT_EQ(served.sessions[0].end.win32_code, static_cast<DWORD>(ERROR_ALREADY_EXISTS));
}

}  // namespace
}  // namespace netipc::win32::testing
