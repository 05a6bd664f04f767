// The peer's command line (docs/peer-cli.md): the full form with a flag per
// config value, and the minimal form `server|client RUN_DIR SERVICE`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "exit_codes.hpp"
#include "netipc/handshake.hpp"

namespace netipc::peer {

enum class role { server, client };

struct peer_args {
  role as = role::server;
  bool minimal = false;  // positional RUN_DIR SERVICE: READY / PASS lines
  std::string run_dir;
  std::string service;
  std::string pipe_name;  // from run_dir and service, checked before any pipe
  server_config config;   // a client proposes the same values in its HELLO
  // server
  std::optional<std::uint64_t> sessions = 1;  // none: --serve-forever
  bool shm_prepare = true;
  // client
  std::uint32_t payload_size = 64;
  std::uint64_t messages = 1;
  std::uint32_t pipeline = 1;
  std::uint32_t batch = 0;
  bool echo_events = true;  // false: --echo-events=failures
  // both
  std::chrono::milliseconds deadline{30000};
};

struct usage_error {
  exit_code code;
  std::string message;
};

struct help_shown {};

std::variant<peer_args, usage_error, help_shown> parse_peer_args(int argc, char** argv);

}  // namespace netipc::peer
