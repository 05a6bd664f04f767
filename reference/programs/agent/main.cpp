// netipc-agent.exe: one JSON request per stdin line, one JSON reply per
// stdout line (docs/agent-protocol.md). The harness on Linux reaches Win32
// named pipes only through it.
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "operations.hpp"

namespace {

using netipc::agent::json;

void emit(const json& line) {
  std::string text = line.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

json handle_line(netipc::agent::operations& ops, const std::string& line) {
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception& e) {
    return {{"id", nullptr},
            {"ok", false},
            {"error", "bad_request"},
            {"detail", std::string("not JSON: ") + e.what()}};
  }
  json id = request.is_object() && request.contains("id") ? request["id"] : json(nullptr);
  json reply;
  try {
    reply = ops.run(request);
  } catch (const netipc::agent::bad_request& e) {
    reply = {{"ok", false}, {"error", "bad_request"}, {"detail", e.detail}};
  } catch (const json::exception& e) {
    reply = {{"ok", false}, {"error", "bad_request"}, {"detail", e.what()}};
  }
  reply["id"] = id;
  return reply;
}

}  // namespace

int main() {
  // Binary stdout: no "\r\n"; flushed per line (Wine buffers a Unix pipe fully).
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stdin), _O_BINARY);
  netipc::agent::operations ops;
  std::string line;
  while (!ops.quit_requested() && std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    emit(handle_line(ops, line));
  }
  ops.close_all();
  emit({{"event", "exit"}, {"code", 0}});
  return 0;
}
