// The agent's operations (docs/agent-protocol.md): each takes a request
// object and returns the reply's fields. It reports; it never decides.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace netipc::agent {

using json = nlohmann::json;

// A request the agent cannot act on (missing field, unknown handle...).
struct bad_request {
  std::string detail;
};

// Owns every Win32 object the requests opened; closing them is its job, so
// it is neither copied nor moved.
class operations {
 public:
  operations();
  ~operations();
  operations(const operations&) = delete;
  operations& operator=(const operations&) = delete;

  // Dispatches on request["op"] to its handler; the reply has no "id" yet.
  json run(const json& request);
  bool quit_requested() const;
  void close_all();

  struct state;  // the open objects by handle id, and the quit flag

 private:
  std::unique_ptr<state> state_;
};

}  // namespace netipc::agent
