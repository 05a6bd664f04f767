// netipc-ref-peer.exe: the reference implementation as a peer, speaking the
// peer CLI of docs/peer-cli.md, so the reference is one row and one column
// of every interop matrix.
#include <windows.h>
// shellapi.h needs windows.h first.
#include <shellapi.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "events.hpp"
#include "peer_args.hpp"
#include "roles.hpp"

namespace {

using namespace netipc::peer;

// The arguments as UTF-8: main's argv is in the ANSI code page, which loses
// any character outside it (a non-ASCII run_dir would hash differently).
std::vector<std::string> utf8_arguments() {
  int count = 0;
  LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    int size = ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, nullptr, 0, nullptr, nullptr);
    std::string arg(size > 0 ? size - 1 : 0, '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, arg.data(), size, nullptr, nullptr);
    out.push_back(std::move(arg));
  }
  ::LocalFree(wide);
  return out;
}

int finish(event_log& log, exit_code code) {
  log.emit({{"event", "exit"}, {"code", static_cast<int>(code)}});
  return code;
}

}  // namespace

int main() {
  event_log log;
  std::vector<std::string> arguments = utf8_arguments();
  std::vector<char*> argv;
  for (std::string& arg : arguments) argv.push_back(arg.data());
  auto parsed = parse_peer_args(static_cast<int>(argv.size()), argv.data());
  if (std::holds_alternative<help_shown>(parsed)) return finish(log, exit_ok);
  if (auto* bad = std::get_if<usage_error>(&parsed)) {
    std::cerr << "netipc-ref-peer: " << bad->message << "\n";
    std::cerr.flush();
    return finish(log, bad->code);
  }
  const peer_args& args = std::get<peer_args>(parsed);
  return finish(log, args.as == role::server ? run_server(args, log) : run_client(args, log));
}
