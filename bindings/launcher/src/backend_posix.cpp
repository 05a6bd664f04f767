// The launcher on POSIX: Boost.Process starts the child; the parent's pipe
// ends are non-blocking and waited on with poll(); SIGTERM, then SIGKILL.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "backend.hpp"

namespace bp = boost::process;

namespace netipc::launcher::backend {

struct child {
  bp::child handle;
  int pid = -1;
  int stdin_fd = -1;
  std::array<int, 2> output_fds{-1, -1};  // stdout, stderr
};

void child_deleter::operator()(child* c) const noexcept {
  if (c->stdin_fd >= 0) ::close(c->stdin_fd);
  for (int fd : c->output_fds) {
    if (fd >= 0) ::close(fd);
  }
  delete c;
}

namespace {

// The parent's end of a pipe, non-blocking for poll().
int own_fd(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

int poll_timeout_ms(clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

boost::filesystem::path resolve_program(const std::string& program) {
  if (program.find('/') == std::string::npos) {
    auto found = bp::search_path(program);
    if (found.empty()) throw spawn_error{"program not found on PATH: " + program};
    return found;
  }
  if (::access(program.c_str(), X_OK) != 0) {
    throw spawn_error{"program not found or not executable: " + program};
  }
  return program;
}

bp::environment environment_of(const std::optional<std::map<std::string, std::string>>& env) {
  bp::environment out = boost::this_process::environment();
  if (env) {
    out.clear();
    for (const auto& [key, value] : *env) out[key] = value;
  }
  return out;
}

// Both ends close-on-exec from birth: a child launched at the same moment
// from another thread must not inherit them (dup2 onto 0/1/2 clears the flag
// for the child that should have them).
bp::pipe cloexec_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw spawn_error{std::string("pipe2 failed: ") + std::strerror(errno)};
  }
  return bp::pipe(fds[0], fds[1]);
}

int status_from_raw(int raw) { return WIFSIGNALED(raw) ? -WTERMSIG(raw) : WEXITSTATUS(raw); }

std::optional<int> exit_status_now(child& c) {
  std::error_code ec;
  if (c.handle.running(ec)) return std::nullopt;
  return status_from_raw(c.handle.native_exit_code());
}

// Reads what is ready on one non-blocking fd, at most 4 MiB a call so that
// the output limits (limit_output) bound a flood between calls; closes it at
// end of stream.
void drain(int& fd, output& o) {
  char chunk[65536];
  for (std::size_t got = 0; got < (std::size_t{4} << 20);) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      o.buffer.append(chunk, static_cast<std::size_t>(n));
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      o.eof = true;
      ::close(fd);
      fd = -1;
    }
    return;
  }
}

}  // namespace

child_ptr spawn(const std::vector<std::string>& argv,
                const std::optional<std::map<std::string, std::string>>& env,
                const std::string& cwd) {
  auto program = resolve_program(argv[0]);
  bp::pipe in = cloexec_pipe(), out = cloexec_pipe(), err = cloexec_pipe();
  child_ptr c(new child);
  try {
    c->handle = bp::child(bp::exe = program,
                          bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
                          bp::std_in<in, bp::std_out> out, bp::std_err > err, bp::start_dir = cwd,
                          environment_of(env));
  } catch (const bp::process_error& e) {
    throw spawn_error{"cannot start " + argv[0] + ": " + e.what()};
  }
  c->pid = c->handle.id();
  c->stdin_fd = own_fd(in.native_sink());
  in.assign_sink(-1);
  c->output_fds[0] = own_fd(out.native_source());
  out.assign_source(-1);
  c->output_fds[1] = own_fd(err.native_source());
  err.assign_source(-1);
  return c;
}

int pid_of(const child& c) { return c.pid; }

bool write_stdin(child& c, std::string_view data, clock::time_point deadline) {
  if (c.stdin_fd < 0) throw end_of_stream{};
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(c.stdin_fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EPIPE) throw end_of_stream{};
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      throw spawn_error{std::string("write to stdin failed: ") + std::strerror(errno)};
    }
    if (clock::now() >= deadline) return false;
    pollfd p{c.stdin_fd, POLLOUT, 0};
    ::poll(&p, 1, poll_timeout_ms(deadline));
  }
  return true;
}

void close_stdin(child& c) {
  if (c.stdin_fd >= 0) ::close(c.stdin_fd);
  c.stdin_fd = -1;
}

void pump(child& c, std::array<output, 2>& outputs, clock::time_point deadline) {
  pollfd fds[2];
  std::size_t owners[2];
  nfds_t count = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    if (c.output_fds[i] < 0) continue;
    fds[count] = {c.output_fds[i], POLLIN, 0};
    owners[count++] = i;
  }
  if (count == 0) return;
  if (::poll(fds, count, poll_timeout_ms(deadline)) <= 0) return;
  for (nfds_t k = 0; k < count; ++k) {
    if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
      drain(c.output_fds[owners[k]], outputs[owners[k]]);
    }
  }
}

std::optional<int> wait_exit(child& c, clock::time_point deadline) {
  auto nap = std::chrono::microseconds(200);
  for (;;) {
    if (auto status = exit_status_now(c)) return status;
    if (clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::min<clock::duration>(nap, deadline - clock::now()));
    nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(10));
  }
}

void ask_to_end(child& c) { ::kill(c.pid, SIGTERM); }

void force_end(child& c) { ::kill(c.pid, SIGKILL); }

}  // namespace netipc::launcher::backend
