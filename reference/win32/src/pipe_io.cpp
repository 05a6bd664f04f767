#include "netipc/win32/pipe_io.hpp"

#include <algorithm>
#include <thread>

namespace netipc::win32 {

namespace {

DWORD millis_until(clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left <= 0 ? 0 : static_cast<DWORD>(std::min<long long>(left, 0x7FFFFFFF));
}

// An overlapped call in flight: waits for it until the deadline, cancels it
// after, and always collects its result so the OVERLAPPED can be reused.
// ReadFile, WriteFile and ConnectNamedPipe reset the event when they start.
class pending_io {
 public:
  explicit pending_io(HANDLE event) { ov_.hEvent = event; }
  OVERLAPPED* get() { return &ov_; }

  // started: what the call returned; error: GetLastError() right after it.
  io_outcome finish(HANDLE h, BOOL started, DWORD error, clock::time_point deadline,
                    DWORD& transferred) {
    transferred = 0;
    if (started) {
      ::GetOverlappedResult(h, &ov_, &transferred, FALSE);
      return {};
    }
    if (error == ERROR_MORE_DATA) {
      ::GetOverlappedResult(h, &ov_, &transferred, FALSE);
      return {error, false};
    }
    if (error != ERROR_IO_PENDING) return {error, false};
    if (::WaitForSingleObject(ov_.hEvent, millis_until(deadline)) != WAIT_OBJECT_0) {
      ::CancelIoEx(h, &ov_);
      if (!::GetOverlappedResult(h, &ov_, &transferred, TRUE)) {
        DWORD code = ::GetLastError();
        if (code == ERROR_OPERATION_ABORTED) return {ERROR_SUCCESS, true};
        return {code, false};
      }
      return {};  // it completed as we cancelled
    }
    if (!::GetOverlappedResult(h, &ov_, &transferred, FALSE)) return {::GetLastError(), false};
    return {};
  }

 private:
  OVERLAPPED ov_{};
};

}  // namespace

std::string win32_error_name(DWORD code) {
  switch (code) {
    case ERROR_SUCCESS:
      return "ERROR_SUCCESS";
    case ERROR_FILE_NOT_FOUND:
      return "ERROR_FILE_NOT_FOUND";
    case ERROR_PATH_NOT_FOUND:
      return "ERROR_PATH_NOT_FOUND";
    case ERROR_ACCESS_DENIED:
      return "ERROR_ACCESS_DENIED";
    case ERROR_INVALID_HANDLE:
      return "ERROR_INVALID_HANDLE";
    case ERROR_INVALID_PARAMETER:
      return "ERROR_INVALID_PARAMETER";
    case ERROR_BROKEN_PIPE:
      return "ERROR_BROKEN_PIPE";
    case ERROR_INVALID_NAME:
      return "ERROR_INVALID_NAME";
    case ERROR_SEM_TIMEOUT:
      return "ERROR_SEM_TIMEOUT";
    case ERROR_BAD_PIPE:
      return "ERROR_BAD_PIPE";
    case ERROR_PIPE_BUSY:
      return "ERROR_PIPE_BUSY";
    case ERROR_NO_DATA:
      return "ERROR_NO_DATA";
    case ERROR_PIPE_NOT_CONNECTED:
      return "ERROR_PIPE_NOT_CONNECTED";
    case ERROR_MORE_DATA:
      return "ERROR_MORE_DATA";
    case ERROR_PIPE_CONNECTED:
      return "ERROR_PIPE_CONNECTED";
    case ERROR_PIPE_LISTENING:
      return "ERROR_PIPE_LISTENING";
    case ERROR_OPERATION_ABORTED:
      return "ERROR_OPERATION_ABORTED";
    case ERROR_IO_INCOMPLETE:
      return "ERROR_IO_INCOMPLETE";
    case ERROR_IO_PENDING:
      return "ERROR_IO_PENDING";
    case ERROR_TIMEOUT:
      return "ERROR_TIMEOUT";
    case ERROR_ALREADY_EXISTS:
      return "ERROR_ALREADY_EXISTS";
    default:
      return "WIN32_ERROR_" + std::to_string(code);
  }
}

std::wstring widen(std::string_view utf8) {
  if (utf8.empty()) return {};
  int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

handle create_pipe_instance(const std::wstring& name, const listen_options& options,
                            io_outcome& outcome) {
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  if (options.first_instance) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
  DWORD pipe_mode = PIPE_WAIT | (options.message_type ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                                      : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE);
  handle pipe(::CreateNamedPipeW(name.c_str(), open_mode, pipe_mode, options.max_instances,
                                 options.out_buffer, options.in_buffer, 0, nullptr));
  outcome = pipe.valid() ? io_outcome{} : io_outcome{::GetLastError(), false};
  return pipe;
}

io_outcome accept_client(HANDLE pipe, clock::time_point deadline) {
  overlapped_event event;
  pending_io io(event.get());
  BOOL started = ::ConnectNamedPipe(pipe, io.get());
  DWORD error = started ? ERROR_SUCCESS : ::GetLastError();
  if (!started && error == ERROR_PIPE_CONNECTED) return {};
  DWORD unused = 0;
  return io.finish(pipe, started, error, deadline, unused);
}

handle connect_pipe(const std::wstring& name, clock::time_point deadline,
                    const connect_options& options, io_outcome& outcome) {
  for (;;) {
    handle pipe(::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                              FILE_FLAG_OVERLAPPED, nullptr));
    if (pipe.valid()) {
      if (options.message_read_mode) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        if (!::SetNamedPipeHandleState(pipe.get(), &mode, nullptr, nullptr)) {
          outcome = {::GetLastError(), false};
          return {};
        }
      }
      outcome = {};
      return pipe;
    }
    DWORD error = ::GetLastError();
    bool again =
        error == ERROR_PIPE_BUSY || (options.retry_missing && error == ERROR_FILE_NOT_FOUND);
    if (!again) {
      outcome = {error, false};
      return {};
    }
    if (clock::now() >= deadline) {
      outcome = {error, true};
      return {};
    }
    if (error == ERROR_PIPE_BUSY) {
      ::WaitNamedPipeW(name.c_str(), std::max<DWORD>(1, millis_until(deadline)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

io_outcome write_message(HANDLE pipe, std::span<const std::uint8_t> data,
                         clock::time_point deadline, const overlapped_event& event) {
  pending_io io(event.get());
  BOOL started = ::WriteFile(pipe, data.data(), static_cast<DWORD>(data.size()), nullptr, io.get());
  DWORD error = started ? ERROR_SUCCESS : ::GetLastError();
  DWORD written = 0;
  io_outcome outcome = io.finish(pipe, started, error, deadline, written);
  if (outcome.ok() && written != data.size()) return {ERROR_MORE_DATA, false};
  return outcome;
}

io_outcome write_message(HANDLE pipe, std::span<const std::uint8_t> data,
                         clock::time_point deadline) {
  return write_message(pipe, data, deadline, overlapped_event{});
}

io_outcome read_message_into(HANDLE pipe, std::vector<std::uint8_t>& buffer, std::size_t& length,
                             clock::time_point deadline, const overlapped_event& event) {
  constexpr std::size_t kMinimum = 4096;
  if (buffer.size() < kMinimum) buffer.resize(kMinimum);
  length = 0;
  for (;;) {
    if (length == buffer.size()) buffer.resize(buffer.size() * 2);
    std::size_t room = std::min<std::size_t>(buffer.size() - length, 0x7FFFFFFF);
    pending_io io(event.get());
    BOOL started =
        ::ReadFile(pipe, buffer.data() + length, static_cast<DWORD>(room), nullptr, io.get());
    DWORD error = started ? ERROR_SUCCESS : ::GetLastError();
    DWORD got = 0;
    io_outcome outcome = io.finish(pipe, started, error, deadline, got);
    length += got;
    // ERROR_MORE_DATA: this part filled the room; the rest of the message follows.
    if (outcome.code != ERROR_MORE_DATA) return outcome;
  }
}

io_outcome read_message(HANDLE pipe, std::vector<std::uint8_t>& message,
                        clock::time_point deadline) {
  std::size_t length = 0;
  message.resize(65536);
  io_outcome outcome = read_message_into(pipe, message, length, deadline, overlapped_event{});
  message.resize(length);
  return outcome;
}

DWORD probe_pipe_name(const std::wstring& name, DWORD timeout_ms) {
  if (::WaitNamedPipeW(name.c_str(), timeout_ms)) return ERROR_SUCCESS;
  return ::GetLastError();
}

}  // namespace netipc::win32
