// The peer's exit codes (docs/peer-cli.md). Distinct per ending, so a
// harness can tell a rejected handshake from a dropped pipe without parsing.
#pragma once

#include "netipc/win32/failure.hpp"

namespace netipc::peer {

enum exit_code : int {
  exit_ok = 0,
  exit_bad_arguments = 2,  // includes an invalid service name, before any pipe
  exit_rejected = 3,       // a handshake ended with a non-OK transport_status
  exit_disconnected = 4,   // the other side left when it should not have
  exit_protocol = 5,       // the other side broke a rule of the contract
  exit_timeout = 6,        // a wait reached --deadline-ms
  exit_win32_error = 7,    // any other Win32 failure
  exit_unsupported_option = 127,
};

constexpr exit_code exit_code_for(win32::close_reason reason) {
  switch (reason) {
    case win32::close_reason::closed:
      return exit_ok;
    case win32::close_reason::disconnected:
      return exit_disconnected;
    case win32::close_reason::protocol:
      return exit_protocol;
    case win32::close_reason::rejected:
      return exit_rejected;
    case win32::close_reason::timeout:
      return exit_timeout;
    case win32::close_reason::win32_error:
      return exit_win32_error;
  }
  return exit_win32_error;
}

}  // namespace netipc::peer
