// Shared pieces of the transport tests: a unique namespace per test, a
// reference server running on its own thread, and observers that record.
#pragma once

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "netipc/win32/echo_client.hpp"
#include "netipc/win32/echo_server.hpp"

namespace netipc::win32::testing {

using namespace std::chrono_literals;

inline constexpr std::uint32_t kMiB = 1u << 20;

// A run_dir of its own per test and process, so no two tests share a name.
inline std::string unique_run_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return "C:\\netipc-tests\\" + name + "-" + std::to_string(::GetCurrentProcessId());
}

inline server_config big_config(std::uint32_t packet_size) {
  server_config config;
  config.packet_size = packet_size;
  config.max_request_payload_bytes = 2 * kMiB;
  config.max_response_payload_bytes = 2 * kMiB;
  config.max_request_batch_items = 16;
  config.max_response_batch_items = 16;
  return config;
}

class recording_server_observer : public server_observer {
 public:
  void handshake(std::uint64_t, const server_handshake& answer) override {
    std::lock_guard lock(mutex_);
    statuses.push_back(answer.status);
  }
  void closed(const session_end& end) override {
    std::lock_guard lock(mutex_);
    ends.push_back(end);
  }
  std::vector<transport_status> statuses;
  std::vector<session_end> ends;

 private:
  std::mutex mutex_;
};

// A reference server on its own thread for `sessions` connections. The
// destructor stops accepting and joins, so a failed test cannot hang: every
// wait inside has a deadline.
class background_server {
 public:
  background_server(const std::string& run_dir, const server_config& config, std::uint64_t sessions,
                    std::chrono::milliseconds wait = 10s, bool shm_prepare = true) {
    echo_server_options options;
    options.handshake.config = config;
    options.handshake.run_dir = run_dir;
    options.handshake.service = "svc";
    options.handshake.shm_prepare = shm_prepare;
    options.wait = wait;
    options.sessions = sessions;
    options.accept_wait = 20s;
    auto opened = echo_server::open(options, &observer);
    if (!opened) {
      open_failure = opened.fail().detail;
      return;
    }
    server_ = std::move(opened).value();
    thread_ = std::thread([this] { result_ = server_->run(); });
  }
  ~background_server() {
    stop();
    finish();
  }

  // Waits for the run to end (all sessions served) and returns it.
  const server_run& finish() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return result_;
  }
  void stop() {
    if (server_) server_->stop();
  }
  bool started() const { return server_ != nullptr; }

  recording_server_observer observer;
  std::string open_failure;

 private:
  std::unique_ptr<echo_server> server_;
  std::thread thread_;
  server_run result_;
};

inline echo_client_options client_options(const std::string& run_dir, const hello& proposal) {
  echo_client_options options;
  options.run_dir = run_dir;
  options.service = "svc";
  options.proposal = proposal;
  options.wait = 10s;
  return options;
}

}  // namespace netipc::win32::testing
