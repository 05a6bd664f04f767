#include "events.hpp"

#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace netipc::peer {

event_log::event_log() { _setmode(_fileno(stdout), _O_BINARY); }

// Bytes that are not UTF-8 (a peer's own text) become U+FFFD, never a throw.
void event_log::emit(const json& event) {
  line(event.dump(-1, ' ', false, json::error_handler_t::replace));
}

void event_log::line(std::string_view text) {
  std::lock_guard lock(mutex_);
  std::string out(text);
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  // Wine fully buffers a Unix pipe: a line must leave now, not at exit.
  std::fflush(stdout);
}

json hello_json(const hello& h) {
  return {{"layout_version", h.layout_version},
          {"flags", h.flags},
          {"supported_profiles", h.supported_profiles},
          {"preferred_profiles", h.preferred_profiles},
          {"max_request_payload_bytes", h.max_request_payload_bytes},
          {"max_request_batch_items", h.max_request_batch_items},
          {"max_response_payload_bytes", h.max_response_payload_bytes},
          {"max_response_batch_items", h.max_response_batch_items},
          {"padding", h.padding},
          {"auth_token", h.auth_token},
          {"packet_size", h.packet_size}};
}

json ack_json(const hello_ack& ack) {
  return {{"layout_version", ack.layout_version},
          {"flags", ack.flags},
          {"server_supported_profiles", ack.server_supported_profiles},
          {"intersection_profiles", ack.intersection_profiles},
          {"selected_profile", ack.selected_profile},
          {"agreed_max_request_payload_bytes", ack.agreed_max_request_payload_bytes},
          {"agreed_max_request_batch_items", ack.agreed_max_request_batch_items},
          {"agreed_max_response_payload_bytes", ack.agreed_max_response_payload_bytes},
          {"agreed_max_response_batch_items", ack.agreed_max_response_batch_items},
          {"agreed_packet_size", ack.agreed_packet_size},
          {"padding", ack.padding},
          {"session_id", ack.session_id}};
}

json shm_names_json(const shm_object_names& names) {
  return {
      {"mapping", names.mapping}, {"req_event", names.req_event}, {"resp_event", names.resp_event}};
}

json latency_percentiles(std::vector<double> latencies_us) {
  json out = json::object();
  if (latencies_us.empty()) return out;
  std::sort(latencies_us.begin(), latencies_us.end());
  auto at = [&](double q) {
    auto index = static_cast<std::size_t>(q * static_cast<double>(latencies_us.size() - 1) + 0.5);
    return latencies_us[index];
  };
  out["latency_p50_us"] = at(0.50);
  out["latency_p95_us"] = at(0.95);
  out["latency_p99_us"] = at(0.99);
  return out;
}

double process_cpu_seconds() {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  auto ticks = [](FILETIME t) {
    return (static_cast<unsigned long long>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
  };
  return static_cast<double>(ticks(kernel) + ticks(user)) / 1e7;
}

json failure_json(const win32::failure& f) {
  json out = {{"reason", std::string(win32::close_reason_name(f.reason))}, {"detail", f.detail}};
  if (f.rule) {
    out["rule"] = std::string(rule_name(f.rule->which));
    out["clause"] = std::string(rule_clause(f.rule->which));
  }
  if (f.win32_code != ERROR_SUCCESS) {
    out["win32_code"] = f.win32_code;
    out["win32_name"] = win32::win32_error_name(f.win32_code);
  }
  return out;
}

}  // namespace netipc::peer
