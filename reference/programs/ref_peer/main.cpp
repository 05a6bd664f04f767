// netipc-ref-peer.exe: the reference implementation as a peer, speaking the
// peer CLI of docs/peer-cli.md, so the reference is one row and one column
// of every interop matrix.
#include <cstdio>
#include <iostream>
#include <variant>

#include "events.hpp"
#include "peer_args.hpp"
#include "roles.hpp"

namespace {

using namespace netipc::peer;

int finish(event_log& log, exit_code code) {
  log.emit({{"event", "exit"}, {"code", static_cast<int>(code)}});
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  event_log log;
  auto parsed = parse_peer_args(argc, argv);
  if (std::holds_alternative<help_shown>(parsed)) return finish(log, exit_ok);
  if (auto* bad = std::get_if<usage_error>(&parsed)) {
    std::cerr << "netipc-ref-peer: " << bad->message << "\n";
    std::cerr.flush();
    return finish(log, bad->code);
  }
  const peer_args& args = std::get<peer_args>(parsed);
  return finish(log, args.as == role::server ? run_server(args, log) : run_client(args, log));
}
