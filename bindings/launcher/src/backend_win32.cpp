// The launcher on Windows: CreateProcessW with exactly three inherited
// handles, in a job object so that ending the child ends whatever it started
// (a wrapper's children included) and a harness that dies takes its children
// with it; the parent's pipe ends are overlapped so that every wait has a
// deadline.
#include <windows.h>

#include <atomic>
#include <utility>

#include "backend.hpp"
#include "windows_text.hpp"

namespace netipc::launcher::backend {

namespace {

// The exit code a child ended by the harness reports.
constexpr UINT ended_by_harness = 1;
constexpr DWORD pipe_buffer = 65536;

struct handle {
  HANDLE h = nullptr;
  handle() = default;
  explicit handle(HANDLE raw) : h(raw == INVALID_HANDLE_VALUE ? nullptr : raw) {}
  handle(handle&& other) noexcept : h(std::exchange(other.h, nullptr)) {}
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      reset();
      h = std::exchange(other.h, nullptr);
    }
    return *this;
  }
  ~handle() { reset(); }
  void reset() {
    if (h) ::CloseHandle(h);
    h = nullptr;
  }
  explicit operator bool() const { return h != nullptr; }
};

// One parent end with its overlapped state; a read may stay pending across
// pump() calls, so the buffer lives here.
struct pipe_end {
  handle pipe;
  handle event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
  OVERLAPPED overlapped{};
  bool pending = false;
  char buffer[pipe_buffer];
};

}  // namespace

struct child {
  handle process;
  handle job;
  DWORD pid = 0;
  pipe_end in;
  std::array<pipe_end, 2> outputs;  // stdout, stderr
};

namespace {

std::wstring wide(std::string_view text) {
  if (text.empty()) return {};
  int n = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

std::string win32_message(const std::string& what) {
  return what + " failed (Win32 error " + std::to_string(::GetLastError()) + ")";
}

std::wstring resolve_program(const std::string& program) {
  std::wstring name = wide(program);
  if (program.find_first_of("/\\") != std::string::npos) {
    DWORD attributes = ::GetFileAttributesW(name.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
      throw spawn_error{"program not found: " + program};
    }
    return name;
  }
  wchar_t found[MAX_PATH * 4];
  DWORD n = ::SearchPathW(nullptr, name.c_str(), L".exe", MAX_PATH * 4, found, nullptr);
  if (n == 0 || n >= MAX_PATH * 4) throw spawn_error{"program not found on PATH: " + program};
  return found;
}

// A pipe the parent uses overlapped and the child uses as a plain handle
// (anonymous pipes cannot be overlapped). The child's end is inheritable; the
// caller closes it once the child has its copy.
handle make_pipe(pipe_end& parent, bool child_writes) {
  static std::atomic<unsigned> counter{0};
  std::wstring name = L"\\\\.\\pipe\\netipc-launcher-" + std::to_wstring(::GetCurrentProcessId()) +
                      L"-" + std::to_wstring(counter++);
  DWORD access = (child_writes ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) |
                 FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE;
  parent.pipe = handle(::CreateNamedPipeW(
      name.c_str(), access,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, pipe_buffer,
      pipe_buffer, 0, nullptr));
  if (!parent.pipe) throw spawn_error{win32_message("CreateNamedPipeW")};
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  handle child_end(::CreateFileW(name.c_str(), child_writes ? GENERIC_WRITE : GENERIC_READ, 0,
                                 &inherit, OPEN_EXISTING, 0, nullptr));
  if (!child_end) throw spawn_error{win32_message("opening the child's end of a pipe")};
  return child_end;
}

handle make_job() {
  handle job(::CreateJobObjectW(nullptr, nullptr));
  if (!job) return job;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!::SetInformationJobObject(job.h, JobObjectExtendedLimitInformation, &limits,
                                 sizeof limits)) {
    job.reset();
  }
  return job;
}

// Only these three handles reach the child, even if another thread of ours
// starts a program at the same moment.
struct inherited_handles {
  std::vector<char> storage;
  LPPROC_THREAD_ATTRIBUTE_LIST list = nullptr;
  HANDLE handles[3];

  explicit inherited_handles(const std::array<HANDLE, 3>& std_handles) {
    std::copy(std_handles.begin(), std_handles.end(), handles);
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    storage.resize(size);
    list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
    if (!::InitializeProcThreadAttributeList(list, 1, 0, &size)) {
      throw spawn_error{win32_message("InitializeProcThreadAttributeList")};
    }
    if (!::UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                     sizeof handles, nullptr, nullptr)) {
      ::DeleteProcThreadAttributeList(list);
      throw spawn_error{win32_message("UpdateProcThreadAttribute")};
    }
  }
  ~inherited_handles() { ::DeleteProcThreadAttributeList(list); }
};

DWORD ms_until(clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left <= 0 ? 0 : static_cast<DWORD>(std::min<long long>(left, 1000));
}

bool closed_pipe(DWORD error) {
  return error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA || error == ERROR_PIPE_NOT_CONNECTED;
}

// Collects a finished read (true), or leaves it pending (false); a closed
// pipe ends the stream.
bool collect(pipe_end& end, output& o, bool wait) {
  DWORD n = 0;
  if (::GetOverlappedResult(end.pipe.h, &end.overlapped, &n, wait)) {
    end.pending = false;
    o.buffer.append(end.buffer, n);
    return true;
  }
  DWORD error = ::GetLastError();
  if (error == ERROR_IO_INCOMPLETE) return false;
  end.pending = false;
  o.eof = true;
  end.pipe.reset();
  return true;
}

// Starts a read unless one is pending; true when data or the end arrived.
bool start_read(pipe_end& end, output& o) {
  if (end.pending) return collect(end, o, false);
  end.overlapped = OVERLAPPED{};
  end.overlapped.hEvent = end.event.h;
  if (!::ReadFile(end.pipe.h, end.buffer, sizeof end.buffer, nullptr, &end.overlapped) &&
      ::GetLastError() != ERROR_IO_PENDING) {
    o.eof = true;
    end.pipe.reset();
    return true;
  }
  end.pending = true;
  return collect(end, o, false);
}

void cancel_pending(pipe_end& end) {
  if (!end.pending || !end.pipe) return;
  ::CancelIoEx(end.pipe.h, &end.overlapped);
  DWORD n = 0;
  ::GetOverlappedResult(end.pipe.h, &end.overlapped, &n, TRUE);
  end.pending = false;
}

std::optional<int> exit_code(child& c) {
  DWORD code = 0;
  if (!::GetExitCodeProcess(c.process.h, &code)) return std::nullopt;
  return static_cast<int>(code);
}

}  // namespace

void child_deleter::operator()(child* c) const noexcept {
  cancel_pending(c->in);
  for (auto& end : c->outputs) cancel_pending(end);
  delete c;  // closing the job ends anything still in it (KILL_ON_JOB_CLOSE)
}

child_ptr spawn(const std::vector<std::string>& argv,
                const std::optional<std::map<std::string, std::string>>& env,
                const std::string& cwd) {
  std::wstring program = resolve_program(argv[0]);
  std::wstring command = wide(windows_text::command_line(argv));
  std::wstring block = env ? wide(windows_text::environment_block(*env)) : std::wstring{};
  std::wstring directory = wide(cwd);

  child_ptr c(new child);
  handle child_in = make_pipe(c->in, false);
  handle child_out = make_pipe(c->outputs[0], true);
  handle child_err = make_pipe(c->outputs[1], true);
  inherited_handles inherited({child_in.h, child_out.h, child_err.h});

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof startup;
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = child_in.h;
  startup.StartupInfo.hStdOutput = child_out.h;
  startup.StartupInfo.hStdError = child_err.h;
  startup.lpAttributeList = inherited.list;

  c->job = make_job();
  PROCESS_INFORMATION info{};
  DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW |
                EXTENDED_STARTUPINFO_PRESENT;
  if (!::CreateProcessW(program.c_str(), command.data(), nullptr, nullptr, TRUE, flags,
                        env ? block.data() : nullptr, directory.c_str(), &startup.StartupInfo,
                        &info)) {
    throw spawn_error{win32_message("cannot start " + argv[0] + ": CreateProcessW")};
  }
  handle thread(info.hThread);
  c->process = handle(info.hProcess);
  c->pid = info.dwProcessId;
  // Without a job (an older Windows that refuses nested jobs) the child is
  // still ended by its own handle; only its own children could outlive it.
  if (c->job && !::AssignProcessToJobObject(c->job.h, c->process.h)) c->job.reset();
  ::ResumeThread(thread.h);
  return c;
}

int pid_of(const child& c) { return static_cast<int>(c.pid); }

bool write_stdin(child& c, std::string_view data, clock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    if (!c.in.pipe) throw end_of_stream{};
    c.in.overlapped = OVERLAPPED{};
    c.in.overlapped.hEvent = c.in.event.h;
    DWORD size = static_cast<DWORD>(std::min<std::size_t>(data.size() - done, pipe_buffer));
    if (!::WriteFile(c.in.pipe.h, data.data() + done, size, nullptr, &c.in.overlapped) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      if (closed_pipe(::GetLastError())) throw end_of_stream{};
      throw spawn_error{win32_message("write to stdin")};
    }
    while (::WaitForSingleObject(c.in.event.h, ms_until(deadline)) == WAIT_TIMEOUT) {
      if (clock::now() >= deadline) {
        ::CancelIoEx(c.in.pipe.h, &c.in.overlapped);
        break;
      }
    }
    DWORD n = 0;
    if (!::GetOverlappedResult(c.in.pipe.h, &c.in.overlapped, &n, TRUE)) {
      DWORD error = ::GetLastError();
      if (closed_pipe(error)) throw end_of_stream{};
      if (error != ERROR_OPERATION_ABORTED) throw spawn_error{win32_message("write to stdin")};
    }
    done += n;
    if (done < data.size() && clock::now() >= deadline) return false;
  }
  return true;
}

void close_stdin(child& c) { c.in.pipe.reset(); }

void pump(child& c, std::array<output, 2>& outputs, clock::time_point deadline) {
  // Drain what is there already; any arrival is enough to return.
  bool arrived = false;
  for (std::size_t i = 0; i < 2; ++i) {
    while (c.outputs[i].pipe && start_read(c.outputs[i], outputs[i])) arrived = true;
  }
  if (arrived || clock::now() >= deadline) return;
  HANDLE events[2];
  DWORD count = 0;
  for (auto& end : c.outputs) {
    if (end.pipe) events[count++] = end.event.h;
  }
  if (count == 0) return;
  ::WaitForMultipleObjects(count, events, FALSE, ms_until(deadline));
  for (std::size_t i = 0; i < 2; ++i) {
    if (c.outputs[i].pipe && c.outputs[i].pending) collect(c.outputs[i], outputs[i], false);
  }
}

std::optional<int> wait_exit(child& c, clock::time_point deadline) {
  for (;;) {
    DWORD result = ::WaitForSingleObject(c.process.h, ms_until(deadline));
    if (result == WAIT_OBJECT_0) return exit_code(c);
    if (result != WAIT_TIMEOUT || clock::now() >= deadline) return std::nullopt;
  }
}

// A console-less child has no polite signal to receive, so both ways end the
// whole job; a child outside a job is ended by its own handle.
void ask_to_end(child& c) { force_end(c); }

void force_end(child& c) {
  if (c.job) {
    ::TerminateJobObject(c.job.h, ended_by_harness);
  } else {
    ::TerminateProcess(c.process.h, ended_by_harness);
  }
}

}  // namespace netipc::launcher::backend
