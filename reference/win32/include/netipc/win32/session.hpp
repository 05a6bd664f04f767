// One connected pipe end and the messages on it: packets are pipe messages
// (NP-1); a logical message larger than agreed_packet_size goes out through
// the core's chunk plan and comes in through the core's reassembler (NP-14).
// One thread may send while another receives; each direction has its own
// state and its own overlapped event.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "netipc/chunking.hpp"
#include "netipc/win32/failure.hpp"
#include "netipc/win32/pipe_io.hpp"
#include "netipc/wire.hpp"

namespace netipc::win32 {

class pipe_session {
 public:
  // wait: the longest any single pipe operation may take.
  pipe_session(handle pipe, std::chrono::milliseconds wait);

  // Raw packets: one pipe message each, no framing checks.
  done write_packet(byte_view packet);
  outcome<bytes> read_packet();

  // After the handshake: the session's agreed values (NP-9).
  void agree(std::uint32_t agreed_packet_size, limits receive_limits);

  // message = outer header + whole payload; chunked when it does not fit.
  done send_message(byte_view message);
  // The next whole message, every packet checked by the reassembler; a
  // broken rule is a protocol failure and the session is over.
  outcome<netipc::message> receive_message();
  // True while a chunked message has been partly received (a disconnect
  // there leaves a message unfinished).
  bool mid_message() const { return reassembler_ && reassembler_->in_progress(); }

  HANDLE native() const { return pipe_.get(); }
  std::chrono::milliseconds wait() const { return wait_; }
  // Stops any read or write in flight on this pipe, from any thread.
  void cancel_io() const { ::CancelIoEx(pipe_.get(), nullptr); }
  void close() { pipe_.reset(); }

 private:
  clock::time_point deadline() const { return clock::now() + wait_; }

  handle pipe_;
  std::chrono::milliseconds wait_;
  std::uint32_t agreed_packet_size_ = 0;
  std::optional<reassembler> reassembler_;
  overlapped_event read_event_;
  overlapped_event write_event_;
  bytes read_buffer_;
};

}  // namespace netipc::win32
