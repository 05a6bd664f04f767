// The platform-independent half of the launcher: argument checks, line
// framing over the raw streams, and the order of ending a child.
#include "netipc/launcher.hpp"

#include <filesystem>
#include <utility>

#include "backend.hpp"

namespace netipc::launcher {

namespace {

// A stuck child after the forced end is an OS problem, not a test verdict;
// the bound keeps the harness from waiting on it forever.
constexpr auto forced_end_bound = std::chrono::seconds(30);

// Keeps the head and the tail of unread output within max_unread.
void bound(output& o, std::size_t max_unread) {
  if (o.buffer.size() <= max_unread) return;
  std::size_t excess = o.buffer.size() - max_unread;
  o.buffer.erase(max_unread / 2, excess);
  o.dropped += excess;
}

}  // namespace

process::process(const std::vector<std::string>& argv,
                 const std::optional<std::map<std::string, std::string>>& env,
                 const std::optional<std::string>& cwd) {
  if (argv.empty()) throw spawn_error{"argv is empty: nothing to start"};
  if (argv[0].empty()) throw spawn_error{"cannot start a program with an empty name"};
  std::string dir = cwd.value_or(std::filesystem::current_path().string());
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw spawn_error{"working directory not found: " + dir};
  }
  child_ = backend::spawn(argv, env, dir);
  pid_ = backend::pid_of(*child_);
}

process::~process() {
  try {
    if (!reap_if_exited()) terminate(std::chrono::milliseconds(200));
  } catch (...) {
    // A destructor must not throw; the forced end still reaps.
    backend::force_end(*child_);
    backend::wait_exit(*child_, clock::now() + forced_end_bound);
  }
}

bool process::write_stdin(const std::string& data, clock::time_point deadline) {
  return backend::write_stdin(*child_, data, deadline);
}

void process::close_stdin() { backend::close_stdin(*child_); }

std::optional<std::string> process::read_line(stream which, clock::time_point deadline) {
  output& o = of(which);
  for (;;) {
    auto newline = o.buffer.find('\n');
    if ((newline == std::string::npos || newline > max_line_) && o.buffer.size() >= max_line_) {
      std::string piece = o.buffer.substr(0, max_line_);  // an over-long line, in pieces
      o.buffer.erase(0, max_line_);
      return piece;
    }
    if (newline != std::string::npos || (o.eof && !o.buffer.empty())) {
      std::string line = o.buffer.substr(0, newline);
      o.buffer.erase(0, newline == std::string::npos ? newline : newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (o.eof) throw end_of_stream{};
    if (clock::now() >= deadline) return std::nullopt;
    pump(deadline);
  }
}

std::string process::read_all(stream which, clock::time_point deadline) {
  output& o = of(which);
  while (!o.eof && clock::now() < deadline) pump(deadline);
  return std::exchange(o.buffer, {});
}

void process::pump(clock::time_point deadline) {
  backend::pump(*child_, outputs_, deadline);
  for (output& o : outputs_) bound(o, max_unread_);
}

bool process::reap_if_exited() {
  if (!status_) status_ = backend::wait_exit(*child_, clock::now());
  return status_.has_value();
}

bool process::running() { return !reap_if_exited(); }

std::optional<int> process::wait(clock::time_point deadline) {
  if (!status_) status_ = backend::wait_exit(*child_, deadline);
  return status_;
}

int process::terminate(std::chrono::duration<double> grace) {
  if (reap_if_exited()) return *status_;
  backend::ask_to_end(*child_);
  if (auto status = wait(clock::now() + std::chrono::duration_cast<clock::duration>(grace))) {
    return *status;
  }
  backend::force_end(*child_);
  if (auto status = wait(clock::now() + forced_end_bound)) return *status;
  throw spawn_error{"process " + std::to_string(pid_) + " survived a forced end for 30 s"};
}

}  // namespace netipc::launcher
