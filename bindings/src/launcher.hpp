// A child process the harness can always end: spawn with argv, environment
// and working directory; stdin writes; stdout/stderr lines read with a
// deadline; wait with a deadline; terminate (SIGTERM, then SIGKILL); the
// child is reaped in every path, the destructor included.
#pragma once

#include <boost/process/child.hpp>
#include <boost/process/pipe.hpp>
#include <chrono>
#include <map>
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

// Read past the end of a closed stream.
struct end_of_stream {};

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
  // Exit status (code, or -signal); nullopt while running at the deadline.
  std::optional<int> wait(clock::time_point deadline);
  int terminate(std::chrono::duration<double> grace);
  bool running();
  std::optional<int> exit_status() const { return status_; }

 private:
  struct channel {
    int fd = -1;
    std::string buffer;
    bool eof = false;
  };
  channel& of(stream which) { return which == stream::out ? out_ : err_; }
  // Moves whatever is ready on both streams into their buffers, waiting at
  // most until the deadline; draining both means a child blocked on a full
  // stderr can never starve a stdout reader.
  void pump(clock::time_point deadline);
  bool reap_if_exited();

  boost::process::child child_;
  int pid_ = -1;
  int stdin_fd_ = -1;
  channel out_, err_;
  std::optional<int> status_;
};

}  // namespace netipc::launcher
