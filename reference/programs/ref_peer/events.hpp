// The peer's stdout: one JSON object per line (docs/peer-cli.md), written
// whole and flushed, from any thread. The last line is always
// {"event":"exit","code":N}: a run that ends without it crashed.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "netipc/names.hpp"
#include "netipc/win32/failure.hpp"
#include "netipc/wire.hpp"

namespace netipc::peer {

using json = nlohmann::ordered_json;  // "event" first, as written

class event_log {
 public:
  // Binary stdout: Windows would turn "\n" into "\r\n".
  event_log();
  void emit(const json& event);
  // Minimal form: READY, PASS, FAIL lines as they are.
  void line(std::string_view text);

 private:
  std::mutex mutex_;
};

json hello_json(const hello& h);
json ack_json(const hello_ack& ack);
json shm_names_json(const shm_object_names& names);
// latency_p50_us, latency_p95_us, latency_p99_us (nothing when empty).
json latency_percentiles(std::vector<double> latencies_us);
// User plus kernel time of this process so far (GetProcessTimes).
double process_cpu_seconds();
// reason, rule, clause, win32_code, win32_name, detail (fields that apply).
json failure_json(const win32::failure& f);

}  // namespace netipc::peer
