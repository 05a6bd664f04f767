// The thin Win32 layer: named-pipe calls with every wait bounded by a
// deadline (overlapped I/O, CancelIoEx on expiry), and Win32 codes kept as
// values so callers can tell a graceful close (NP-17) from anything else.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netipc::win32 {

using clock = std::chrono::steady_clock;

// The outcome of one call: success, a Win32 code, or the deadline passing.
struct io_outcome {
  DWORD code = ERROR_SUCCESS;
  bool timed_out = false;
  bool ok() const { return code == ERROR_SUCCESS && !timed_out; }
};

// "ERROR_BROKEN_PIPE" for 109, "WIN32_ERROR_<n>" for codes without a name here.
std::string win32_error_name(DWORD code);

// NP-17: the peer left. A graceful close, never a protocol violation.
constexpr bool is_disconnect(DWORD code) {
  return code == ERROR_BROKEN_PIPE || code == ERROR_NO_DATA || code == ERROR_PIPE_NOT_CONNECTED;
}

std::wstring widen(std::string_view utf8);

// Owns a HANDLE; closes it once.
class handle {
 public:
  handle() = default;
  explicit handle(HANDLE h) : h_(h) {}
  ~handle() { reset(); }
  handle(handle&& other) noexcept : h_(other.release()) {}
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = other.release();
    }
    return *this;
  }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;

  HANDLE get() const { return h_; }
  bool valid() const { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset() {
    if (valid()) ::CloseHandle(h_);
    h_ = nullptr;
  }

 private:
  HANDLE h_ = nullptr;
};

// The event of overlapped calls, made once and reused: a session makes
// thousands of calls, and a new event per call costs kernel (wineserver)
// round trips. Each thread doing I/O needs its own.
class overlapped_event {
 public:
  overlapped_event() : event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
  HANDLE get() const { return event_.get(); }

 private:
  handle event_;
};

struct listen_options {
  DWORD max_instances = PIPE_UNLIMITED_INSTANCES;
  DWORD in_buffer = 65536;
  DWORD out_buffer = 65536;
  bool first_instance = false;  // FILE_FLAG_FIRST_PIPE_INSTANCE (Wine ignores it)
  bool message_type = true;     // PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE (NP-1)
};

// One overlapped server instance of the pipe; code set on failure.
handle create_pipe_instance(const std::wstring& name, const listen_options& options,
                            io_outcome& outcome);

// ConnectNamedPipe, overlapped; a client that connected first counts.
io_outcome accept_client(HANDLE pipe, clock::time_point deadline);

struct connect_options {
  bool message_read_mode = true;  // PIPE_READMODE_MESSAGE after CreateFileW (NP-1)
  bool retry_missing = false;     // keep trying while the name does not exist yet
};

// CreateFileW; ERROR_PIPE_BUSY waits with WaitNamedPipeW inside the deadline.
handle connect_pipe(const std::wstring& name, clock::time_point deadline,
                    const connect_options& options, io_outcome& outcome);

// One whole message in one WriteFile (one pipe message, NP-14).
io_outcome write_message(HANDLE pipe, std::span<const std::uint8_t> data,
                         clock::time_point deadline);
io_outcome write_message(HANDLE pipe, std::span<const std::uint8_t> data,
                         clock::time_point deadline, const overlapped_event& event);

// One whole message; ERROR_MORE_DATA is followed by reads of the rest.
io_outcome read_message(HANDLE pipe, std::vector<std::uint8_t>& message,
                        clock::time_point deadline);

// The same into a buffer that is kept between calls: it grows when a message
// does not fit (ERROR_MORE_DATA) and never shrinks; length is the message's.
io_outcome read_message_into(HANDLE pipe, std::vector<std::uint8_t>& buffer, std::size_t& length,
                             clock::time_point deadline, const overlapped_event& event);

// WaitNamedPipeW(timeout): ERROR_SUCCESS (an instance is free),
// ERROR_SEM_TIMEOUT (exists, all busy) or ERROR_FILE_NOT_FOUND.
DWORD probe_pipe_name(const std::wstring& name, DWORD timeout_ms);

}  // namespace netipc::win32
