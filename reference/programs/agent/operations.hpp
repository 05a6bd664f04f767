// The agent's operations (docs/agent-protocol.md): each takes a request
// object and returns the reply's fields. It reports; it never decides.
#pragma once

#include <nlohmann/json.hpp>

namespace netipc::agent {

using json = nlohmann::json;

// A request the agent cannot act on (missing field, unknown handle...).
struct bad_request {
  std::string detail;
};

class operations {
 public:
  operations();
  ~operations();
  // Dispatches on request["op"]; the reply has no "id" yet.
  json run(const json& request);
  bool quit_requested() const { return quit_; }
  void close_all();

 private:
  struct table;
  table* handles_;
  bool quit_ = false;
};

}  // namespace netipc::agent
