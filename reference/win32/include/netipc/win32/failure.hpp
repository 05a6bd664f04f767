// How a transport operation can fail, as a value. The four kinds a peer must
// tell apart are kept apart: the other side left (NP-17), it broke a rule of
// the contract (which one), the deadline passed, or Win32 said something else.
#pragma once

#include <windows.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "netipc/rules.hpp"
#include "netipc/win32/pipe_io.hpp"

namespace netipc::win32 {

enum class close_reason {
  closed,        // this side ended the session on purpose
  disconnected,  // ERROR_BROKEN_PIPE, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED (NP-17)
  protocol,      // the other side broke a rule; `broken` says which
  rejected,      // the handshake ended with a non-OK transport_status
  timeout,       // a wait reached its deadline and was cancelled
  win32_error,   // any other Win32 failure; win32_code says which
};

// "closed", "disconnected", ... as in docs/peer-cli.md.
std::string_view close_reason_name(close_reason reason);

struct failure {
  close_reason reason = close_reason::win32_error;
  DWORD win32_code = ERROR_SUCCESS;   // the code behind it; 0 when none
  std::optional<netipc::error> rule;  // protocol and rejected: the rule broken
  std::string detail;                 // for a human: what was being done

  bool is_disconnect() const { return reason == close_reason::disconnected; }
};

// A failed pipe call, classified: a disconnect code, a timeout, or other.
failure io_failure(const io_outcome& outcome, std::string_view doing);
failure rule_failure(netipc::error broken, close_reason reason = close_reason::protocol);

// A value or the failure that prevented it.
template <class T>
class outcome : public netipc::value_or<T, failure> {
 public:
  using netipc::value_or<T, failure>::value_or;
  const failure& fail() const { return this->reason(); }
};

using done = outcome<netipc::nothing>;
inline done ok_done() { return netipc::nothing{}; }

}  // namespace netipc::win32
