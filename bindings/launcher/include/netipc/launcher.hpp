// A child process the harness can always end: spawn with argv, environment
// and working directory; stdin writes; stdout/stderr lines read with a
// deadline; wait with a deadline; terminate (ask, then force); the child is
// reaped in every path, the destructor included.
//
// The same class runs on Linux (Boost.Process) and on Windows (CreateProcessW
// in a job object); src/backend.hpp is the seam between them.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netipc::launcher {

using clock = std::chrono::steady_clock;

enum class stream { out, err };

// The program could not be found or started: names it.
struct spawn_error {
  std::string message;
};

// Read past the end of a closed stream, or a write to a closed stdin.
struct end_of_stream {};

namespace backend {
struct child;
struct child_deleter {
  void operator()(child* c) const noexcept;
};
}  // namespace backend

// Output limits (limit_output): a peer may print without end, the harness
// must not keep it all. Off by default: the harness's own programs (the
// agent) send lines of several MiB.
inline constexpr std::size_t no_limit = static_cast<std::size_t>(-1);

// What has arrived on one of the child's output streams and not been read.
struct output {
  std::string buffer;
  bool eof = false;
  std::size_t dropped = 0;  // bytes never kept (limit_output's max_unread)
};

class process {
 public:
  // env: nullopt inherits the parent's environment; a map is the whole one.
  process(const std::vector<std::string>& argv,
          const std::optional<std::map<std::string, std::string>>& env,
          const std::optional<std::string>& cwd);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  int pid() const { return pid_; }
  // False when the deadline passed before every byte was written.
  bool write_stdin(const std::string& data, clock::time_point deadline);
  void close_stdin();
  // A line without "\n" or "\r\n"; nullopt at the deadline; throws end_of_stream.
  std::optional<std::string> read_line(stream which, clock::time_point deadline);
  // Everything until end of stream or the deadline.
  std::string read_all(stream which, clock::time_point deadline);
  // Exit status (POSIX: code, or -signal; Windows: the exit code as a signed
  // int, so an NTSTATUS crash code is negative too); nullopt while running
  // at the deadline.
  std::optional<int> wait(clock::time_point deadline);
  int terminate(std::chrono::duration<double> grace);
  bool running();
  // From now on, unread output past max_unread keeps its first and last half
  // and counts the bytes dropped between them, and a line longer than
  // max_line is returned in pieces of max_line bytes.
  void limit_output(std::size_t max_line, std::size_t max_unread) {
    max_line_ = max_line;
    max_unread_ = max_unread;
  }
  // Bytes of this stream dropped unread because of max_unread.
  std::size_t dropped(stream which) const { return outputs_[which == stream::out ? 0 : 1].dropped; }
  std::optional<int> exit_status() const { return status_; }

 private:
  output& of(stream which) { return outputs_[which == stream::out ? 0 : 1]; }
  bool reap_if_exited();
  void pump(clock::time_point deadline);

  std::unique_ptr<backend::child, backend::child_deleter> child_;
  int pid_ = -1;
  std::array<output, 2> outputs_;  // stdout, stderr
  std::optional<int> status_;
  std::size_t max_line_ = no_limit;
  std::size_t max_unread_ = no_limit;
};

}  // namespace netipc::launcher
