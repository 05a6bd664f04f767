#include "netipc/win32/failure.hpp"

namespace netipc::win32 {

std::string_view close_reason_name(close_reason reason) {
  switch (reason) {
    case close_reason::closed:
      return "closed";
    case close_reason::disconnected:
      return "disconnected";
    case close_reason::protocol:
      return "protocol";
    case close_reason::rejected:
      return "rejected";
    case close_reason::timeout:
      return "timeout";
    case close_reason::win32_error:
      return "win32_error";
  }
  return "win32_error";
}

failure io_failure(const io_outcome& outcome, std::string_view doing) {
  failure f;
  f.win32_code = outcome.code;
  if (outcome.timed_out) {
    f.reason = close_reason::timeout;
    f.detail = std::string(doing) + ": the deadline passed";
    if (f.win32_code == ERROR_SUCCESS) f.win32_code = ERROR_OPERATION_ABORTED;
    return f;
  }
  f.reason = is_disconnect(outcome.code) ? close_reason::disconnected : close_reason::win32_error;
  f.detail = std::string(doing) + ": " + win32_error_name(outcome.code);
  return f;
}

failure rule_failure(netipc::error broken, close_reason reason) {
  failure f;
  f.reason = reason;
  f.detail = std::string(rule_name(broken.which)) + ": " + broken.detail;
  f.rule = std::move(broken);
  return f;
}

}  // namespace netipc::win32
