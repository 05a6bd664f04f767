// The client role: connect, HELLO with the configured values, obey the ACK,
// then send --messages requests (up to --pipeline in flight) and check
// each echo.
#include <string>

#include "netipc/win32/echo_client.hpp"
#include "roles.hpp"

namespace netipc::peer {

namespace {

using namespace netipc::win32;

class client_events : public client_observer {
 public:
  client_events(event_log& log, bool every_echo) : log_(log), every_echo_(every_echo) {}

  void handshake(const client_handshake& answer) override {
    json e = {{"event", "handshake"},
              {"role", "client"},
              {"status", transport_status_name(answer.status)},
              {"accepted", !answer.broken.has_value()},
              {"ack", ack_json(answer.ack)}};
    if (answer.broken) {
      e["rule"] = std::string(rule_name(answer.broken->which));
      e["detail"] = answer.broken->detail;
    }
    log_.emit(e);
  }

  void shm(const shm_object_names& names, std::uint64_t session_id,
           const std::optional<failure>& why_not) override {
    json e = {{"event", "shm"}, {"session_id", session_id}};
    e.update(shm_names_json(names));
    e["attached"] = !why_not.has_value();
    if (why_not) e["failure"] = failure_json(*why_not);
    log_.emit(e);
  }

  void reconnecting(const hello& proposal) override {
    log_.emit({{"event", "reconnecting"}, {"hello", hello_json(proposal)}});
  }

  void echoed(std::uint64_t message_id, std::size_t payload_len, bool ok,
              const std::string& detail) override {
    if (ok && !every_echo_) return;
    json e = {
        {"event", "echo"}, {"message_id", message_id}, {"payload_len", payload_len}, {"ok", ok}};
    if (!ok) e["detail"] = detail;
    log_.emit(e);
  }

 private:
  event_log& log_;
  bool every_echo_;
};

exit_code code_for(const client_run& run) {
  if (run.ok()) return exit_ok;
  if (run.echoes_bad > 0) return exit_protocol;  // an answer that is not the echo
  return exit_code_for(run.end.reason);
}

}  // namespace

exit_code run_client(const peer_args& args, event_log& log) {
  echo_client_options options;
  options.run_dir = args.run_dir;
  options.service = args.service;
  options.proposal = hello_for(args.config);
  options.wait = args.deadline;

  echo_plan plan;
  plan.payload_size = args.payload_size;
  plan.messages = args.messages;
  plan.pipeline = args.pipeline;
  plan.batch_items = args.batch;

  client_events events(log, args.echo_events && !args.minimal);
  client_run run = run_echo_client(options, plan, &events);

  json close = {{"event", "close"},
                {"role", "client"},
                {"session_id", run.handshake ? run.handshake->ack.session_id : 0}};
  close.update(failure_json(run.end));
  log.emit(close);
  double rate = run.seconds > 0 ? static_cast<double>(run.echoes_ok) / run.seconds : 0.0;
  json stats = {{"event", "stats"},
                {"role", "client"},
                {"messages", args.messages},
                {"echoes_ok", run.echoes_ok},
                {"echoes_bad", run.echoes_bad},
                {"seconds", run.seconds},
                {"round_trips_per_second", rate},
                {"cpu_seconds", process_cpu_seconds()}};
  stats.update(latency_percentiles(run.latencies_us));
  log.emit(stats);
  exit_code code = code_for(run);
  if (args.minimal) log.line(code == exit_ok ? "PASS" : "FAIL " + run.end.detail);
  return code;
}

}  // namespace netipc::peer
