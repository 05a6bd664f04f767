#include "netipc/win32/listener.hpp"

#include <algorithm>
#include <chrono>

namespace netipc::win32 {

namespace {

// Two instances listen at all times: one can be handed out while the other
// still takes the next client.
constexpr std::size_t kListening = 2;

DWORD millis_until(clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left <= 0 ? 0 : static_cast<DWORD>(std::min<long long>(left, 0x7FFFFFFF));
}

}  // namespace

// One server instance with its ConnectNamedPipe in flight. Its OVERLAPPED
// must not move while the call is pending, hence the unique_ptr.
struct listener::instance {
  handle pipe;
  overlapped_event event;
  OVERLAPPED ov{};
  bool connected = false;  // the client came before ConnectNamedPipe

  ~instance() {
    if (pipe.valid() && !connected) {
      ::CancelIoEx(pipe.get(), &ov);
      DWORD unused = 0;
      ::GetOverlappedResult(pipe.get(), &ov, &unused, TRUE);
    }
  }

  // Starts waiting for a client; the event is set when one arrives.
  io_outcome start_connect() {
    ov = OVERLAPPED{};
    ov.hEvent = event.get();
    connected = false;
    if (::ConnectNamedPipe(pipe.get(), &ov)) {
      connected = true;
      return {};
    }
    DWORD error = ::GetLastError();
    if (error == ERROR_IO_PENDING) return {};
    if (error == ERROR_PIPE_CONNECTED) {
      connected = true;
      ::SetEvent(event.get());
      return {};
    }
    return {error, false};
  }
};

listener::listener(std::wstring pipe_name, std::uint32_t buffer_size)
    : pipe_name_(std::move(pipe_name)), buffer_size_(buffer_size) {}
listener::listener(listener&&) noexcept = default;
listener& listener::operator=(listener&&) noexcept = default;
listener::~listener() = default;

outcome<std::unique_ptr<listener::instance>> listener::listen_one(bool first) {
  listen_options options;
  options.in_buffer = buffer_size_;
  options.out_buffer = buffer_size_;
  options.first_instance = first;
  io_outcome created;
  auto one = std::make_unique<instance>();
  one->pipe = create_pipe_instance(pipe_name_, options, created);
  if (!created.ok()) return io_failure(created, "CreateNamedPipeW");
  io_outcome started = one->start_connect();
  if (!started.ok()) return io_failure(started, "ConnectNamedPipe");
  return one;
}

outcome<listener> listener::open(const std::wstring& pipe_name, std::uint32_t buffer_size) {
  listener l(pipe_name, buffer_size);
  for (std::size_t i = 0; i < kListening; ++i) {
    auto one = l.listen_one(i == 0);
    if (!one) return one.fail();
    l.listening_.push_back(std::move(one).value());
  }
  return l;
}

outcome<handle> listener::accept(clock::time_point deadline, HANDLE stop_event) {
  for (;;) {
    if (listening_.empty()) {
      auto one = listen_one(false);
      if (!one) return one.fail();
      listening_.push_back(std::move(one).value());
    }
    std::vector<HANDLE> events;
    for (auto& one : listening_) events.push_back(one->event.get());
    if (stop_event != nullptr) events.push_back(stop_event);
    DWORD waited = ::WaitForMultipleObjects(static_cast<DWORD>(events.size()), events.data(), FALSE,
                                            millis_until(deadline));
    bool stopped = stop_event != nullptr && waited == WAIT_OBJECT_0 + listening_.size();
    if (waited == WAIT_TIMEOUT || stopped) {
      return io_failure({ERROR_SUCCESS, true}, "ConnectNamedPipe");
    }
    if (waited >= WAIT_OBJECT_0 + listening_.size()) {
      return io_failure({::GetLastError(), false}, "WaitForMultipleObjects");
    }
    std::unique_ptr<instance> ready = std::move(listening_[waited - WAIT_OBJECT_0]);
    listening_.erase(listening_.begin() + (waited - WAIT_OBJECT_0));

    DWORD unused = 0;
    bool connected =
        ready->connected || ::GetOverlappedResult(ready->pipe.get(), &ready->ov, &unused, FALSE);
    DWORD error = connected ? ERROR_SUCCESS : ::GetLastError();
    ready->connected = true;  // nothing is pending on it any more

    // NP-18: the replacement listens before the accepted client is handed out.
    while (listening_.size() < kListening) {
      auto one = listen_one(false);
      if (!one) break;  // the next accept tries again and reports the failure
      listening_.push_back(std::move(one).value());
    }
    // A client that came and left before the accept (ERROR_NO_DATA) is no
    // client; its instance is dropped and the wait goes on.
    if (connected) return std::move(ready->pipe);
    if (!is_disconnect(error)) return io_failure({error, false}, "ConnectNamedPipe");
  }
}

}  // namespace netipc::win32
