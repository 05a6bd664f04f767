// The exit code for each way a pipe session ends; the codes themselves are
// in netipc/peer_exit_codes.hpp (docs/peer-cli.md).
#pragma once

#include "netipc/peer_exit_codes.hpp"
#include "netipc/win32/failure.hpp"

namespace netipc::peer {

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
