#include "operations.hpp"

#include <map>
#include <string>
#include <vector>

#include "netipc/win32/pipe_io.hpp"

namespace netipc::agent {

namespace w = netipc::win32;

struct operations::table {
  std::map<long long, w::handle> pipes;
  long long next_id = 1;
};

namespace {

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

}  // namespace

operations::operations() : handles_(new table) {}
operations::~operations() { delete handles_; }

void operations::close_all() { handles_->pipes.clear(); }

json operations::run(const json& request) {
  if (!request.is_object()) throw bad_request{"a request is a JSON object"};
  const std::string op = field(request, "op").get<std::string>();
  auto& pipes = handles_->pipes;

  auto lookup = [&]() -> HANDLE {
    auto id = field(request, "handle").get<long long>();
    auto it = pipes.find(id);
    if (it == pipes.end()) throw bad_request{"unknown handle " + std::to_string(id)};
    return it->second.get();
  };
  auto keep = [&](w::handle h) {
    long long id = handles_->next_id++;
    pipes.emplace(id, std::move(h));
    return json{{"ok", true}, {"handle", id}};
  };

  if (op == "ping") return {{"ok", true}, {"pid", ::GetCurrentProcessId()}};
  if (op == "close_all") {  // between cases, when one agent serves many
    std::size_t closed = handles_->pipes.size();
    close_all();
    return {{"ok", true}, {"closed", closed}};
  }
  if (op == "quit") {
    quit_ = true;
    return {{"ok", true}};
  }
  if (op == "listen") {
    w::listen_options options;
    options.max_instances = field_or<DWORD>(request, "max_instances", PIPE_UNLIMITED_INSTANCES);
    options.in_buffer = field_or<DWORD>(request, "in_buffer", 65536);
    options.out_buffer = field_or<DWORD>(request, "out_buffer", 65536);
    options.first_instance = field_or<bool>(request, "first_instance", false);
    options.message_type = field_or<std::string>(request, "pipe_type", "message") == "message";
    w::io_outcome outcome;
    auto pipe = w::create_pipe_instance(w::widen(field(request, "name").get<std::string>()),
                                        options, outcome);
    return outcome.ok() ? keep(std::move(pipe)) : failure(outcome);
  }
  if (op == "accept") {
    HANDLE pipe = lookup();
    auto outcome = w::accept_client(pipe, deadline_of(request));
    if (!outcome.ok()) return failure(outcome);
    ULONG client_pid = 0;
    json reply = {{"ok", true}};
    if (::GetNamedPipeClientProcessId(pipe, &client_pid)) reply["client_pid"] = client_pid;
    return reply;
  }
  if (op == "connect") {
    w::connect_options options;
    options.message_read_mode = field_or<std::string>(request, "read_mode", "message") == "message";
    options.retry_missing = field_or<bool>(request, "retry_missing", false);
    w::io_outcome outcome;
    auto pipe = w::connect_pipe(w::widen(field(request, "name").get<std::string>()),
                                deadline_of(request), options, outcome);
    return outcome.ok() ? keep(std::move(pipe)) : failure(outcome);
  }
  if (op == "write") {
    HANDLE pipe = lookup();
    auto data = from_hex(field(request, "hex").get<std::string>());
    auto outcome = w::write_message(pipe, data, deadline_of(request));
    return outcome.ok() ? json{{"ok", true}, {"bytes", data.size()}} : failure(outcome);
  }
  if (op == "write_many") {
    HANDLE pipe = lookup();
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
  if (op == "read") {
    HANDLE pipe = lookup();
    std::vector<std::uint8_t> message;
    auto outcome = w::read_message(pipe, message, deadline_of(request));
    return outcome.ok() ? json{{"ok", true}, {"hex", to_hex(message)}} : failure(outcome);
  }
  if (op == "read_many") {  // the rest of a chunked message in one request
    HANDLE pipe = lookup();
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
  if (op == "peek") {
    DWORD available = 0, left = 0;
    if (!::PeekNamedPipe(lookup(), nullptr, 0, nullptr, &available, &left)) return last_error();
    return {{"ok", true}, {"bytes_available", available}, {"message_bytes_left", left}};
  }
  if (op == "disconnect") {
    if (!::DisconnectNamedPipe(lookup())) return last_error();
    return {{"ok", true}};
  }
  if (op == "close") {
    lookup();
    pipes.erase(request.at("handle").get<long long>());
    return {{"ok", true}};
  }
  if (op == "pipe_info") {
    HANDLE pipe = lookup();
    DWORD flags = 0, out_size = 0, in_size = 0, max_instances = 0;
    if (!::GetNamedPipeInfo(pipe, &flags, &out_size, &in_size, &max_instances)) return last_error();
    json reply = {{"ok", true},
                  {"flags", flags},
                  {"message_type", (flags & PIPE_TYPE_MESSAGE) != 0},
                  {"server_end", (flags & PIPE_SERVER_END) != 0},
                  {"out_buffer", out_size},
                  {"in_buffer", in_size},
                  {"max_instances", max_instances}};
    DWORD state = 0, instances = 0;
    if (::GetNamedPipeHandleStateW(pipe, &state, &instances, nullptr, nullptr, nullptr, 0)) {
      reply["read_mode_message"] = (state & PIPE_READMODE_MESSAGE) != 0;
      reply["instances"] = instances;
    }
    return reply;
  }
  if (op == "exists") {
    DWORD code = w::probe_pipe_name(w::widen(field(request, "name").get<std::string>()),
                                    field_or<DWORD>(request, "timeout_ms", 1));
    return {{"ok", true},
            // A free instance, or all instances busy; anything else (no such
            // name, a name Windows refuses) means no pipe listens there.
            {"exists", code == ERROR_SUCCESS || code == ERROR_SEM_TIMEOUT},
            {"win32_code", code},
            {"win32_name", w::win32_error_name(code)}};
  }
  if (op == "create_mapping" || op == "create_event") {
    // The server's side of NP-11, for client-role cases: objects a client
    // must be able to open by their NP-15 names. Kept until `close`.
    auto name = w::widen(field(request, "name").get<std::string>());
    w::handle object(op == "create_mapping"
                         ? ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0,
                                                field_or<DWORD>(request, "size", 65536),
                                                name.c_str())
                         : ::CreateEventW(nullptr, FALSE, FALSE, name.c_str()));
    if (!object.valid()) return last_error();
    return keep(std::move(object));
  }
  if (op == "open_mapping" || op == "open_event") {
    auto name = w::widen(field(request, "name").get<std::string>());
    w::handle object(op == "open_mapping"
                         ? ::OpenFileMappingW(FILE_MAP_READ, FALSE, name.c_str())
                         : ::OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, name.c_str()));
    DWORD code = object.valid() ? ERROR_SUCCESS : ::GetLastError();
    return {{"ok", true},
            {"exists", object.valid()},
            {"win32_code", code},
            {"win32_name", w::win32_error_name(code)}};
  }
  throw bad_request{"unknown op \"" + op + "\""};
}

}  // namespace netipc::agent
