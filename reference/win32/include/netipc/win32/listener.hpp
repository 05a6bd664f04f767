// The server end of the named pipe (NP-6, NP-13, NP-18): message-type,
// overlapped instances at one name, two of them always listening, so a
// client arriving while another is being accepted finds a free instance.
#pragma once

#include <windows.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netipc/win32/failure.hpp"
#include "netipc/win32/pipe_io.hpp"

namespace netipc::win32 {

class listener {
 public:
  // buffer_size: each instance's in and out buffer, the server's packet size
  // (NP-13: the largest negotiated packet is never above it).
  static outcome<listener> open(const std::wstring& pipe_name, std::uint32_t buffer_size);

  listener(listener&&) noexcept;
  listener& operator=(listener&&) noexcept;
  ~listener();

  // The next connected client. A replacement instance is listening before
  // this returns (NP-18); on a timeout the pending instances stay as they are.
  // stop_event (optional): when set, accept gives up like at the deadline.
  outcome<handle> accept(clock::time_point deadline, HANDLE stop_event = nullptr);

  const std::wstring& pipe_name() const { return pipe_name_; }

 private:
  struct instance;
  listener(std::wstring pipe_name, std::uint32_t buffer_size);
  outcome<std::unique_ptr<instance>> listen_one(bool first);

  std::wstring pipe_name_;
  std::uint32_t buffer_size_ = 0;
  std::vector<std::unique_ptr<instance>> listening_;
};

}  // namespace netipc::win32
