// The server role: serve --sessions connections (or until stdin closes with
// --serve-forever), echo every request, report each handshake and each end.
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "netipc/win32/echo_server.hpp"
#include "roles.hpp"

namespace netipc::peer {

namespace {

using namespace netipc::win32;

// A long accept wait for --serve-forever: still a deadline, never a hang.
constexpr std::chrono::hours kServeForeverAcceptWait{24};

class server_events : public server_observer {
 public:
  explicit server_events(event_log& log) : log_(log) {}

  void handshake(std::uint64_t connection, const server_handshake& answer) override {
    json e = {{"event", "handshake"},
              {"role", "server"},
              {"connection", connection},
              {"status", transport_status_name(answer.status)},
              {"hello_malformed", answer.hello_malformed},
              {"ack", ack_json(answer.ack)}};
    if (answer.rule) {
      e["rule"] = std::string(rule_name(answer.rule->which));
      e["detail"] = answer.rule->detail;
    }
    if (answer.shm_names) {
      json shm = shm_names_json(*answer.shm_names);
      shm["prepared"] = answer.shm.mapping.valid();
      if (answer.shm_failure) shm["failure"] = failure_json(*answer.shm_failure);
      e["shm"] = shm;
    }
    log_.emit(e);
  }

  void closed(const session_end& end) override {
    json e = {{"event", "close"}, {"role", "server"}, {"connection", end.connection}};
    e["session_id"] = end.session_id;
    e["echoed"] = end.echoed;
    e["mid_message"] = end.mid_message;
    e.update(failure_json(end.end));
    log_.emit(e);
  }

 private:
  event_log& log_;
};

// A served session that ended any other way than the client leaving
// between messages decides the exit code; the first such one wins.
exit_code code_for(const server_run& run, bool stopping) {
  for (const session_end& end : run.sessions) {
    if (end.clean()) continue;
    if (end.handshake_done && end.status != transport_status::ok) return exit_rejected;
    if (end.end.reason == close_reason::disconnected) return exit_disconnected;
    return exit_code_for(end.end.reason);
  }
  if (run.accept_failure && !stopping) return exit_code_for(run.accept_failure->reason);
  return exit_ok;
}

// --serve-forever ends when stdin reaches its end or says "quit". The
// watcher shares the server and is detached: if serving ends another way, it
// may still be blocked in a read when the process exits.
void watch_stdin(std::shared_ptr<echo_server> server) {
  std::thread([server] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.rfind("quit", 0) == 0) break;
    }
    server->stop();
  }).detach();
}

}  // namespace

exit_code run_server(const peer_args& args, event_log& log) {
  echo_server_options options;
  options.handshake.config = args.config;
  options.handshake.run_dir = args.run_dir;
  options.handshake.service = args.service;
  options.handshake.shm_prepare = args.shm_prepare;
  options.wait = args.deadline;
  options.sessions = args.sessions;
  options.accept_wait =
      args.sessions ? std::chrono::milliseconds(args.deadline) : kServeForeverAcceptWait;

  server_events events(log);
  auto opened = echo_server::open(options, &events);
  if (!opened) {
    json e = {{"event", "listen_failed"}, {"pipe_name", args.pipe_name}};
    e.update(failure_json(opened.fail()));
    log.emit(e);
    return exit_code_for(opened.fail().reason);
  }
  std::shared_ptr<echo_server> server = std::move(opened).value();
  if (args.minimal) {
    log.line("READY");
  } else {
    log.emit({{"event", "ready"},
              {"pipe_name", args.pipe_name},
              {"run_dir", args.run_dir},
              {"service", args.service}});
  }
  if (!args.sessions) watch_stdin(server);
  server_run run = server->run();
  bool stopping = !args.sessions;

  std::uint64_t clean = 0;
  for (const session_end& end : run.sessions) clean += end.clean() ? 1 : 0;
  json stats = {{"event", "stats"},
                {"role", "server"},
                {"sessions", run.sessions.size()},
                {"clean_sessions", clean},
                {"cpu_seconds", process_cpu_seconds()}};
  if (run.accept_failure && !stopping) stats["accept_failure"] = failure_json(*run.accept_failure);
  log.emit(stats);
  return code_for(run, stopping);
}

}  // namespace netipc::peer
