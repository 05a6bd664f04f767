#include "netipc/batch.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace netipc {
namespace {

using test::broke_rule;
using test::succeeded;
using test::text;
using test::to_hex;

TEST(Batch, BuildsDirectoryThenEightByteAlignedItems) {
  std::vector<bytes> items = {text("abc"), bytes{}, text("0123456789")};
  EXPECT_EQ(to_hex(build_batch(items)),
            // directory: (0,3) (8,0) (8,10)
            "0000000003000000"
            "0800000000000000"
            "080000000a000000"
            // packed area at 24: "abc" + 5 zero bytes, then 10 bytes + 6 zero bytes
            "6162630000000000"
            "30313233343536373839000000000000");
}

TEST(Batch, ExtractOfBuildIsIdentity) {
  for (std::size_t n : {1u, 2u, 3u, 8u, 33u}) {
    std::vector<bytes> items;
    for (std::size_t i = 0; i < n; ++i) items.push_back(test::pattern(i * 5 % 19));
    auto out = extract_batch(build_batch(items), static_cast<std::uint32_t>(n));
    ASSERT_TRUE(succeeded(out)) << n;
    EXPECT_EQ(*out, items) << n;
  }
}

TEST(Batch, ZeroItemsIsAnEmptyPayload) {
  EXPECT_TRUE(build_batch({}).empty());
  auto out = extract_batch(bytes{}, 0);
  ASSERT_TRUE(succeeded(out));
  EXPECT_TRUE(out->empty());
}

TEST(Batch, DirectoryMustFitThePayload) {
  bytes payload(16, 0);  // two entries (0,0) (0,0)
  EXPECT_TRUE(succeeded(extract_batch(payload, 2)));
  EXPECT_TRUE(broke_rule(extract_batch(byte_view(payload).first(15), 2),
                         rule::batch_directory_out_of_bounds));
  EXPECT_TRUE(broke_rule(extract_batch(payload, 3), rule::batch_directory_out_of_bounds));
  EXPECT_TRUE(broke_rule(extract_batch(payload, 0xFFFFFFFFu), rule::batch_directory_out_of_bounds));
}

bytes one_entry(std::uint32_t offset, std::uint32_t length, std::size_t packed_len) {
  bytes out;
  test::put_u32(out, offset);
  test::put_u32(out, length);
  out.resize(8 + packed_len, 0);
  return out;
}

TEST(Batch, OffsetsAreMultiplesOfEight) {
  for (std::uint32_t offset : {1u, 4u, 7u, 12u}) {
    EXPECT_TRUE(broke_rule(extract_batch(one_entry(offset, 0, 32), 1), rule::batch_item_misaligned))
        << offset;
  }
  EXPECT_TRUE(succeeded(extract_batch(one_entry(16, 0, 32), 1)));
}

TEST(Batch, ItemsLieInsideThePackedArea) {
  EXPECT_TRUE(succeeded(extract_batch(one_entry(8, 24, 32), 1)));
  EXPECT_TRUE(broke_rule(extract_batch(one_entry(8, 25, 32), 1), rule::batch_item_out_of_bounds));
  EXPECT_TRUE(broke_rule(extract_batch(one_entry(40, 0, 32), 1), rule::batch_item_out_of_bounds));
  // offset + length overflows a u32; the check must not wrap around.
  EXPECT_TRUE(broke_rule(extract_batch(one_entry(0xFFFFFFF8u, 0xFFFFFFFFu, 32), 1),
                         rule::batch_item_out_of_bounds));
}

TEST(Batch, TheFirstBadEntryIsReported) {
  bytes payload;
  test::put_u32(payload, 0);
  test::put_u32(payload, 4);
  test::put_u32(payload, 3);  // misaligned second entry
  test::put_u32(payload, 4);
  payload.resize(32, 0);
  auto r = extract_batch(payload, 2);
  ASSERT_TRUE(broke_rule(r, rule::batch_item_misaligned));
  EXPECT_NE(r.err().detail.find("batch item 1"), std::string::npos) << r.err().detail;
}

}  // namespace
}  // namespace netipc
