#include "netipc/handshake.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace netipc {
namespace {

using test::broke_rule;
using test::succeeded;

TEST(SessionCounter, StartsAtOneAndGrowsByOne) {
  session_counter c;
  EXPECT_EQ(c.peek(), 1u);
  EXPECT_EQ(c.allocate(), 1u);
  EXPECT_EQ(c.allocate(), 2u);
  EXPECT_EQ(c.peek(), 3u);
  session_counter later(41);
  EXPECT_EQ(later.allocate(), 41u);
}

TEST(Decide, DefaultsAreAcceptedWithSessionOne) {
  session_counter c;
  decision d = decide_handshake(server_config{}, hello{}, c);
  EXPECT_EQ(d.status, transport_status::ok);
  EXPECT_FALSE(d.rule.has_value());
  hello_ack want;
  want.server_supported_profiles = 1;
  want.intersection_profiles = 1;
  want.selected_profile = 1;
  want.agreed_max_request_payload_bytes = 1024;
  want.agreed_max_request_batch_items = 1;
  want.agreed_max_response_payload_bytes = 1024;
  want.agreed_max_response_batch_items = 1;
  want.agreed_packet_size = 65536;
  want.session_id = 1;
  EXPECT_EQ(d.ack, want);
  EXPECT_EQ(c.peek(), 2u);
}

TEST(Decide, SelectedIsHighestSharedPreferredElseHighestShared) {
  session_counter c;
  server_config s;
  s.supported_profiles = 0x07;
  s.preferred_profiles = 0x06;
  hello h;
  h.supported_profiles = 0x0F;
  h.preferred_profiles = 0x02;
  decision d = decide_handshake(s, h, c);
  ASSERT_EQ(d.status, transport_status::ok);
  EXPECT_EQ(d.ack.server_supported_profiles, 0x07u);
  EXPECT_EQ(d.ack.intersection_profiles, 0x07u);
  EXPECT_EQ(d.ack.selected_profile, 0x02u);
  h.preferred_profiles = 0x08;  // nothing preferred by both and shared
  d = decide_handshake(s, h, c);
  EXPECT_EQ(d.ack.selected_profile, 0x04u);
  h.preferred_profiles = 0x06;
  d = decide_handshake(s, h, c);
  EXPECT_EQ(d.ack.selected_profile, 0x04u);
}

TEST(Decide, LimitsEchoedMinimisedAndMaximised) {
  session_counter c;
  server_config s;
  s.max_request_payload_bytes = 8192;
  s.max_response_payload_bytes = 4096;
  s.packet_size = 2048;
  hello h;
  h.max_request_payload_bytes = 8192;  // at the server's limit
  h.max_request_batch_items = 17;
  h.max_response_payload_bytes = 100;
  h.max_response_batch_items = 3;  // a hint the decision ignores
  h.packet_size = 65536;
  decision d = decide_handshake(s, h, c);
  ASSERT_EQ(d.status, transport_status::ok);
  EXPECT_EQ(d.ack.agreed_max_request_payload_bytes, 8192u);
  EXPECT_EQ(d.ack.agreed_max_request_batch_items, 17u);
  EXPECT_EQ(d.ack.agreed_max_response_batch_items, 17u);
  EXPECT_EQ(d.ack.agreed_max_response_payload_bytes, 4096u);
  EXPECT_EQ(d.ack.agreed_packet_size, 2048u);
  h.max_response_payload_bytes = 1 << 20;
  h.packet_size = 1000;
  d = decide_handshake(s, h, c);
  EXPECT_EQ(d.ack.agreed_max_response_payload_bytes, 1u << 20);
  EXPECT_EQ(d.ack.agreed_packet_size, 1000u);
}

// Checks a rejection: its status and rule, the ack shape, and no id used.
void expect_rejected(const server_config& s, const hello& h, transport_status status, rule why) {
  session_counter c(5);
  decision d = decide_handshake(s, h, c);
  EXPECT_EQ(d.status, status) << transport_status_name(d.status);
  ASSERT_TRUE(d.rule.has_value());
  EXPECT_EQ(*d.rule, why) << rule_name(*d.rule);
  hello_ack want;
  want.server_supported_profiles = s.supported_profiles;
  EXPECT_EQ(d.ack, want);
  EXPECT_EQ(c.peek(), 5u) << "a rejection allocated a session id";
}

TEST(Decide, EachRejectionRowHasItsStatus) {
  server_config s;
  s.auth_token = 99;
  s.supported_profiles = 0x03;
  hello good;
  good.auth_token = 99;

  hello h = good;
  h.layout_version = 2;
  expect_rejected(s, h, transport_status::incompatible, rule::hello_bad_layout_version);
  h = good;
  h.flags = 1;
  expect_rejected(s, h, transport_status::bad_envelope, rule::hello_nonzero_flags);
  h = good;
  h.padding = 0x80000000;
  expect_rejected(s, h, transport_status::bad_envelope, rule::hello_nonzero_padding);
  h = good;
  h.auth_token = 98;
  expect_rejected(s, h, transport_status::auth_failed, rule::auth_token_mismatch);
  h = good;
  h.supported_profiles = 0x0C;
  expect_rejected(s, h, transport_status::unsupported, rule::no_common_profile);
  h = good;
  h.max_request_payload_bytes = 1025;
  expect_rejected(s, h, transport_status::limit_exceeded, rule::request_payload_over_server_limit);
  h = good;
  h.packet_size = 32;
  expect_rejected(s, h, transport_status::incompatible, rule::packet_size_too_small);
  h.packet_size = 0;
  expect_rejected(s, h, transport_status::incompatible, rule::packet_size_too_small);
}

TEST(Decide, PacketSizeThirtyThreeIsTheSmallestAccepted) {
  session_counter c;
  hello h;
  h.packet_size = 33;
  decision d = decide_handshake(server_config{}, h, c);
  ASSERT_EQ(d.status, transport_status::ok);
  EXPECT_EQ(d.ack.agreed_packet_size, 33u);
  server_config small;
  small.packet_size = 32;  // the server's own size counts too
  expect_rejected(small, hello{}, transport_status::incompatible, rule::packet_size_too_small);
}

TEST(Decide, RowsAreCheckedInContractOrder) {
  server_config s;
  s.auth_token = 1;
  hello all_bad;
  all_bad.layout_version = 0;
  all_bad.flags = 1;
  all_bad.padding = 1;
  all_bad.auth_token = 2;
  all_bad.supported_profiles = 0x02;
  all_bad.max_request_payload_bytes = 5000;
  all_bad.packet_size = 10;
  const rule order[] = {rule::hello_bad_layout_version, rule::hello_nonzero_flags,
                        rule::hello_nonzero_padding,    rule::auth_token_mismatch,
                        rule::no_common_profile,        rule::request_payload_over_server_limit,
                        rule::packet_size_too_small};
  hello h = all_bad;
  for (rule expected : order) {
    session_counter c;
    decision d = decide_handshake(s, h, c);
    ASSERT_TRUE(d.rule.has_value());
    EXPECT_EQ(rule_name(*d.rule), rule_name(expected));
    switch (expected) {  // repair this row so the next one shows
      case rule::hello_bad_layout_version:
        h.layout_version = 1;
        break;
      case rule::hello_nonzero_flags:
        h.flags = 0;
        break;
      case rule::hello_nonzero_padding:
        h.padding = 0;
        break;
      case rule::auth_token_mismatch:
        h.auth_token = 1;
        break;
      case rule::no_common_profile:
        h.supported_profiles = 0x03;
        break;
      case rule::request_payload_over_server_limit:
        h.max_request_payload_bytes = 1024;
        break;
      default:
        h.packet_size = 33;
        break;
    }
  }
  session_counter c;
  EXPECT_EQ(decide_handshake(s, h, c).status, transport_status::ok);
}

TEST(Decide, CounterAllocatesOnlyOnSuccess) {
  session_counter c;
  hello bad;
  bad.flags = 1;
  EXPECT_EQ(decide_handshake(server_config{}, hello{}, c).ack.session_id, 1u);
  EXPECT_EQ(decide_handshake(server_config{}, bad, c).ack.session_id, 0u);
  EXPECT_EQ(decide_handshake(server_config{}, bad, c).ack.session_id, 0u);
  EXPECT_EQ(decide_handshake(server_config{}, hello{}, c).ack.session_id, 2u);
  EXPECT_EQ(c.peek(), 3u);
}

struct ack_case {
  hello h;
  hello_ack ack;
};

ack_case accepted() {
  ack_case k;
  k.h.supported_profiles = 0x03;
  k.h.preferred_profiles = 0x02;
  k.h.max_request_batch_items = 4;
  k.h.packet_size = 4096;
  server_config s;
  s.supported_profiles = 0x07;
  s.preferred_profiles = 0x02;
  session_counter c;
  decision d = decide_handshake(s, k.h, c);
  EXPECT_EQ(d.status, transport_status::ok);
  k.ack = d.ack;
  return k;
}

TEST(CheckHelloAck, TheServerDecisionPasses) {
  auto k = accepted();
  EXPECT_TRUE(succeeded(check_hello_ack(k.h, transport_status::ok, k.ack)));
}

TEST(CheckHelloAck, EveryAcceptedDecisionPassesTheClientCheck) {
  // Property: whatever the server accepts, a conforming client accepts too.
  for (std::uint32_t client = 1; client < 16; ++client) {
    for (std::uint32_t server = 1; server < 16; ++server) {
      for (std::uint32_t packet : {33u, 64u, 65536u, 0xFFFFFFFFu}) {
        hello h;
        h.supported_profiles = client;
        h.preferred_profiles = client >> 1;
        h.packet_size = packet;
        h.max_request_batch_items = client;
        server_config s;
        s.supported_profiles = server;
        s.preferred_profiles = server & 0x0A;
        session_counter c;
        decision d = decide_handshake(s, h, c);
        if (d.status != transport_status::ok) {
          EXPECT_EQ(client & server, 0u);
          continue;
        }
        EXPECT_TRUE(succeeded(check_hello_ack(h, d.status, d.ack)))
            << client << " " << server << " " << packet;
      }
    }
  }
}

TEST(CheckHelloAck, EachBrokenFieldIsNamed) {
  const auto k = accepted();
  auto check = [&](void (*edit)(hello_ack&), rule expected) {
    hello_ack ack = k.ack;
    edit(ack);
    EXPECT_TRUE(broke_rule(check_hello_ack(k.h, transport_status::ok, ack), expected));
  };
  EXPECT_TRUE(
      broke_rule(check_hello_ack(k.h, transport_status::auth_failed, k.ack), rule::ack_rejected));
  EXPECT_TRUE(broke_rule(check_hello_ack(k.h, static_cast<transport_status>(12), k.ack),
                         rule::ack_rejected));
  check([](hello_ack& a) { a.layout_version = 2; }, rule::ack_bad_layout_version);
  check([](hello_ack& a) { a.flags = 4; }, rule::ack_nonzero_flags);
  check([](hello_ack& a) { a.padding = 1; }, rule::ack_nonzero_padding);
  check([](hello_ack& a) { a.agreed_max_response_batch_items = 5; }, rule::ack_batch_items_differ);
  check([](hello_ack& a) { a.intersection_profiles = 0x07; }, rule::ack_intersection_wrong);
  check([](hello_ack& a) { a.selected_profile = 0; }, rule::ack_profile_not_offered);
  check([](hello_ack& a) { a.selected_profile = 0x03; }, rule::ack_profile_not_offered);
  check([](hello_ack& a) { a.selected_profile = 0x04; }, rule::ack_profile_not_offered);
  check([](hello_ack& a) { a.agreed_packet_size = 32; }, rule::ack_packet_size_too_small);
  check([](hello_ack& a) { a.agreed_packet_size = 4097; }, rule::ack_packet_size_over_proposal);
  check([](hello_ack& a) { a.agreed_max_request_payload_bytes = 1025; },
        rule::ack_request_payload_over_proposal);
  check([](hello_ack& a) { a.session_id = 0; }, rule::ack_session_id_zero);
}

TEST(CheckHelloAck, BoundariesThatPass) {
  auto k = accepted();
  k.ack.agreed_packet_size = 33;
  EXPECT_TRUE(succeeded(check_hello_ack(k.h, transport_status::ok, k.ack)));
  k.ack.agreed_packet_size = 4096;
  k.ack.agreed_max_request_payload_bytes = 1;  // less than proposed is allowed
  k.ack.selected_profile = 0x01;
  k.ack.intersection_profiles = 0;
  EXPECT_TRUE(succeeded(check_hello_ack(k.h, transport_status::ok, k.ack)));
}

}  // namespace
}  // namespace netipc
