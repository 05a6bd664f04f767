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

namespace {

// A record as a JSON object: one key per row of its X-macro, in wire order.
template <class Record>
json record_json(const Record& record) {
  json out = json::object();
  Record::each_field([&](const char* name, auto member) { out[name] = record.*member; });
  return out;
}

}  // namespace

json hello_json(const hello& h) { return record_json(h); }

json ack_json(const hello_ack& ack) { return record_json(ack); }

json shm_names_json(const shm_object_names& names) { return record_json(names); }

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
