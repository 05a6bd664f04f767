// The handshake over a connected pipe (NP-8, NP-9, NP-11, WE-7, WE-8). Every
// decision is the core's: decide_handshake on the server, check_hello_ack on
// the client; this layer only moves the bytes and keeps the SHM promise.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "netipc/handshake.hpp"
#include "netipc/names.hpp"
#include "netipc/win32/failure.hpp"
#include "netipc/win32/session.hpp"
#include "netipc/win32/shm.hpp"

namespace netipc::win32 {

// One session_counter for the whole server, shared by its session threads
// (WE-8: ids unique for the server's lifetime).
class shared_session_counter {
 public:
  decision decide(const server_config& config, const hello& h) {
    std::lock_guard lock(mutex_);
    return decide_handshake(config, h, counter_);
  }

 private:
  std::mutex mutex_;
  session_counter counter_;
};

inline bool is_shm_profile(std::uint32_t profile) {
  return profile == kProfileShmHybrid || profile == kProfileShmBusywait ||
         profile == kProfileShmWaitaddr;
}

struct server_handshake_options {
  server_config config;
  std::string run_dir;  // with service and the auth token: the SHM names (NP-15)
  std::string service;
  // false: select an SHM profile without preparing its objects, a broken
  // server on purpose, so a client's recovery (NP-11) can be tested.
  bool shm_prepare = true;
};

// What the server answered. status is OK, a 4.3 rejection, BAD_ENVELOPE for
// a first message that was no valid HELLO, or INTERNAL_ERROR when the SHM
// objects could not be prepared.
struct server_handshake {
  transport_status status = transport_status::ok;
  std::optional<netipc::error> rule;  // why, unless OK
  hello_ack ack;
  bool hello_malformed = false;               // the first message was not a valid HELLO
  std::optional<shm_object_names> shm_names;  // when an SHM profile was selected
  shm_objects shm;                            // open while the session lives (NP-16)
  std::optional<failure> shm_failure;         // why INTERNAL_ERROR, when SHM was the cause
};

// Reads the HELLO, decides, prepares SHM objects when an SHM profile is
// selected, sends the HELLO_ACK. On OK the session agrees on the ACK's
// values; otherwise the caller closes the pipe (WE-7). A failure means no
// HELLO arrived (the client left, the deadline passed, Win32 failed).
outcome<server_handshake> serve_handshake(pipe_session& session,
                                          const server_handshake_options& options,
                                          shared_session_counter& counter);

// What the client got back and what it made of it.
struct client_handshake {
  transport_status status = transport_status::ok;
  hello_ack ack;
  std::optional<netipc::error> broken;  // check_hello_ack's verdict; none = accepted
};

// Sends the HELLO, reads and checks the HELLO_ACK; on acceptance the session
// agrees on the ACK's values. A failure means no parsable HELLO_ACK arrived.
outcome<client_handshake> request_handshake(pipe_session& session, const hello& h,
                                            std::uint64_t message_id = 0);

}  // namespace netipc::win32
