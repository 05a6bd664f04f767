#include "operations.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netipc/win32/pipe_io.hpp"

namespace netipc::agent {

namespace w = netipc::win32;

struct operations::state {
  std::map<long long, w::handle> open;
  long long next_id = 1;
  bool quit = false;
};

namespace {

using state = operations::state;

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const std::vector<std::uint8_t>& data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::uint8_t> from_hex(const std::string& text) {
  if (text.size() % 2) throw bad_request{"hex has an odd number of digits"};
  std::vector<std::uint8_t> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) throw bad_request{"hex has a non-hex digit at " + std::to_string(2 * i)};
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

const json& field(const json& request, const char* name) {
  if (!request.contains(name)) throw bad_request{std::string("missing field \"") + name + "\""};
  return request.at(name);
}

template <class T>
T field_or(const json& request, const char* name, T fallback) {
  return request.contains(name) ? request.at(name).get<T>() : fallback;
}

std::wstring name_of(const json& request) {
  return w::widen(field(request, "name").get<std::string>());
}

w::clock::time_point deadline_of(const json& request) {
  auto ms = field_or<long long>(request, "deadline_ms", 5000);
  if (ms < 0) throw bad_request{"deadline_ms cannot be negative"};
  return w::clock::now() + std::chrono::milliseconds(ms);
}

json failure(const w::io_outcome& outcome) {
  if (outcome.timed_out) return {{"ok", false}, {"timeout", true}};
  return {{"ok", false},
          {"win32_code", outcome.code},
          {"win32_name", w::win32_error_name(outcome.code)},
          {"disconnect", w::is_disconnect(outcome.code)}};
}

json last_error() { return failure({::GetLastError(), false}); }

// The object request["handle"] names.
HANDLE lookup(const json& request, state& s) {
  auto id = field(request, "handle").get<long long>();
  auto it = s.open.find(id);
  if (it == s.open.end()) throw bad_request{"unknown handle " + std::to_string(id)};
  return it->second.get();
}

// Keeps an object until `close` and answers with its new handle id.
json keep(state& s, w::handle object) {
  long long id = s.next_id++;
  s.open.emplace(id, std::move(object));
  return {{"ok", true}, {"handle", id}};
}

// --- one handler per op (docs/agent-protocol.md) ---------------------------

json ping(const json&, state&) { return {{"ok", true}, {"pid", ::GetCurrentProcessId()}}; }

json close_all(const json&, state& s) {  // between cases, when one agent serves many
  std::size_t closed = s.open.size();
  s.open.clear();
  return {{"ok", true}, {"closed", closed}};
}

json quit(const json&, state& s) {
  s.quit = true;
  return {{"ok", true}};
}

json listen(const json& request, state& s) {
  w::listen_options options;
  options.max_instances = field_or<DWORD>(request, "max_instances", PIPE_UNLIMITED_INSTANCES);
  options.in_buffer = field_or<DWORD>(request, "in_buffer", 65536);
  options.out_buffer = field_or<DWORD>(request, "out_buffer", 65536);
  options.first_instance = field_or<bool>(request, "first_instance", false);
  options.message_type = field_or<std::string>(request, "pipe_type", "message") == "message";
  w::io_outcome outcome;
  auto pipe = w::create_pipe_instance(name_of(request), options, outcome);
  return outcome.ok() ? keep(s, std::move(pipe)) : failure(outcome);
}

json accept(const json& request, state& s) {
  HANDLE pipe = lookup(request, s);
  auto outcome = w::accept_client(pipe, deadline_of(request));
  if (!outcome.ok()) return failure(outcome);
  ULONG client_pid = 0;
  json reply = {{"ok", true}};
  if (::GetNamedPipeClientProcessId(pipe, &client_pid)) reply["client_pid"] = client_pid;
  return reply;
}

json connect(const json& request, state& s) {
  bool message_mode = field_or<std::string>(request, "read_mode", "message") == "message";
  w::connect_options options;
  options.message_read_mode = false;  // set here, so that a refusal can say what the pipe is
  options.retry_missing = field_or<bool>(request, "retry_missing", false);
  w::io_outcome outcome;
  auto pipe = w::connect_pipe(name_of(request), deadline_of(request), options, outcome);
  if (!outcome.ok()) return failure(outcome);
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (message_mode && !::SetNamedPipeHandleState(pipe.get(), &mode, nullptr, nullptr)) {
    json reply = last_error();
    // NP-1: a byte-type instance refuses message read mode. Asked while this
    // handle still holds the instance; a second connect may find none.
    DWORD flags = 0;
    if (::GetNamedPipeInfo(pipe.get(), &flags, nullptr, nullptr, nullptr))
      reply["message_type"] = (flags & PIPE_TYPE_MESSAGE) != 0;
    return reply;
  }
  return keep(s, std::move(pipe));
}

json write(const json& request, state& s) {
  HANDLE pipe = lookup(request, s);
  auto data = from_hex(field(request, "hex").get<std::string>());
  auto outcome = w::write_message(pipe, data, deadline_of(request));
  return outcome.ok() ? json{{"ok", true}, {"bytes", data.size()}} : failure(outcome);
}

json write_many(const json& request, state& s) {
  HANDLE pipe = lookup(request, s);
  auto deadline = deadline_of(request);
  std::size_t written = 0;
  for (const auto& item : field(request, "hex_list")) {
    auto data = from_hex(item.get<std::string>());
    auto outcome = w::write_message(pipe, data, deadline);
    if (!outcome.ok()) {
      json reply = failure(outcome);
      reply["written"] = written;
      return reply;
    }
    ++written;
  }
  return {{"ok", true}, {"written", written}};
}

json read(const json& request, state& s) {
  HANDLE pipe = lookup(request, s);
  std::vector<std::uint8_t> message;
  auto outcome = w::read_message(pipe, message, deadline_of(request));
  return outcome.ok() ? json{{"ok", true}, {"hex", to_hex(message)}} : failure(outcome);
}

json read_many(const json& request, state& s) {  // the rest of a chunked message at once
  HANDLE pipe = lookup(request, s);
  auto deadline = deadline_of(request);
  json messages = json::array();
  auto count = field(request, "count").get<std::size_t>();
  std::vector<std::uint8_t> message;
  for (std::size_t i = 0; i < count; ++i) {
    auto outcome = w::read_message(pipe, message, deadline);
    if (!outcome.ok()) {
      json reply = failure(outcome);
      reply["hex_list"] = messages;
      return reply;
    }
    messages.push_back(to_hex(message));
  }
  return {{"ok", true}, {"hex_list", messages}};
}

json peek(const json& request, state& s) {
  DWORD available = 0, left = 0;
  if (!::PeekNamedPipe(lookup(request, s), nullptr, 0, nullptr, &available, &left)) {
    return last_error();
  }
  return {{"ok", true}, {"bytes_available", available}, {"message_bytes_left", left}};
}

json disconnect(const json& request, state& s) {
  if (!::DisconnectNamedPipe(lookup(request, s))) return last_error();
  return {{"ok", true}};
}

json close(const json& request, state& s) {
  lookup(request, s);
  s.open.erase(request.at("handle").get<long long>());
  return {{"ok", true}};
}

json pipe_info(const json& request, state& s) {
  HANDLE pipe = lookup(request, s);
  DWORD flags = 0, out_size = 0, in_size = 0, max_instances = 0;
  if (!::GetNamedPipeInfo(pipe, &flags, &out_size, &in_size, &max_instances)) return last_error();
  json reply = {{"ok", true},
                {"flags", flags},
                {"message_type", (flags & PIPE_TYPE_MESSAGE) != 0},
                {"server_end", (flags & PIPE_SERVER_END) != 0},
                {"out_buffer", out_size},
                {"in_buffer", in_size},
                {"max_instances", max_instances}};
  DWORD mode = 0, instances = 0;
  if (::GetNamedPipeHandleStateW(pipe, &mode, &instances, nullptr, nullptr, nullptr, 0)) {
    reply["read_mode_message"] = (mode & PIPE_READMODE_MESSAGE) != 0;
    reply["instances"] = instances;
  }
  return reply;
}

json exists(const json& request, state&) {
  DWORD code = w::probe_pipe_name(name_of(request), field_or<DWORD>(request, "timeout_ms", 1));
  return {{"ok", true},
          // A free instance, or all instances busy; anything else (no such
          // name, a name Windows refuses) means no pipe listens there.
          {"exists", code == ERROR_SUCCESS || code == ERROR_SEM_TIMEOUT},
          {"win32_code", code},
          {"win32_name", w::win32_error_name(code)}};
}

// The server's side of NP-11, for client-role cases: objects a client must
// be able to open by their NP-15 names. Kept until `close`.
json keep_created(state& s, HANDLE created) {
  w::handle object(created);
  if (!object.valid()) return last_error();
  return keep(s, std::move(object));
}

json create_mapping(const json& request, state& s) {
  auto name = name_of(request);
  return keep_created(s,
                      ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0,
                                           field_or<DWORD>(request, "size", 65536), name.c_str()));
}

json create_event(const json& request, state& s) {
  auto name = name_of(request);
  return keep_created(s, ::CreateEventW(nullptr, FALSE, FALSE, name.c_str()));
}

// Whether a named object could be opened; the probe's handle is closed at once.
json opened(HANDLE probe) {
  w::handle object(probe);
  DWORD code = object.valid() ? ERROR_SUCCESS : ::GetLastError();
  return {{"ok", true},
          {"exists", object.valid()},
          {"win32_code", code},
          {"win32_name", w::win32_error_name(code)}};
}

json open_mapping(const json& request, state&) {
  return opened(::OpenFileMappingW(FILE_MAP_READ, FALSE, name_of(request).c_str()));
}

json open_event(const json& request, state&) {
  return opened(::OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, name_of(request).c_str()));
}

using handler = json (*)(const json& request, state& s);

constexpr std::pair<std::string_view, handler> kHandlers[] = {
    {"ping", ping},
    {"close_all", close_all},
    {"quit", quit},
    {"listen", listen},
    {"accept", accept},
    {"connect", connect},
    {"write", write},
    {"write_many", write_many},
    {"read", read},
    {"read_many", read_many},
    {"peek", peek},
    {"disconnect", disconnect},
    {"close", close},
    {"pipe_info", pipe_info},
    {"exists", exists},
    {"create_mapping", create_mapping},
    {"create_event", create_event},
    {"open_mapping", open_mapping},
    {"open_event", open_event},
};

}  // namespace

operations::operations() : state_(std::make_unique<state>()) {}
operations::~operations() = default;

bool operations::quit_requested() const { return state_->quit; }

void operations::close_all() { state_->open.clear(); }

json operations::run(const json& request) {
  if (!request.is_object()) throw bad_request{"a request is a JSON object"};
  const std::string op = field(request, "op").get<std::string>();
  auto it = std::find_if(std::begin(kHandlers), std::end(kHandlers),
                         [&](const auto& entry) { return entry.first == op; });
  if (it == std::end(kHandlers)) throw bad_request{"unknown op \"" + op + "\""};
  return it->second(request, *state_);
}

}  // namespace netipc::agent
