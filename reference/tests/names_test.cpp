#include "netipc/names.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "test_support.hpp"

namespace netipc {
namespace {

using test::broke_rule;
using test::succeeded;

TEST(Fnv1a64, PublishedTestValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);  // the offset basis
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(fnv1a64(test::text("foobar")), 0x85944171f73967e8ULL);
}

TEST(HashHex, SixteenLowercaseZeroPaddedDigits) {
  EXPECT_EQ(hash_hex(0), "0000000000000000");
  EXPECT_EQ(hash_hex(0xABC), "0000000000000abc");
  EXPECT_EQ(hash_hex(0xFFFFFFFFFFFFFFFFULL), "ffffffffffffffff");
}

TEST(ServiceName, TheWholeAllowedAlphabetPasses) {
  EXPECT_TRUE(succeeded(
      validate_service_name("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")));
  EXPECT_TRUE(succeeded(validate_service_name("x")));
  EXPECT_TRUE(succeeded(validate_service_name(".")));
  EXPECT_TRUE(succeeded(validate_service_name("..")));
}

TEST(ServiceName, EmptyIsRejected) {
  EXPECT_TRUE(broke_rule(validate_service_name(""), rule::service_name_empty));
}

TEST(ServiceName, EveryOtherCharacterIsRejectedWithItsIndex) {
  for (std::string bad : {"a b", "a/b", "a\\b", "a:b", "a*b", "a\tb", "a+b", "a~b"}) {
    auto r = validate_service_name(bad);
    ASSERT_TRUE(broke_rule(r, rule::service_name_bad_char)) << bad;
    EXPECT_NE(r.err().detail.find("index 1"), std::string::npos) << r.err().detail;
  }
  auto nul = validate_service_name(std::string("ab\0", 3));
  ASSERT_TRUE(broke_rule(nul, rule::service_name_bad_char));
  EXPECT_NE(nul.err().detail.find("\\x00"), std::string::npos) << nul.err().detail;
  // Index counts characters, not bytes: the second character is at index 2.
  auto accented = validate_service_name(
      "\xc3\xa9"
      "a\xc3\xa9");
  ASSERT_TRUE(broke_rule(accented, rule::service_name_bad_char));
  EXPECT_NE(accented.err().detail.find("index 0"), std::string::npos) << accented.err().detail;
  auto later = validate_service_name("ab\xe2\x82\xac");
  ASSERT_TRUE(broke_rule(later, rule::service_name_bad_char));
  EXPECT_NE(later.err().detail.find("\\xe2\\x82\\xac\" at index 2"), std::string::npos)
      << later.err().detail;
}

TEST(PipeName, DerivedFromTheRunDirBytesAsGiven) {
  auto name = pipe_name("C:\\run", "cgroups-snapshot");
  ASSERT_TRUE(succeeded(name));
  EXPECT_EQ(*name, "\\\\.\\pipe\\netipc-cb21fefcaa2b14c9-cgroups-snapshot");
  auto trailing = pipe_name("C:\\run\\", "svc");
  ASSERT_TRUE(succeeded(trailing));
  EXPECT_EQ(*trailing, "\\\\.\\pipe\\netipc-55d8dc552733f92f-svc");
  auto utf8 = pipe_name("C:\\Users\\\xc3\xa9", "svc");
  ASSERT_TRUE(succeeded(utf8));
  EXPECT_EQ(*utf8, "\\\\.\\pipe\\netipc-b5a7e95a19a6ccf8-svc");
}

TEST(PipeName, ServiceRulesApply) {
  EXPECT_TRUE(broke_rule(pipe_name("C:\\run", ""), rule::service_name_empty));
  EXPECT_TRUE(broke_rule(pipe_name("C:\\run", "a/b"), rule::service_name_bad_char));
}

TEST(PipeName, TwoHundredFiftySixCharactersAtMost) {
  // "\\.\pipe\netipc-" (16) + 16 hex digits + "-" = 33 characters before the service.
  auto at_limit = pipe_name("C:\\run", std::string(256 - 33, 's'));
  ASSERT_TRUE(succeeded(at_limit));
  EXPECT_EQ(at_limit->size(), 256u);
  EXPECT_TRUE(
      broke_rule(pipe_name("C:\\run", std::string(257 - 33, 's')), rule::pipe_name_too_long));
  // run_dir is hashed, so its length never matters.
  EXPECT_TRUE(succeeded(pipe_name(std::string(4000, 'd'), "svc")));
}

TEST(Utf16Length, CountsCodeUnits) {
  EXPECT_EQ(utf16_length(""), 0u);
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("\xc3\xa9"), 1u);          // U+00E9
  EXPECT_EQ(utf16_length("\xe2\x82\xac"), 1u);      // U+20AC
  EXPECT_EQ(utf16_length("\xf0\x9f\x98\x80"), 2u);  // U+1F600, a surrogate pair
  EXPECT_EQ(utf16_length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 5u);
}

TEST(ShmHashInput, DecimalTokenJoinedByNewlines) {
  EXPECT_EQ(shm_hash_input("C:\\run", "svc", 0xDEADBEEFCAFEBABEULL),
            test::text("C:\\run\nsvc\n16045690984503098046"));
  EXPECT_EQ(shm_hash_input("r", "s", 0), test::text("r\ns\n0"));
  EXPECT_EQ(shm_hash_input("r", "s", 18446744073709551615ULL),
            test::text("r\ns\n18446744073709551615"));
}

TEST(ShmNames, LayoutOfNp15) {
  auto names = shm_names("C:\\run", "svc", 0xDEADBEEFCAFEBABEULL, 2, 0x1A);
  ASSERT_TRUE(succeeded(names));
  const std::string stem = "Local\\netipc-c244ec7dcb5f43da-svc-p2-s000000000000001a-";
  EXPECT_EQ(names->mapping, stem + "mapping");
  EXPECT_EQ(names->req_event, stem + "req_event");
  EXPECT_EQ(names->resp_event, stem + "resp_event");
}

TEST(ShmNames, ProfileIsOneOfTheFourBits) {
  for (std::uint32_t p : {1u, 2u, 4u, 8u}) {
    auto names = shm_names("r", "s", 1, p, 1);
    ASSERT_TRUE(succeeded(names)) << p;
    EXPECT_NE(names->mapping.find("-p" + std::to_string(p) + "-"), std::string::npos);
  }
  for (std::uint32_t p : {0u, 3u, 16u, 0xFFFFFFFFu}) {
    EXPECT_THROW((void)shm_names("r", "s", 1, p, 1), std::invalid_argument) << p;
  }
}

TEST(ShmNames, ServiceRulesApply) {
  EXPECT_TRUE(broke_rule(shm_names("r", "", 1, 1, 1), rule::service_name_empty));
  EXPECT_TRUE(broke_rule(shm_names("r", "a b", 1, 1, 1), rule::service_name_bad_char));
}

}  // namespace
}  // namespace netipc
