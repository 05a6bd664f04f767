// netipc-rawpipe.exe: the ceiling other measurements are compared with. A
// plain message-mode pipe ping-pong with no protocol at all, synchronous
// I/O (the fastest Win32 offers), no framing, no checks.
//   netipc-rawpipe.exe server NAME SIZE        echo SIZE-byte messages until the client leaves
//   netipc-rawpipe.exe client NAME SIZE COUNT  COUNT round trips; one JSON line of results
#include <fcntl.h>
#include <io.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "netipc/win32/pipe_io.hpp"

namespace {

int finish(int code) {
  std::printf("{\"event\":\"exit\",\"code\":%d}\n", code);
  std::fflush(stdout);
  return code;
}

int usage() {
  std::fprintf(stderr, "usage: netipc-rawpipe server NAME SIZE | client NAME SIZE COUNT\n");
  return finish(2);
}

int serve(const std::wstring& name, DWORD size) {
  DWORD buffer = size < 4096 ? 4096 : size;
  HANDLE pipe = ::CreateNamedPipeW(name.c_str(), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, buffer,
                                   buffer, 0, nullptr);
  if (pipe == INVALID_HANDLE_VALUE) return finish(1);
  std::printf("{\"event\":\"ready\"}\n");
  std::fflush(stdout);
  if (!::ConnectNamedPipe(pipe, nullptr) && ::GetLastError() != ERROR_PIPE_CONNECTED) {
    return finish(1);
  }
  std::vector<char> message(size ? size : 1);
  for (;;) {
    DWORD got = 0, put = 0;
    if (!::ReadFile(pipe, message.data(), static_cast<DWORD>(message.size()), &got, nullptr)) break;
    if (!::WriteFile(pipe, message.data(), got, &put, nullptr)) break;
  }
  ::CloseHandle(pipe);
  return finish(0);
}

int ping(const std::wstring& name, DWORD size, long count) {
  HANDLE pipe = INVALID_HANDLE_VALUE;
  for (int attempt = 0; attempt < 500 && pipe == INVALID_HANDLE_VALUE; ++attempt) {
    pipe = ::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0,
                         nullptr);
    if (pipe == INVALID_HANDLE_VALUE) ::Sleep(10);
  }
  if (pipe == INVALID_HANDLE_VALUE) return finish(1);
  DWORD mode = PIPE_READMODE_MESSAGE;
  ::SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr);
  std::vector<char> out(size, 'x'), in(size ? size : 1);
  FILETIME created, exited, kernel0, user0, kernel1, user1;
  ::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel0, &user0);
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    DWORD put = 0, got = 0;
    if (!::WriteFile(pipe, out.data(), size, &put, nullptr) ||
        !::ReadFile(pipe, in.data(), static_cast<DWORD>(in.size()), &got, nullptr) || got != size) {
      return finish(1);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel1, &user1);
  auto ticks = [](FILETIME t) { return (ULONGLONG(t.dwHighDateTime) << 32) | t.dwLowDateTime; };
  double cpu = double(ticks(kernel1) - ticks(kernel0) + ticks(user1) - ticks(user0)) / 1e7;
  ::CloseHandle(pipe);
  std::printf(
      "{\"event\":\"stats\",\"payload_len\":%lu,\"round_trips\":%ld,\"seconds\":%.6f,"
      "\"round_trips_per_second\":%.1f,\"cpu_seconds\":%.6f}\n",
      static_cast<unsigned long>(size), count, seconds, count / seconds, cpu);
  return finish(0);
}

}  // namespace

int main(int argc, char** argv) {
  _setmode(_fileno(stdout), _O_BINARY);
  if (argc < 4) return usage();
  std::string mode = argv[1];
  auto name = netipc::win32::widen(argv[2]);
  auto size = static_cast<DWORD>(std::strtoul(argv[3], nullptr, 10));
  if (mode == "server" && argc == 4) return serve(name, size);
  if (mode == "client" && argc == 5) return ping(name, size, std::strtol(argv[4], nullptr, 10));
  return usage();
}
