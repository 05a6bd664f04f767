#include "netipc/wire.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace netipc {
namespace {

using test::broke_rule;
using test::from_hex;
using test::succeeded;
using test::to_hex;

outer_header sample_header() {
  outer_header h;
  h.kind = kKindResponse;
  h.flags = kFlagBatch;
  h.code = 0x0304;
  h.transport_status = 5;
  h.payload_len = 0x11223344;
  h.item_count = 7;
  h.message_id = 0x0102030405060708;
  return h;
}

TEST(OuterHeader, EncodesLittleEndianAtTheContractOffsets) {
  EXPECT_EQ(to_hex(encode_outer_header(sample_header())),
            "4350494e"
            "0100"
            "2000"
            "0200"
            "0100"
            "0403"
            "0500"
            "44332211"
            "07000000"
            "0807060504030201");
}

TEST(OuterHeader, DecodeOfEncodeIsIdentity) {
  auto h = sample_header();
  auto decoded = decode_outer_header(encode_outer_header(h));
  ASSERT_TRUE(succeeded(decoded));
  EXPECT_EQ(*decoded, h);
}

TEST(OuterHeader, DecodeNeedsThirtyTwoBytesAndReadsOnlyThem) {
  bytes b = encode_outer_header(sample_header());
  EXPECT_TRUE(broke_rule(decode_outer_header(byte_view(b).first(31)), rule::message_truncated));
  EXPECT_TRUE(broke_rule(decode_outer_header(bytes{}), rule::message_truncated));
  b.push_back(0xEE);
  auto decoded = decode_outer_header(b);
  ASSERT_TRUE(succeeded(decoded));
  EXPECT_EQ(*decoded, sample_header());
}

TEST(OuterHeader, DefaultHeaderPassesTheChecks) {
  EXPECT_TRUE(succeeded(check_outer_header(outer_header{})));
  EXPECT_TRUE(succeeded(check_outer_header(sample_header())));
}

TEST(OuterHeader, MagicVersionAndHeaderLen) {
  outer_header h;
  h.magic = kChunkMagic;
  EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_magic));
  h.magic = kMagic + 1;
  EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_magic));
  h.version = 2;  // magic still wrong: checked first
  EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_magic));
  h = outer_header{};
  for (std::uint16_t v : {0, 2, 0x100}) {
    h.version = v;
    EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_version)) << v;
  }
  h = outer_header{};
  for (std::uint16_t len : {0, 31, 33, 0x2000}) {
    h.header_len = len;
    EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_header_len)) << len;
  }
}

TEST(OuterHeader, KindMustBeRequestResponseOrControl) {
  outer_header h;
  for (std::uint16_t kind : {1, 2, 3}) {
    h.kind = kind;
    EXPECT_TRUE(succeeded(check_outer_header(h))) << kind;
  }
  for (std::uint16_t kind : {0, 4, 0xFFFF}) {
    h.kind = kind;
    EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_kind)) << kind;
  }
}

TEST(OuterHeader, OnlyTheBatchFlagMayBeSet) {
  outer_header h;
  h.flags = kFlagBatch;
  EXPECT_TRUE(succeeded(check_outer_header(h)));
  for (std::uint16_t flags : {0x0002, 0x0003, 0x8000, 0xFFFF}) {
    h.flags = flags;
    EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_flags)) << flags;
  }
}

TEST(OuterHeader, ItemCountIsOneWithoutBatchAndAtLeastOneWithIt) {
  outer_header h;
  for (std::uint32_t n : {0u, 2u, 0xFFFFFFFFu}) {
    h.item_count = n;
    EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_item_count)) << n;
  }
  h.flags = kFlagBatch;
  h.item_count = 0;
  EXPECT_TRUE(broke_rule(check_outer_header(h), rule::bad_item_count));
  for (std::uint32_t n : {1u, 2u, 1000u}) {
    h.item_count = n;
    EXPECT_TRUE(succeeded(check_outer_header(h))) << n;
  }
}

TEST(OuterHeader, DirectionalLimitsAtAndOverTheBoundary) {
  limits lim{1024, 4, 65536};
  outer_header h;
  h.payload_len = 1024;
  EXPECT_TRUE(succeeded(check_outer_header(h, lim)));
  h.payload_len = 1025;
  EXPECT_TRUE(broke_rule(check_outer_header(h, lim), rule::payload_over_limit));
  EXPECT_TRUE(succeeded(check_outer_header(h))) << "without limits no payload bound applies";
  h.payload_len = 0;
  h.flags = kFlagBatch;
  h.item_count = 4;
  EXPECT_TRUE(succeeded(check_outer_header(h, lim)));
  h.item_count = 5;
  EXPECT_TRUE(broke_rule(check_outer_header(h, lim), rule::item_count_over_limit));
  h.payload_len = 1025;  // both over: the payload is checked first
  EXPECT_TRUE(broke_rule(check_outer_header(h, lim), rule::payload_over_limit));
}

continuation_header sample_continuation() {
  continuation_header c;
  c.message_id = 0x1122334455667788;
  c.total_message_len = 0x01020304;
  c.chunk_index = 2;
  c.chunk_count = 9;
  c.chunk_payload_len = 0x0A0B;
  return c;
}

TEST(ContinuationHeader, EncodesLittleEndianAtTheContractOffsets) {
  EXPECT_EQ(to_hex(encode_continuation_header(sample_continuation())),
            "4b48434e"
            "0100"
            "0000"
            "8877665544332211"
            "04030201"
            "02000000"
            "09000000"
            "0b0a0000");
}

TEST(ContinuationHeader, DecodeOfEncodeIsIdentityAndShortInputIsTruncated) {
  auto c = sample_continuation();
  bytes b = encode_continuation_header(c);
  auto decoded = decode_continuation_header(b);
  ASSERT_TRUE(succeeded(decoded));
  EXPECT_EQ(*decoded, c);
  EXPECT_TRUE(succeeded(check_continuation_header(*decoded)));
  EXPECT_TRUE(
      broke_rule(decode_continuation_header(byte_view(b).first(31)), rule::message_truncated));
}

TEST(ContinuationHeader, EachCheckNamesItsRule) {
  auto c = sample_continuation();
  c.magic = kMagic;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::bad_chunk_magic));
  c = sample_continuation();
  c.version = 0;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::bad_chunk_version));
  c = sample_continuation();
  c.flags = 1;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::bad_chunk_flags));
  c = sample_continuation();
  c.chunk_payload_len = 0;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::chunk_payload_empty));
  c = sample_continuation();
  c.chunk_index = c.chunk_count;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::chunk_index_out_of_order));
  c.chunk_index = c.chunk_count - 1;
  EXPECT_TRUE(succeeded(check_continuation_header(c)));
  c.chunk_count = 0;
  c.chunk_index = 0;
  EXPECT_TRUE(broke_rule(check_continuation_header(c), rule::chunk_index_out_of_order));
}

hello sample_hello() {
  hello h;
  h.supported_profiles = 0x0F;
  h.preferred_profiles = 0x02;
  h.max_request_payload_bytes = 0x1000;
  h.max_request_batch_items = 3;
  h.max_response_payload_bytes = 0x2000;
  h.max_response_batch_items = 3;
  h.auth_token = 0xDEADBEEFCAFEBABE;
  h.packet_size = 65536;
  return h;
}

TEST(Hello, EncodesFortyFourBytesAtTheContractOffsets) {
  EXPECT_EQ(to_hex(encode_hello(sample_hello())),
            "0100"
            "0000"
            "0f000000"
            "02000000"
            "00100000"
            "03000000"
            "00200000"
            "03000000"
            "00000000"
            "bebafecaefbeadde"
            "00000100");
}

TEST(Hello, DecodeOfEncodeIsIdentityAndLengthIsExact) {
  bytes b = encode_hello(sample_hello());
  auto decoded = decode_hello(b);
  ASSERT_TRUE(succeeded(decoded));
  EXPECT_EQ(*decoded, sample_hello());
  EXPECT_TRUE(broke_rule(decode_hello(byte_view(b).first(43)), rule::hello_bad_payload_len));
  b.push_back(0);
  EXPECT_TRUE(broke_rule(decode_hello(b), rule::hello_bad_payload_len));
}

hello_ack sample_ack() {
  hello_ack a;
  a.server_supported_profiles = 0x03;
  a.intersection_profiles = 0x03;
  a.selected_profile = 0x02;
  a.agreed_max_request_payload_bytes = 0x1000;
  a.agreed_max_request_batch_items = 3;
  a.agreed_max_response_payload_bytes = 0x2000;
  a.agreed_max_response_batch_items = 3;
  a.agreed_packet_size = 4096;
  a.session_id = 0x0000000100000002;
  return a;
}

TEST(HelloAck, EncodesFortyEightBytesAtTheContractOffsets) {
  EXPECT_EQ(to_hex(encode_hello_ack(sample_ack())),
            "0100"
            "0000"
            "03000000"
            "03000000"
            "02000000"
            "00100000"
            "03000000"
            "00200000"
            "03000000"
            "00100000"
            "00000000"
            "0200000001000000");
}

TEST(HelloAck, DecodeOfEncodeIsIdentityAndLengthIsExact) {
  bytes b = encode_hello_ack(sample_ack());
  auto decoded = decode_hello_ack(b);
  ASSERT_TRUE(succeeded(decoded));
  EXPECT_EQ(*decoded, sample_ack());
  EXPECT_TRUE(
      broke_rule(decode_hello_ack(byte_view(b).first(47)), rule::hello_ack_bad_payload_len));
  b.push_back(0);
  EXPECT_TRUE(broke_rule(decode_hello_ack(b), rule::hello_ack_bad_payload_len));
}

TEST(HelloMessage, IsAControlHeaderThenThePayload) {
  bytes m = hello_message(sample_hello(), 42);
  ASSERT_EQ(m.size(), 76u);
  auto h = decode_outer_header(m);
  ASSERT_TRUE(succeeded(h));
  EXPECT_EQ(h->kind, kKindControl);
  EXPECT_EQ(h->code, kCodeHello);
  EXPECT_EQ(h->payload_len, 44u);
  EXPECT_EQ(h->item_count, 1u);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->transport_status, 0);
  EXPECT_EQ(h->message_id, 42u);
  auto parsed = parse_hello_message(m);
  ASSERT_TRUE(succeeded(parsed));
  EXPECT_EQ(*parsed, sample_hello());
}

// Rewrites one header field of a valid HELLO message.
bytes hello_with(void (*edit)(outer_header&)) {
  bytes m = hello_message(sample_hello());
  auto h = *decode_outer_header(m);
  edit(h);
  bytes head = encode_outer_header(h);
  std::copy(head.begin(), head.end(), m.begin());
  return m;
}

TEST(HelloMessage, EachBrokenRuleIsNamed) {
  bytes m = hello_message(sample_hello());
  EXPECT_TRUE(broke_rule(parse_hello_message(byte_view(m).first(20)), rule::message_truncated));
  EXPECT_TRUE(broke_rule(parse_hello_message(hello_with([](outer_header& h) { h.magic = 0; })),
                         rule::bad_magic));
  EXPECT_TRUE(broke_rule(parse_hello_message(hello_with([](outer_header& h) { h.version = 3; })),
                         rule::bad_version));
  EXPECT_TRUE(
      broke_rule(parse_hello_message(hello_with([](outer_header& h) { h.kind = kKindRequest; })),
                 rule::control_wrong_kind));
  EXPECT_TRUE(
      broke_rule(parse_hello_message(hello_with([](outer_header& h) { h.code = kCodeHelloAck; })),
                 rule::control_wrong_code));
  EXPECT_TRUE(
      broke_rule(parse_hello_message(hello_with([](outer_header& h) { h.payload_len = 45; })),
                 rule::hello_bad_payload_len));
  bytes longer = m;
  longer.push_back(0);
  EXPECT_TRUE(broke_rule(parse_hello_message(longer), rule::message_length_mismatch));
  EXPECT_TRUE(
      broke_rule(parse_hello_message(byte_view(m).first(75)), rule::message_length_mismatch));
  // Header and length agree on 40 bytes: the HELLO payload length is wrong.
  bytes short_hello = hello_with([](outer_header& h) { h.payload_len = 40; });
  short_hello.resize(72);
  EXPECT_TRUE(broke_rule(parse_hello_message(short_hello), rule::hello_bad_payload_len));
  // A HELLO_ACK is not a HELLO.
  EXPECT_TRUE(
      broke_rule(parse_hello_message(hello_ack_message(sample_ack())), rule::control_wrong_code));
}

TEST(HelloAckMessage, CarriesTheStatusAndRoundTrips) {
  bytes m = hello_ack_message(sample_ack(), transport_status::limit_exceeded, 9);
  ASSERT_EQ(m.size(), 80u);
  auto h = decode_outer_header(m);
  ASSERT_TRUE(succeeded(h));
  EXPECT_EQ(h->code, kCodeHelloAck);
  EXPECT_EQ(h->transport_status, 5);
  EXPECT_EQ(h->message_id, 9u);
  auto parsed = parse_hello_ack_message(m);
  ASSERT_TRUE(succeeded(parsed));
  EXPECT_EQ(parsed->status, transport_status::limit_exceeded);
  EXPECT_EQ(parsed->ack, sample_ack());
}

TEST(HelloAckMessage, EachBrokenRuleIsNamed) {
  bytes m = hello_ack_message(sample_ack());
  EXPECT_TRUE(broke_rule(parse_hello_ack_message(byte_view(m).first(31)), rule::message_truncated));
  EXPECT_TRUE(
      broke_rule(parse_hello_ack_message(hello_message(sample_hello())), rule::control_wrong_code));
  bytes wrong_len = hello_message(sample_hello());
  wrong_len[12] = kCodeHelloAck;  // a HELLO_ACK whose payload is 44 bytes
  EXPECT_TRUE(broke_rule(parse_hello_ack_message(wrong_len), rule::hello_ack_bad_payload_len));
  m[8] = kKindResponse;
  EXPECT_TRUE(broke_rule(parse_hello_ack_message(m), rule::control_wrong_kind));
  m[8] = 9;
  EXPECT_TRUE(broke_rule(parse_hello_ack_message(m), rule::bad_kind));
}

TEST(TransportStatus, NamesFollowTheWireValues) {
  EXPECT_EQ(transport_status_name(transport_status::ok), "OK");
  EXPECT_EQ(transport_status_name(transport_status::internal_error), "INTERNAL_ERROR");
  EXPECT_EQ(transport_status_name(static_cast<transport_status>(9)), "UNKNOWN(9)");
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    auto s = transport_status_from_name(kStatusNames[i]);
    ASSERT_TRUE(s.has_value()) << kStatusNames[i];
    EXPECT_EQ(static_cast<std::size_t>(*s), i);
  }
  EXPECT_FALSE(transport_status_from_name("ok").has_value());
  EXPECT_FALSE(transport_status_from_name("").has_value());
}

TEST(TransportStatus, AnUnknownWireStatusSurvivesParsing) {
  bytes m = hello_ack_message(sample_ack(), static_cast<transport_status>(77));
  auto parsed = parse_hello_ack_message(m);
  ASSERT_TRUE(succeeded(parsed));
  EXPECT_EQ(static_cast<std::uint16_t>(parsed->status), 77);
}

}  // namespace
}  // namespace netipc
