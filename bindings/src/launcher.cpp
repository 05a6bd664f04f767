#include "launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace bp = boost::process;

namespace netipc::launcher {

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
  if (program.empty()) throw spawn_error{"cannot start a program with an empty name"};
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

}  // namespace

process::process(const std::vector<std::string>& argv,
                 const std::optional<std::map<std::string, std::string>>& env,
                 const std::optional<std::string>& cwd) {
  if (argv.empty()) throw spawn_error{"argv is empty: nothing to start"};
  auto program = resolve_program(argv[0]);
  std::string dir = cwd.value_or(std::filesystem::current_path().string());
  if (!std::filesystem::is_directory(dir)) throw spawn_error{"working directory not found: " + dir};

  bp::pipe in = cloexec_pipe(), out = cloexec_pipe(), err = cloexec_pipe();
  try {
    child_ = bp::child(bp::exe = program,
                       bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
                       bp::std_in<in, bp::std_out> out, bp::std_err > err, bp::start_dir = dir,
                       environment_of(env));
  } catch (const bp::process_error& e) {
    throw spawn_error{"cannot start " + argv[0] + ": " + e.what()};
  }
  pid_ = child_.id();
  stdin_fd_ = own_fd(in.native_sink());
  in.assign_sink(-1);
  out_.fd = own_fd(out.native_source());
  out.assign_source(-1);
  err_.fd = own_fd(err.native_source());
  err.assign_source(-1);
}

process::~process() {
  try {
    if (!reap_if_exited()) terminate(std::chrono::milliseconds(200));
  } catch (...) {
    // A destructor must not throw; the SIGKILL path below still reaps.
    ::kill(pid_, SIGKILL);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
  }
  close_stdin();
  for (auto* c : {&out_, &err_}) {
    if (c->fd >= 0) ::close(c->fd);
  }
}

bool process::write_stdin(const std::string& data, clock::time_point deadline) {
  if (stdin_fd_ < 0) throw end_of_stream{};
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EPIPE) throw end_of_stream{};
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      throw spawn_error{std::string("write to stdin failed: ") + std::strerror(errno)};
    }
    if (clock::now() >= deadline) return false;
    pollfd p{stdin_fd_, POLLOUT, 0};
    ::poll(&p, 1, poll_timeout_ms(deadline));
  }
  return true;
}

void process::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void process::pump(clock::time_point deadline) {
  pollfd fds[2];
  channel* owners[2];
  nfds_t count = 0;
  for (auto* c : {&out_, &err_}) {
    if (c->eof) continue;
    fds[count] = {c->fd, POLLIN, 0};
    owners[count++] = c;
  }
  if (count == 0) return;
  if (::poll(fds, count, poll_timeout_ms(deadline)) <= 0) return;
  char chunk[65536];
  for (nfds_t i = 0; i < count; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    for (;;) {
      ssize_t n = ::read(owners[i]->fd, chunk, sizeof chunk);
      if (n > 0) {
        owners[i]->buffer.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        owners[i]->eof = true;
        ::close(owners[i]->fd);
        owners[i]->fd = -1;
      }
      break;
    }
  }
}

std::optional<std::string> process::read_line(stream which, clock::time_point deadline) {
  channel& c = of(which);
  for (;;) {
    auto newline = c.buffer.find('\n');
    if (newline != std::string::npos || (c.eof && !c.buffer.empty())) {
      std::string line = c.buffer.substr(0, newline);
      c.buffer.erase(0, newline == std::string::npos ? newline : newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (c.eof) throw end_of_stream{};
    if (clock::now() >= deadline) return std::nullopt;
    pump(deadline);
  }
}

std::string process::read_all(stream which, clock::time_point deadline) {
  channel& c = of(which);
  while (!c.eof && clock::now() < deadline) pump(deadline);
  return std::exchange(c.buffer, {});
}

bool process::reap_if_exited() {
  if (status_) return true;
  std::error_code ec;
  if (child_.running(ec)) return false;
  status_ = status_from_raw(child_.native_exit_code());
  return true;
}

bool process::running() { return !reap_if_exited(); }

std::optional<int> process::wait(clock::time_point deadline) {
  auto nap = std::chrono::microseconds(200);
  while (!reap_if_exited()) {
    if (clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::min<clock::duration>(nap, deadline - clock::now()));
    nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(10));
  }
  return status_;
}

int process::terminate(std::chrono::duration<double> grace) {
  if (reap_if_exited()) return *status_;
  ::kill(pid_, SIGTERM);
  auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(grace);
  if (auto status = wait(deadline)) return *status;
  ::kill(pid_, SIGKILL);
  // SIGKILL cannot be ignored; the bound only guards against a stuck kernel.
  if (auto status = wait(clock::now() + std::chrono::seconds(30))) return *status;
  throw spawn_error{"process " + std::to_string(pid_) + " survived SIGKILL for 30 s"};
}

}  // namespace netipc::launcher
