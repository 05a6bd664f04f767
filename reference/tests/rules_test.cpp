#include "netipc/rules.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <regex>
#include <set>
#include <string>

namespace netipc {
namespace {

constexpr int kRuleCount = 0
#define NETIPC_COUNT(name, clause) +1
    NETIPC_RULES(NETIPC_COUNT)
#undef NETIPC_COUNT
    ;

TEST(Rules, EveryRuleHasADistinctSnakeCaseNameAndAClause) {
  ASSERT_GT(kRuleCount, 50);
  std::set<std::string_view> seen;
  const std::regex clause_re("(NP|WE)-[0-9]+");
  for (int i = 0; i < kRuleCount; ++i) {
    auto r = static_cast<rule>(i);
    std::string_view name = rule_name(r);
    EXPECT_NE(name, "unknown_rule") << "rule #" << i;
    EXPECT_FALSE(name.empty()) << "rule #" << i;
    for (char c : name) {
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_') << name;
    }
    EXPECT_TRUE(seen.insert(name).second) << "duplicate rule name " << name;
    std::string clause(rule_clause(r));
    EXPECT_TRUE(std::regex_match(clause, clause_re)) << name << " -> '" << clause << "'";
  }
}

TEST(Rules, OutOfRangeValueIsNotAName) {
  auto past_end = static_cast<rule>(kRuleCount);
  EXPECT_EQ(rule_name(past_end), "unknown_rule");
  EXPECT_EQ(rule_clause(past_end), "");
}

TEST(Rules, KnownNamesMapToTheirClauses) {
  EXPECT_EQ(rule_name(rule::bad_magic), "bad_magic");
  EXPECT_EQ(rule_clause(rule::bad_magic), "WE-1");
  EXPECT_EQ(rule_clause(rule::packet_size_too_small), "NP-12");
  EXPECT_EQ(rule_clause(rule::unknown_message_id), "WE-10");
  EXPECT_EQ(rule_clause(rule::service_name_bad_char), "NP-4");
}

TEST(Rules, ResultCarriesValueOrError) {
  result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  result<int> bad = broke(rule::bad_kind, "kind: expected 1, 2 or 3, got 9");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().which, rule::bad_kind);
  EXPECT_EQ(bad.err().detail, "kind: expected 1, 2 or 3, got 9");
  EXPECT_TRUE(success().ok());
}

}  // namespace
}  // namespace netipc
