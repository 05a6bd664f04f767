// The command line and environment block CreateProcessW gets, checked on
// every platform; launcher_test.cpp checks them against a real child.
#include "windows_text.hpp"

#include <gtest/gtest.h>

#include "netipc/launcher.hpp"

namespace netipc::launcher::windows_text {
namespace {

TEST(QuoteArgument, PlainArgumentsStayAsTheyAre) {
  EXPECT_EQ(quote_argument("abc"), "abc");
  EXPECT_EQ(quote_argument("C:\\netipc\\run"), "C:\\netipc\\run");
  EXPECT_EQ(quote_argument("--pipe=a\\b\\"), "--pipe=a\\b\\");
}

TEST(QuoteArgument, EmptyAndBlankArgumentsAreQuoted) {
  EXPECT_EQ(quote_argument(""), "\"\"");
  EXPECT_EQ(quote_argument("a b"), "\"a b\"");
  EXPECT_EQ(quote_argument("a\tb"), "\"a\tb\"");
}

// The examples of Microsoft's "Parsing C++ command-line arguments", read backwards.
TEST(QuoteArgument, BackslashesAreDoubledOnlyBeforeAQuote) {
  EXPECT_EQ(quote_argument("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quote_argument("a\\\"b"), "\"a\\\\\\\"b\"");
  EXPECT_EQ(quote_argument("a\\\\b c"), "\"a\\\\b c\"");
  EXPECT_EQ(quote_argument("dir\\ with space\\"), "\"dir\\ with space\\\\\"");
}

TEST(CommandLine, JoinsQuotedArgumentsWithSpaces) {
  EXPECT_EQ(command_line({"C:\\p.exe", "server", "C:\\run dir", ""}),
            "C:\\p.exe server \"C:\\run dir\" \"\"");
}

TEST(EnvironmentBlock, SortedWithoutRegardToCaseAndDoublyTerminated) {
  using namespace std::string_literals;
  EXPECT_EQ(environment_block({{"b", "2"}, {"A", "1"}, {"Path", "x"}}), "A=1\0b=2\0Path=x\0\0"s);
  EXPECT_EQ(environment_block({}), "\0\0"s);
  EXPECT_EQ(environment_block({{"=C:", "C:\\"}}), "=C:=C:\\\0\0"s);
}

TEST(EnvironmentBlock, NamesWindowsCannotHoldAreRefusedByName) {
  auto message_of = [](const std::map<std::string, std::string>& env) {
    try {
      environment_block(env);
    } catch (const spawn_error& e) {
      return e.message;
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of({{"", "x"}}).find("name not allowed"), std::string::npos);
  EXPECT_NE(message_of({{"A=B", "x"}}).find("\"A=B\""), std::string::npos);
  EXPECT_NE(message_of({{"PATH", "x"}, {"Path", "y"}}).find("differ only in case"),
            std::string::npos);
  EXPECT_NE(message_of({{"A", std::string("x\0y", 3)}}).find("NUL"), std::string::npos);
}

}  // namespace
}  // namespace netipc::launcher::windows_text
