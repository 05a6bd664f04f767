// The launcher against real children on the platform it was built for
// (natively on Linux; cross-built and run under Wine for Windows). The
// children are this program itself, started with "child MODE ...".
#include "netipc/launcher.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#endif

namespace netipc::launcher {
namespace {

std::string self_path;
using namespace std::chrono_literals;

clock::time_point in(clock::duration d) { return clock::now() + d; }

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::vector<std::string> child_argv(std::initializer_list<std::string> mode) {
  std::vector<std::string> argv{self_path, "child"};
  argv.insert(argv.end(), mode);
  return argv;
}

bool alive(int pid) {
#ifdef _WIN32
  HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (!h) return false;
  bool running = ::WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  ::CloseHandle(h);
  return running;
#else
  return ::kill(pid, 0) == 0;
#endif
}

std::string spawn_error_of(const std::vector<std::string>& argv,
                           const std::optional<std::string>& cwd = std::nullopt) {
  try {
    process p(argv, std::nullopt, cwd);
  } catch (const spawn_error& e) {
    return e.message;
  }
  return "no error";
}

TEST(Launcher, ArgumentsArriveExactlyAsGiven) {
  std::vector<std::string> given{
      "",           "a b",         "quote\"inside", "back\\\\slash\\",
      "trailing\\", "tab\tinside", "C:\\run dir\\", "\xc3\xa9\xe6\x97\xa5"};
  auto argv = child_argv({"args"});
  argv.insert(argv.end(), given.begin(), given.end());
  process p(argv, std::nullopt, std::nullopt);
  for (const auto& argument : given) {
    EXPECT_EQ(p.read_line(stream::out, in(20s)), hex(argument));
  }
  EXPECT_EQ(p.wait(in(20s)), 0);
}

TEST(Launcher, AGivenEnvironmentIsTheWholeEnvironment) {
  std::map<std::string, std::string> env{{"NETIPC_X", "y z"}};
#ifdef _WIN32
  env["SystemRoot"] = std::getenv("SystemRoot") ? std::getenv("SystemRoot") : "C:\\windows";
#endif
  process p(child_argv({"env", "NETIPC_X", "NETIPC_LAUNCHER_TEST_MARK"}), env, std::nullopt);
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "y z");
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "<unset>");
  EXPECT_EQ(p.wait(in(20s)), 0);
}

TEST(Launcher, NoEnvironmentInheritsTheParents) {
#ifdef _WIN32
  ::SetEnvironmentVariableW(L"NETIPC_LAUNCHER_TEST_MARK", L"inherited");
#else
  ::setenv("NETIPC_LAUNCHER_TEST_MARK", "inherited", 1);
#endif
  process p(child_argv({"env", "NETIPC_LAUNCHER_TEST_MARK"}), std::nullopt, std::nullopt);
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "inherited");
}

TEST(Launcher, WorkingDirectoryIsHonoured) {
  auto dir = std::filesystem::temp_directory_path();
  process p(child_argv({"cwd"}), std::nullopt, dir.string());
  auto line = p.read_line(stream::out, in(20s));
  ASSERT_TRUE(line);
  // Compared as text: std::filesystem::equivalent needs file IDs Wine does
  // not give for folders. temp_directory_path may end with a separator.
  auto without_trailing_separator = [](std::string path) {
    while (path.size() > 1 && (path.back() == '/' || path.back() == '\\')) path.pop_back();
    return path;
  };
  EXPECT_EQ(without_trailing_separator(*line), without_trailing_separator(dir.string()));
}

TEST(Launcher, ProblemsBeforeStartingAreNamed) {
  EXPECT_NE(spawn_error_of({}).find("argv is empty"), std::string::npos);
  EXPECT_NE(spawn_error_of({""}).find("empty name"), std::string::npos);
  EXPECT_NE(spawn_error_of({"netipc-no-such-program"}).find("not found"), std::string::npos);
  auto missing = (std::filesystem::temp_directory_path() / "netipc-no-such-dir").string();
  EXPECT_NE(spawn_error_of({missing + "/p"}).find("not found"), std::string::npos);
  EXPECT_NE(spawn_error_of(child_argv({"exit", "0"}), missing).find(missing), std::string::npos);
}

TEST(Launcher, StdinRoundTripAndEndOfStream) {
  process p(child_argv({"echo"}), std::nullopt, std::nullopt);
  ASSERT_TRUE(p.write_stdin("one\r\ntwo\n", in(20s)));
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "one");
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "two");
  p.close_stdin();
  EXPECT_THROW(p.read_line(stream::out, in(20s)), end_of_stream);
  EXPECT_EQ(p.wait(in(20s)), 0);
}

TEST(Launcher, ReadLineReturnsNothingAtItsDeadline) {
  process p(child_argv({"sleep"}), std::nullopt, std::nullopt);
  auto start = clock::now();
  EXPECT_EQ(p.read_line(stream::out, in(300ms)), std::nullopt);
  auto took = clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
}

TEST(Launcher, ALastLineWithoutNewlineIsReturned) {
  process p(child_argv({"partial"}), std::nullopt, std::nullopt);
  EXPECT_EQ(p.read_line(stream::out, in(20s)), "partial");
  EXPECT_THROW(p.read_line(stream::out, in(20s)), end_of_stream);
}

TEST(Launcher, ExitStatusAndWaitDeadline) {
  process sleeper(child_argv({"sleep"}), std::nullopt, std::nullopt);
  EXPECT_EQ(sleeper.wait(in(200ms)), std::nullopt);
  EXPECT_TRUE(sleeper.running());
  process quitter(child_argv({"exit", "7"}), std::nullopt, std::nullopt);
  EXPECT_EQ(quitter.wait(in(20s)), 7);
  EXPECT_FALSE(quitter.running());
  EXPECT_EQ(quitter.exit_status(), 7);
}

TEST(Launcher, AFullStderrNeverStarvesAStdoutReader) {
  process p(child_argv({"flood", "1024"}), std::nullopt, std::nullopt);
  EXPECT_EQ(p.read_line(stream::out, in(30s)), "done");
  EXPECT_EQ(p.read_all(stream::err, in(30s)).size(), 1024u * 1024u);
}

TEST(Launcher, UnreadOutputKeepsItsHeadAndTailAndCountsTheRest) {
  // 6 MiB of stderr, unread while stdout is read: at most max_unread is kept.
  constexpr std::size_t max_unread = std::size_t{4} << 20;
  process p(child_argv({"flood", "6144"}), std::nullopt, std::nullopt);
  p.limit_output(64 * 1024, max_unread);
  EXPECT_EQ(p.read_line(stream::out, in(60s)), "done");
  auto kept = p.read_all(stream::err, in(60s));
  EXPECT_EQ(kept.size(), max_unread);
  EXPECT_EQ(kept.size() + p.dropped(stream::err), 6144u * 1024u);
  EXPECT_EQ(p.dropped(stream::out), 0u);
}

TEST(Launcher, AnOverLongLineComesInPieces) {
  constexpr std::size_t max_line = 64 * 1024;
  process p(child_argv({"longline", "200"}), std::nullopt, std::nullopt);
  p.limit_output(max_line, std::size_t{4} << 20);
  std::size_t total = 0, pieces = 0;
  while (total < 200u * 1024u && pieces < 10) {
    auto piece = p.read_line(stream::out, in(30s));
    ASSERT_TRUE(piece.has_value());
    EXPECT_LE(piece->size(), max_line);
    total += piece->size();
    ++pieces;
  }
  EXPECT_EQ(pieces, 4u);  // 64 + 64 + 64 + 8 KiB
  EXPECT_EQ(total, 200u * 1024u);
  EXPECT_EQ(p.read_line(stream::out, in(30s)), "after");
}

TEST(Launcher, TerminateEndsAChildThatIgnoresItsInput) {
  process p(child_argv({"sleep"}), std::nullopt, std::nullopt);
  auto start = clock::now();
  p.terminate(200ms);
  EXPECT_FALSE(p.running());
  EXPECT_LT(clock::now() - start, 10s);
  EXPECT_FALSE(alive(p.pid()));
}

TEST(Launcher, TheDestructorEndsTheChild) {
  int pid = -1;
  {
    process p(child_argv({"sleep"}), std::nullopt, std::nullopt);
    pid = p.pid();
    EXPECT_TRUE(alive(pid));
  }
  EXPECT_FALSE(alive(pid));
}

// Children started at the same moment from several threads each get only
// their own streams: a sibling holding another's stdout would keep that
// stream open until the sibling (here, a sleeper) ends.
TEST(Launcher, ChildrenStartedTogetherShareNoStreams) {
  constexpr int threads = 4, rounds = 4;
  std::vector<std::unique_ptr<process>> sleepers[threads];
  std::vector<std::string> problems[threads];
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) {
        sleepers[t].push_back(
            std::make_unique<process>(child_argv({"sleep"}), std::nullopt, std::nullopt));
        process p(child_argv({"partial"}), std::nullopt, std::nullopt);
        try {
          if (p.read_line(stream::out, in(20s)) != "partial") problems[t].push_back("no line");
          p.read_line(stream::out, in(5s));
          problems[t].push_back("stdout still open after the child wrote all");
        } catch (const end_of_stream&) {
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& list : problems) EXPECT_EQ(list, std::vector<std::string>{});
}

#ifdef _WIN32
// A wrapper launcher's own children go with it: the job object holds them.
TEST(Launcher, EndingAChildEndsWhatItStarted) {
  process parent(child_argv({"grandchild"}), std::nullopt, std::nullopt);
  auto line = parent.read_line(stream::out, in(30s));
  ASSERT_TRUE(line);
  int grandchild = std::stoi(*line);
  EXPECT_TRUE(alive(grandchild));
  parent.terminate(200ms);
  auto deadline = in(10s);
  while (alive(grandchild) && clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(alive(grandchild));
}
#endif

// --- the child side ---------------------------------------------------------

std::vector<std::string> arguments_as_given(int argc, char** argv) {
#ifdef _WIN32
  // main's argv is in the ANSI code page; the wide command line is exact.
  (void)argc;
  (void)argv;
  int count = 0;
  LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    int n = ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, nullptr, 0, nullptr, nullptr);
    std::string text(static_cast<std::size_t>(n > 0 ? n - 1 : 0), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, text.data(), n, nullptr, nullptr);
    out.push_back(text);
  }
  ::LocalFree(wide);
  return out;
#else
  return std::vector<std::string>(argv, argv + argc);
#endif
}

int run_child(const std::vector<std::string>& args) {
  const std::string& mode = args.at(2);
  if (mode == "args") {
    for (std::size_t i = 3; i < args.size(); ++i) std::cout << hex(args[i]) << "\n";
  } else if (mode == "env") {
    for (std::size_t i = 3; i < args.size(); ++i) {
      const char* value = std::getenv(args[i].c_str());
      std::cout << (value ? value : "<unset>") << "\n";
    }
  } else if (mode == "cwd") {
    std::cout << std::filesystem::current_path().string() << "\n";
  } else if (mode == "echo") {
    for (std::string line; std::getline(std::cin, line);) std::cout << line << "\n" << std::flush;
  } else if (mode == "exit") {
    return std::stoi(args.at(3));
  } else if (mode == "sleep") {
    std::this_thread::sleep_for(120s);
  } else if (mode == "partial") {
    std::cout << "partial";
  } else if (mode == "flood") {
    std::string kib(1024, 'e');
    for (int i = 0, n = std::stoi(args.at(3)); i < n; ++i) std::cerr << kib;
    std::cerr << std::flush;
    std::cout << "done\n";
  } else if (mode == "longline") {
    std::string kib(1024, 'l');
    for (int i = 0, n = std::stoi(args.at(3)); i < n; ++i) std::cout << kib;
    std::cout << "\nafter\n" << std::flush;
  } else if (mode == "grandchild") {
    process grandchild(child_argv({"sleep"}), std::nullopt, std::nullopt);
    std::cout << grandchild.pid() << "\n" << std::flush;
    std::this_thread::sleep_for(120s);
  } else {
    std::cerr << "unknown child mode " << mode << "\n";
    return 2;
  }
  return 0;
}

std::string own_path(const char* argv0) {
#ifdef _WIN32
  (void)argv0;
  wchar_t path[MAX_PATH * 4];
  DWORD n = ::GetModuleFileNameW(nullptr, path, MAX_PATH * 4);
  return std::filesystem::path(std::wstring(path, n)).string();
#else
  return std::filesystem::absolute(argv0).string();
#endif
}

}  // namespace
}  // namespace netipc::launcher

int main(int argc, char** argv) {
  netipc::launcher::self_path = netipc::launcher::own_path(argv[0]);
  if (argc >= 3 && std::string(argv[1]) == "child") {
    return netipc::launcher::run_child(netipc::launcher::arguments_as_given(argc, argv));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
