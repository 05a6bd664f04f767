#include "netipc/chunking.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "netipc/batch.hpp"
#include "test_support.hpp"

namespace netipc {
namespace {

using test::broke_rule;
using test::make_message;
using test::pattern;
using test::succeeded;

outer_header request(std::uint64_t id = 7) {
  outer_header h;
  h.kind = kKindRequest;
  h.code = 3;
  h.message_id = id;
  return h;
}

limits lim(std::uint32_t packet, std::uint32_t max_payload = 1u << 20, std::uint32_t items = 16) {
  return limits{max_payload, items, packet};
}

TEST(ChunkCount, OneWhenTheMessageFits) {
  EXPECT_EQ(chunk_count(0, 33), 1u);
  EXPECT_EQ(chunk_count(1, 33), 1u);
  EXPECT_EQ(chunk_count(32, 64), 1u);  // 32 + 32 == 64
  EXPECT_EQ(chunk_count(33, 64), 2u);
  EXPECT_EQ(chunk_count(64, 64), 2u);
  EXPECT_EQ(chunk_count(65, 64), 3u);
  EXPECT_EQ(chunk_count(5, 33), 5u);
  EXPECT_EQ(chunk_count(0xFFFFFFFFull, 33), 0xFFFFFFFFull);
  EXPECT_THROW((void)chunk_count(1, 32), std::invalid_argument);
  EXPECT_THROW((void)chunk_count(0, 0), std::invalid_argument);
}

// Joins the payload back from a plan, checking every packet's header.
bytes check_plan(const std::vector<bytes>& packets, const outer_header& h, std::uint32_t packet) {
  std::uint32_t budget = packet - kHeaderLen;
  bytes payload;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_LE(packets[i].size(), packet) << "packet " << i;
    byte_view data = byte_view(packets[i]).subspan(kHeaderLen);
    if (i == 0) {
      auto first = decode_outer_header(packets[i]);
      EXPECT_TRUE(succeeded(first));
      EXPECT_EQ(*first, h);
      if (packets.size() > 1) {
        EXPECT_EQ(data.size(), budget) << "WE-4: first chunk is full";
      }
    } else {
      auto c = decode_continuation_header(packets[i]);
      EXPECT_TRUE(succeeded(c));
      EXPECT_TRUE(succeeded(check_continuation_header(*c)));
      EXPECT_EQ(c->message_id, h.message_id);
      EXPECT_EQ(c->total_message_len, kHeaderLen + h.payload_len);
      EXPECT_EQ(c->chunk_index, i);
      EXPECT_EQ(c->chunk_count, packets.size());
      EXPECT_EQ(c->chunk_payload_len, data.size());
      if (i + 1 < packets.size()) {
        EXPECT_EQ(data.size(), budget);
      }
    }
    payload.insert(payload.end(), data.begin(), data.end());
  }
  return payload;
}

TEST(PlanChunks, BudgetMinusOneBudgetAndBudgetPlusOne) {
  const std::uint32_t packet = 64;  // budget 32
  for (std::size_t len : {31u, 32u, 33u}) {
    bytes payload = pattern(len);
    outer_header h = request();
    h.payload_len = static_cast<std::uint32_t>(len);
    auto packets = plan_chunks(make_message(h, payload), packet);
    ASSERT_EQ(packets.size(), len <= 32 ? 1u : 2u) << len;
    ASSERT_EQ(packets.size(), chunk_count(len, packet));
    EXPECT_EQ(check_plan(packets, h, packet), payload) << len;
    if (len == 33) {
      EXPECT_EQ(packets[1].size(), 33u);
    }
  }
}

TEST(PlanChunks, EmptyPayloadIsOneHeaderOnlyPacket) {
  bytes m = make_message(request(), {});
  auto packets = plan_chunks(m, 33);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], m);
}

TEST(PlanChunks, RefusesWhatIsNotAMessage) {
  bytes m = make_message(request(), pattern(10));
  EXPECT_THROW((void)plan_chunks(m, 32), std::invalid_argument);
  EXPECT_THROW((void)plan_chunks(byte_view(m).first(31), 64), std::invalid_argument);
  EXPECT_THROW((void)plan_chunks(byte_view(m).first(41), 64), std::invalid_argument);
  m.push_back(0);
  EXPECT_THROW((void)plan_chunks(m, 64), std::invalid_argument);
}

class MebibyteRoundTrip : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(MebibyteRoundTrip, PlanThenReassemble) {
  const std::uint32_t packet = GetParam();
  const bytes payload = pattern(1u << 20);
  outer_header h = request(0xABCDEF0123456789);
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  auto packets = plan_chunks(make_message(h, payload), packet);
  ASSERT_EQ(packets.size(), chunk_count(payload.size(), packet));
  reassembler r(lim(packet));
  for (std::size_t i = 0; i + 1 < packets.size(); ++i) {
    auto got = r.feed(packets[i]);
    ASSERT_TRUE(succeeded(got)) << "packet " << i;
    ASSERT_FALSE(got->has_value()) << "complete early at packet " << i;
    ASSERT_TRUE(r.in_progress());
  }
  auto got = r.feed(packets.back());
  ASSERT_TRUE(succeeded(got));
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->header, h);
  EXPECT_TRUE((*got)->payload == payload);
  EXPECT_FALSE((*got)->first_chunk_short);
  EXPECT_FALSE(r.in_progress());
}

INSTANTIATE_TEST_SUITE_P(PacketSizes, MebibyteRoundTrip,
                         ::testing::Values(33u, 64u, 4096u, 65536u));

TEST(Reassembler, RequiresAUsablePacketSize) {
  EXPECT_THROW(reassembler(lim(32)), std::invalid_argument);
  EXPECT_NO_THROW(reassembler(lim(33)));
}

TEST(Reassembler, SinglePacketMessagesAndEmptyPayload) {
  reassembler r(lim(64));
  outer_header h = request();
  for (std::size_t len : {0u, 1u, 31u, 32u}) {
    auto got = r.feed(make_message(h, pattern(len)));
    ASSERT_TRUE(succeeded(got)) << len;
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->payload, pattern(len));
    EXPECT_EQ((*got)->header.payload_len, len);
    EXPECT_FALSE(r.in_progress());
  }
}

TEST(Reassembler, PacketOverSizeInBothStates) {
  {
    reassembler r(lim(64));
    bytes m = make_message(request(), pattern(33));  // 65 bytes, one over
    EXPECT_TRUE(broke_rule(r.feed(m), rule::packet_over_size));
  }
  reassembler r(lim(64));
  outer_header h = request();
  h.payload_len = 100;
  bytes first = make_message(h, pattern(32));
  first.resize(64);
  std::copy_n(encode_outer_header(h).begin(), 32, first.begin());
  ASSERT_TRUE(succeeded(r.feed(first)));
  bytes big(65, 0);
  EXPECT_TRUE(broke_rule(r.feed(big), rule::packet_over_size));
}

TEST(Reassembler, HeaderRulesApplyWithTheDirectionLimits) {
  auto feed_one = [](outer_header h, std::size_t len, limits l) {
    reassembler r(l);
    return r.feed(make_message(h, pattern(len)));
  };
  EXPECT_TRUE(broke_rule(reassembler(lim(64)).feed(bytes(31, 0)), rule::message_truncated));
  outer_header h = request();
  h.magic = 0x12345678;
  EXPECT_TRUE(broke_rule(feed_one(h, 0, lim(64)), rule::bad_magic));
  h = request();
  h.kind = 0;
  EXPECT_TRUE(broke_rule(feed_one(h, 0, lim(64)), rule::bad_kind));
  EXPECT_TRUE(succeeded(feed_one(request(), 100, lim(4096, 100))));
  EXPECT_TRUE(broke_rule(feed_one(request(), 101, lim(4096, 100)), rule::payload_over_limit));
  h = request();
  h.flags = kFlagBatch;
  h.item_count = 3;
  EXPECT_TRUE(broke_rule(feed_one(h, 24, lim(64, 100, 2)), rule::item_count_over_limit));
}

TEST(Reassembler, ContinuationWithoutFirst) {
  continuation_header c;
  c.chunk_index = 1;
  c.chunk_count = 2;
  c.chunk_payload_len = 1;
  bytes p = encode_continuation_header(c);
  p.push_back(0);
  reassembler r(lim(64));
  EXPECT_TRUE(broke_rule(r.feed(p), rule::continuation_without_first));
}

TEST(Reassembler, SinglePacketLengthMustMatchPayloadLen) {
  outer_header h = request();
  h.payload_len = 10;
  bytes m = encode_outer_header(h);
  m.resize(32 + 9);
  EXPECT_TRUE(broke_rule(reassembler(lim(64)).feed(m), rule::message_length_mismatch));
  m.resize(32 + 11);
  EXPECT_TRUE(broke_rule(reassembler(lim(64)).feed(m), rule::message_length_mismatch));
}

// A chunked message of payload_len 100 at packet 64 (budget 32, 4 packets).
struct chunked {
  outer_header h;
  bytes payload;
  std::vector<bytes> packets;
};

chunked sample_chunked() {
  chunked k;
  k.h = request(0x55);
  k.payload = pattern(100);
  k.h.payload_len = 100;
  k.packets = plan_chunks(make_message(k.h, k.payload), 64);
  return k;
}

// Feeds packets[0..at) (all must be accepted) then `bad`.
result<std::optional<message>> feed_then(const chunked& k, std::size_t at, const bytes& bad) {
  reassembler r(lim(64));
  for (std::size_t i = 0; i < at; ++i) {
    auto got = r.feed(k.packets[i]);
    EXPECT_TRUE(succeeded(got)) << "packet " << i;
  }
  return r.feed(bad);
}

bytes with_continuation(const bytes& packet, void (*edit)(continuation_header&)) {
  auto c = *decode_continuation_header(packet);
  edit(c);
  bytes out = encode_continuation_header(c);
  out.insert(out.end(), packet.begin() + 32, packet.end());
  return out;
}

TEST(Reassembler, EveryContinuationRuleIsNamed) {
  const chunked k = sample_chunked();
  ASSERT_EQ(k.packets.size(), 4u);
  const bytes& second = k.packets[1];
  EXPECT_TRUE(broke_rule(feed_then(k, 1, bytes(20, 0)), rule::message_truncated));
  EXPECT_TRUE(
      broke_rule(feed_then(k, 1, make_message(request(), pattern(4))), rule::chunk_interleaved));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { c.magic = 7; })),
      rule::bad_chunk_magic));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { c.version = 2; })),
      rule::bad_chunk_version));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { c.flags = 1; })),
      rule::bad_chunk_flags));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { ++c.message_id; })),
      rule::chunk_message_id_mismatch));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1,
                with_continuation(second, [](continuation_header& c) { --c.total_message_len; })),
      rule::chunk_total_len_mismatch));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { ++c.chunk_count; })),
      rule::chunk_count_mismatch));
  EXPECT_TRUE(broke_rule(feed_then(k, 1, k.packets[2]), rule::chunk_index_out_of_order));
  EXPECT_TRUE(broke_rule(feed_then(k, 2, k.packets[1]), rule::chunk_index_out_of_order));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1, with_continuation(second, [](continuation_header& c) { c.chunk_index = 0; })),
      rule::chunk_index_out_of_order));
  EXPECT_TRUE(broke_rule(
      feed_then(k, 1,
                with_continuation(second, [](continuation_header& c) { --c.chunk_payload_len; })),
      rule::chunk_payload_len_mismatch));
  bytes empty = with_continuation(second, [](continuation_header& c) { c.chunk_payload_len = 0; });
  empty.resize(32);
  EXPECT_TRUE(broke_rule(feed_then(k, 1, empty), rule::chunk_payload_empty));
  bytes header_only = second;
  header_only.resize(32);  // field still says 32
  EXPECT_TRUE(broke_rule(feed_then(k, 1, header_only), rule::chunk_payload_len_mismatch));
}

TEST(Reassembler, LastChunkMustCompleteThePayloadExactly) {
  // payload 37 at packet 64: first carries 32, one continuation of 5.
  outer_header h = request(9);
  h.payload_len = 37;
  auto packets = plan_chunks(make_message(h, pattern(37)), 64);
  ASSERT_EQ(packets.size(), 2u);
  auto grow = [&](std::size_t n) {
    bytes p = with_continuation(packets[1], [](continuation_header&) {});
    auto c = *decode_continuation_header(p);
    c.chunk_payload_len = static_cast<std::uint32_t>(n);
    bytes out = encode_continuation_header(c);
    bytes data = pattern(n);
    out.insert(out.end(), data.begin(), data.end());
    return out;
  };
  auto feed2 = [&](const bytes& second) {
    reassembler r(lim(64));
    EXPECT_TRUE(succeeded(r.feed(packets[0])));
    return r.feed(second);
  };
  EXPECT_TRUE(succeeded(feed2(grow(5))));
  EXPECT_TRUE(broke_rule(feed2(grow(6)), rule::chunk_payload_over_remaining));
  EXPECT_TRUE(broke_rule(feed2(grow(4)), rule::chunk_payload_len_mismatch));
}

TEST(Reassembler, ShortMiddleChunkIsAcceptedOnlyIfTheLastCompletes) {
  // payload 69 at packet 64 (budget 32), chunk_count 3; plan is 32 + 32 + 5.
  outer_header h = request(3);
  h.payload_len = 69;
  bytes payload = pattern(69);
  bytes first = make_message(h, payload);
  first.resize(64);
  auto cont = [&](std::uint32_t index, std::size_t from, std::size_t n) {
    continuation_header c;
    c.message_id = 3;
    c.total_message_len = 32 + 69;
    c.chunk_index = index;
    c.chunk_count = 3;
    c.chunk_payload_len = static_cast<std::uint32_t>(n);
    bytes out = encode_continuation_header(c);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(from),
               payload.begin() + static_cast<std::ptrdiff_t>(from + n));
    return out;
  };
  auto run = [&](std::size_t middle, std::size_t last) {
    reassembler r(lim(64));
    EXPECT_TRUE(succeeded(r.feed(first)));
    EXPECT_TRUE(succeeded(r.feed(cont(1, 32, middle))));
    return r.feed(cont(2, 32 + middle, last));
  };
  auto whole = run(31, 6);  // "up to budget" bytes per continuation
  ASSERT_TRUE(succeeded(whole));
  ASSERT_TRUE(whole->has_value());
  EXPECT_EQ((*whole)->payload, payload);
  auto short_last = run(31, 5);
  ASSERT_TRUE(broke_rule(short_last, rule::chunk_payload_len_mismatch));
  EXPECT_NE(short_last.err().detail.find("last chunk"), std::string::npos)
      << short_last.err().detail;
}

TEST(Reassembler, ShortFirstChunkIsAcceptedAndReported) {
  // WE-4 not followed: first carries 10 of budget 32, then 90 = 32 + 32 + 26.
  outer_header h = request(4);
  h.payload_len = 100;
  bytes payload = pattern(100);
  bytes first = make_message(h, payload);
  first.resize(32 + 10);
  reassembler r(lim(64));
  auto got = r.feed(first);
  ASSERT_TRUE(succeeded(got));
  ASSERT_FALSE(got->has_value());
  std::size_t from = 10;
  for (std::uint32_t index = 1; index <= 3; ++index) {
    std::size_t n = std::min<std::size_t>(32, 100 - from);
    continuation_header c;
    c.message_id = 4;
    c.total_message_len = 132;
    c.chunk_index = index;
    c.chunk_count = 4;  // 1 + ceil(90 / 32)
    c.chunk_payload_len = static_cast<std::uint32_t>(n);
    bytes p = encode_continuation_header(c);
    p.insert(p.end(), payload.begin() + static_cast<std::ptrdiff_t>(from),
             payload.begin() + static_cast<std::ptrdiff_t>(from + n));
    from += n;
    got = r.feed(p);
    ASSERT_TRUE(succeeded(got)) << index;
  }
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE((*got)->first_chunk_short);
  EXPECT_EQ((*got)->payload, payload);
}

TEST(Reassembler, DeadAfterAnErrorAndRepeatsIt) {
  const chunked k = sample_chunked();
  reassembler r(lim(64));
  ASSERT_TRUE(succeeded(r.feed(k.packets[0])));
  auto bad = r.feed(k.packets[2]);
  ASSERT_TRUE(broke_rule(bad, rule::chunk_index_out_of_order));
  auto again = r.feed(k.packets[1]);
  ASSERT_TRUE(broke_rule(again, rule::chunk_index_out_of_order));
  EXPECT_EQ(again.err().detail, bad.err().detail);
  EXPECT_TRUE(broke_rule(r.feed(make_message(request(), {})), rule::chunk_index_out_of_order));
}

TEST(Reassembler, ReusableAfterAMessageCompletes) {
  const chunked k = sample_chunked();
  reassembler r(lim(64));
  for (int round = 0; round < 2; ++round) {
    std::optional<message> done;
    for (const bytes& p : k.packets) {
      auto got = r.feed(p);
      ASSERT_TRUE(succeeded(got));
      if (got->has_value()) done = **got;
    }
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->payload, k.payload);
    EXPECT_FALSE(r.in_progress());
  }
}

TEST(Reassembler, BatchDirectoryIsCheckedOnCompleteMessages) {
  std::vector<bytes> items = {pattern(40), pattern(3), pattern(0)};
  bytes payload = build_batch(items);
  outer_header h = request(11);
  h.flags = kFlagBatch;
  h.item_count = 3;
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  for (std::uint32_t packet : {64u, 4096u}) {
    reassembler r(lim(packet));
    std::optional<message> done;
    for (const bytes& p : plan_chunks(make_message(h, payload), packet)) {
      auto got = r.feed(p);
      ASSERT_TRUE(succeeded(got)) << packet;
      if (got->has_value()) done = **got;
    }
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(*extract_batch(done->payload, 3), items);
  }
  bytes broken = payload;
  broken[0] = 4;  // first item offset 4: misaligned
  EXPECT_TRUE(broke_rule(reassembler(lim(4096)).feed(make_message(h, broken)),
                         rule::batch_item_misaligned));
  h.item_count = 16;  // directory of 128 bytes does not fit the payload
  EXPECT_TRUE(broke_rule(reassembler(lim(4096)).feed(make_message(h, payload)),
                         rule::batch_directory_out_of_bounds));
  h.item_count = 3;
  broken = payload;
  broken[4] = 200;  // first item length 200: past the packed area
  bytes chunked_bad = make_message(h, broken);
  reassembler r(lim(64));
  result<std::optional<message>> got = std::optional<message>{};
  for (const bytes& p : plan_chunks(chunked_bad, 64)) got = r.feed(p);
  EXPECT_TRUE(broke_rule(got, rule::batch_item_out_of_bounds));
}

TEST(CheckResponseId, OnlySentIdsAreAccepted) {
  std::unordered_set<std::uint64_t> sent = {1, 2, 0xFFFFFFFFFFFFFFFFULL};
  EXPECT_TRUE(succeeded(check_response_id(sent, 2)));
  EXPECT_TRUE(succeeded(check_response_id(sent, 0xFFFFFFFFFFFFFFFFULL)));
  EXPECT_TRUE(broke_rule(check_response_id(sent, 3), rule::unknown_message_id));
  EXPECT_TRUE(broke_rule(check_response_id({}, 0), rule::unknown_message_id));
}

}  // namespace
}  // namespace netipc
