// The peer's exit codes (docs/peer-cli.md), with no OS calls so that both
// the reference peer and the Python core (_core.EXIT_*) read them from here.
// Distinct per ending, so a harness can tell a rejected handshake from a
// dropped pipe without parsing.
#pragma once

namespace netipc::peer {

// X(name, code): one row per ending; Python sees EXIT_<NAME>.
#define NETIPC_EXIT_CODES(X)                                                  \
  X(ok, 0)                                                                    \
  X(bad_arguments, 2) /* includes an invalid service name, before any pipe */ \
  X(rejected, 3)      /* a handshake ended with a non-OK transport_status */  \
  X(disconnected, 4)  /* the other side left when it should not have */       \
  X(protocol, 5)      /* the other side broke a rule of the contract */       \
  X(timeout, 6)       /* a wait reached --deadline-ms */                      \
  X(win32_error, 7)   /* any other Win32 failure */                           \
  X(unsupported_option, 127)

enum exit_code : int {
#define NETIPC_EXIT_ENUM(name, code) exit_##name = code,
  NETIPC_EXIT_CODES(NETIPC_EXIT_ENUM)
#undef NETIPC_EXIT_ENUM
};

}  // namespace netipc::peer
