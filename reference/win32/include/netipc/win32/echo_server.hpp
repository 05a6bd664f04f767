// The reference server: many clients at once (NP-18), one thread per
// session so a slow or silent client never holds up the others; each
// session handshakes through the core and then answers every REQUEST with a
// RESPONSE carrying the same message_id, code, flags, item_count and payload.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netipc/win32/failure.hpp"
#include "netipc/win32/handshake.hpp"
#include "netipc/win32/listener.hpp"

namespace netipc::win32 {

struct echo_server_options {
  server_handshake_options handshake;
  std::chrono::milliseconds wait{30000};  // the longest one pipe operation of a session may take
  std::optional<std::uint64_t> sessions;  // connections to serve, then return; none = until stop()
  std::chrono::milliseconds accept_wait{120000};  // the longest wait for the next client
};

// How one connection ended.
struct session_end {
  std::uint64_t connection = 0;  // 1, 2, ... in accept order
  std::uint64_t session_id = 0;  // 0 when no session was accepted
  bool handshake_done = false;   // a HELLO_ACK was sent (OK or not)
  transport_status status = transport_status::ok;
  failure end;               // why the session is over
  bool mid_message = false;  // the client left inside a chunked message
  std::uint64_t echoed = 0;

  // The normal end of a served session: the client left between messages.
  bool clean() const {
    return handshake_done && status == transport_status::ok &&
           end.reason == close_reason::disconnected && !mid_message;
  }
};

// Called from the session threads, concurrently: implementations lock.
class server_observer {
 public:
  virtual ~server_observer() = default;
  virtual void handshake(std::uint64_t /*connection*/, const server_handshake& /*answer*/) {}
  virtual void echoed(std::uint64_t /*session_id*/, const message& /*request*/,
                      const done& /*answered*/) {}
  virtual void closed(const session_end& /*end*/) {}
};

struct server_run {
  std::vector<session_end> sessions;      // in accept order
  std::optional<failure> accept_failure;  // why accepting stopped early
};

class echo_server {
 public:
  // Validates nothing itself: the pipe name comes from the core (NP-2, NP-4).
  static outcome<std::unique_ptr<echo_server>> open(echo_server_options options,
                                                    server_observer* observer = nullptr);
  ~echo_server();

  const std::wstring& pipe_name() const { return listener_.pipe_name(); }

  // Accepts until `sessions` connections were taken (or stop(), or no client
  // within accept_wait), then waits for every session to end.
  server_run run();
  // From any thread: no more accepts; sessions in flight finish normally.
  void stop() { ::SetEvent(stop_.get()); }

 private:
  echo_server(echo_server_options options, listener l, server_observer* observer);
  session_end serve(std::uint64_t connection, handle pipe);
  void echo_loop(pipe_session& session, const hello_ack& ack, session_end& end);

  echo_server_options options_;
  listener listener_;
  server_observer* observer_;
  server_observer silent_;
  shared_session_counter counter_;
  handle stop_;
};

}  // namespace netipc::win32
