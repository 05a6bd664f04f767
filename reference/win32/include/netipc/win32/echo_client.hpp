// The reference client: connect (NP-7), HELLO first (NP-8), obey the ACK
// (NP-9), attach the SHM objects when an SHM profile was selected and
// reconnect without SHM when they cannot be opened (NP-11), then send
// requests and check their echoes, up to `pipeline` of them in flight and
// answers matched by message_id (WE-9, WE-10).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netipc/win32/failure.hpp"
#include "netipc/win32/handshake.hpp"
#include "netipc/win32/session.hpp"

namespace netipc::win32 {

struct echo_plan {
  std::uint32_t payload_size = 64;  // bytes per request; per item with batch_items
  std::uint64_t messages = 1;
  std::uint32_t pipeline = 1;     // requests in flight at most
  std::uint32_t batch_items = 0;  // 0: single messages; N: batches of N items
  std::uint16_t code = 3;         // method code (STRING_REVERSE); payloads are opaque
};

// Request `message_id` of a plan: deterministic, so the echo can be checked
// without keeping a copy, and distinct per id, so a mixed-up answer shows.
bytes make_request(const echo_plan& plan, std::uint64_t message_id);

struct echo_client_options {
  std::string run_dir;
  std::string service;
  hello proposal;                         // the HELLO this client sends
  std::chrono::milliseconds wait{30000};  // connect, and each pipe operation
  bool shm_reconnect = true;              // NP-11; false: failing to attach ends the run
};

// Called from the client's threads (reader and writer): implementations lock.
class client_observer {
 public:
  virtual ~client_observer() = default;
  virtual void handshake(const client_handshake& /*answer*/) {}
  // attached: the SHM objects of the session opened (NP-11).
  virtual void shm(const shm_object_names& /*names*/, std::uint64_t /*session_id*/,
                   const std::optional<failure>& /*why_not*/) {}
  virtual void reconnecting(const hello& /*proposal*/) {}
  virtual void echoed(std::uint64_t /*message_id*/, std::size_t /*payload_len*/, bool /*ok*/,
                      const std::string& /*detail*/) {}
};

struct client_run {
  failure end;  // closed when every echo arrived; otherwise why it stopped
  std::optional<client_handshake> handshake;
  std::uint64_t echoes_ok = 0;
  std::uint64_t echoes_bad = 0;      // answered, but not with the request's echo
  double seconds = 0;                // from the accepted handshake to the last echo
  std::vector<double> latencies_us;  // per answered request: sent to answered
  bool ok() const { return end.reason == close_reason::closed && echoes_bad == 0; }
};

client_run run_echo_client(const echo_client_options& options, const echo_plan& plan,
                           client_observer* observer = nullptr);

// The steps of run_echo_client, for callers that drive a session by hand.
outcome<pipe_session> connect_session(const std::string& run_dir, const std::string& service,
                                      std::chrono::milliseconds wait);

}  // namespace netipc::win32
