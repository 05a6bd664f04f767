#include "netipc/win32/echo_client.hpp"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "netipc/batch.hpp"
#include "netipc/names.hpp"

namespace netipc::win32 {

namespace {

// Byte i of a payload is (i + seed) % 251: a window of one repeating cycle,
// copied rather than computed byte by byte (at 64 KiB that computation was
// half of a round trip under Wine).
bytes pattern(std::size_t size, std::uint64_t seed) {
  thread_local bytes cycle;
  if (cycle.size() < size + 251) {
    cycle.resize(size + 251);
    for (std::size_t i = 0; i < cycle.size(); ++i) cycle[i] = static_cast<std::uint8_t>(i % 251);
  }
  auto start = cycle.begin() + static_cast<std::ptrdiff_t>(seed % 251);
  return bytes(start, start + static_cast<std::ptrdiff_t>(size));
}

// Whether a response is the echo of the request (WE-9 is checked before).
bool is_echo(const message& response, byte_view request, std::string& detail) {
  auto expected = decode_outer_header(request).value();
  const outer_header& got = response.header;
  if (got.kind != kKindResponse) {
    detail = "kind " + std::to_string(got.kind) + ", expected RESPONSE (2)";
  } else if (got.transport_status != 0) {
    detail = "transport_status " +
             transport_status_name(static_cast<transport_status>(got.transport_status));
  } else if (got.code != expected.code || got.flags != expected.flags ||
             got.item_count != expected.item_count) {
    detail = "code/flags/item_count " + std::to_string(got.code) + "/" + std::to_string(got.flags) +
             "/" + std::to_string(got.item_count) + ", expected " + std::to_string(expected.code) +
             "/" + std::to_string(expected.flags) + "/" + std::to_string(expected.item_count);
  } else if (!std::equal(response.payload.begin(), response.payload.end(),
                         request.begin() + kHeaderLen, request.end())) {
    detail = "payload differs from the request's (" + std::to_string(response.payload.size()) +
             " bytes, sent " + std::to_string(request.size() - kHeaderLen) + ")";
  } else {
    return true;
  }
  return false;
}

// The requests in flight and how the exchange ended, shared by the writer
// and the reader when requests are pipelined.
class window {
 public:
  explicit window(std::uint32_t depth) : depth_(depth) {}

  // Waits for room; false once the exchange is over.
  bool take(std::uint64_t message_id) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stopped_ || in_flight_.size() < depth_; });
    if (stopped_) return false;
    in_flight_.insert(message_id);
    sent_at_[message_id] = clock::now();
    return true;
  }

  // WE-10: an answer to an id not in flight is a protocol violation.
  status answer(std::uint64_t message_id) {
    std::lock_guard lock(mutex_);
    status known = check_response_id(in_flight_, message_id);
    if (known) {
      in_flight_.erase(message_id);
      auto sent = sent_at_.extract(message_id);
      latencies_.push_back(
          std::chrono::duration<double, std::micro>(clock::now() - sent.mapped()).count());
    }
    changed_.notify_all();
    return known;
  }

  // Request to answer, in microseconds, in answer order.
  std::vector<double> latencies() {
    std::lock_guard lock(mutex_);
    return latencies_;
  }

  // The first failure wins; later ones are its consequences.
  void stop(std::optional<failure> why) {
    std::lock_guard lock(mutex_);
    if (!stopped_ && why) failure_ = std::move(why);
    stopped_ = true;
    changed_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  std::optional<failure> first_failure() {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_set<std::uint64_t> in_flight_;
  std::unordered_map<std::uint64_t, clock::time_point> sent_at_;
  std::vector<double> latencies_;
  std::uint32_t depth_;
  bool stopped_ = false;
  std::optional<failure> failure_;
};

// Reads one answer and judges it; a failure ends the exchange. sent: the
// request it must echo when the caller still holds it (one in flight), so
// that a round trip builds its 64 KiB request once, not twice (under Wine each
// fresh buffer of that size costs the heap a commit and its page faults).
std::optional<failure> receive_one(pipe_session& session, const echo_plan& plan, window& w,
                                   client_run& run, client_observer& observer,
                                   const bytes* sent = nullptr) {
  auto response = session.receive_message();
  if (!response) return response.fail();
  if (response->header.kind != kKindResponse) {
    return rule_failure(broke(rule::bad_kind, "kind: expected RESPONSE (2) from a server, got " +
                                                  std::to_string(response->header.kind)));
  }
  std::uint64_t id = response->header.message_id;
  if (status known = w.answer(id); !known) return rule_failure(known.err());
  std::string detail;
  bytes rebuilt = sent ? bytes{} : make_request(plan, id);
  bool ok = is_echo(response.value(), sent ? byte_view(*sent) : byte_view(rebuilt), detail);
  ++(ok ? run.echoes_ok : run.echoes_bad);
  observer.echoed(id, response->payload.size(), ok, detail);
  return std::nullopt;
}

void exchange_in_turn(pipe_session& session, const echo_plan& plan, client_run& run,
                      client_observer& observer) {
  window w(1);
  for (std::uint64_t id = 1; id <= plan.messages; ++id) {
    bytes request = make_request(plan, id);  // built before the clock starts
    w.take(id);
    if (done sent = session.send_message(request); !sent) {
      run.end = sent.fail();
      return;
    }
    // One in flight: an answer the window accepts is this request's.
    if (auto failed = receive_one(session, plan, w, run, observer, &request)) {
      run.end = *failed;
      break;
    }
  }
  run.latencies_us = w.latencies();
}

// A writer thread keeps up to plan.pipeline requests in flight while this
// thread reads: with large messages both directions must move at once, or
// each side's write would wait for the other's read.
void exchange_pipelined(pipe_session& session, const echo_plan& plan, client_run& run,
                        client_observer& observer) {
  window w(plan.pipeline);
  std::thread writer([&] {
    for (std::uint64_t id = 1; id <= plan.messages; ++id) {
      bytes request = make_request(plan, id);  // built before the clock starts
      if (!w.take(id)) return;
      if (done sent = session.send_message(request); !sent) {
        w.stop(sent.fail());
        session.cancel_io();  // the reader is waiting for answers that will not come
        return;
      }
    }
  });
  for (std::uint64_t answered = 0; answered < plan.messages && !w.stopped(); ++answered) {
    if (auto failed = receive_one(session, plan, w, run, observer)) {
      w.stop(failed);
      break;
    }
  }
  w.stop(std::nullopt);
  writer.join();
  if (auto failed = w.first_failure()) run.end = *failed;
  run.latencies_us = w.latencies();
}

// Whether the plan's requests fit the agreed request limits.
std::optional<failure> check_plan_fits(const echo_plan& plan, const hello_ack& ack) {
  bytes first = make_request(plan, 1);
  auto header = decode_outer_header(first).value();
  limits agreed{ack.agreed_max_request_payload_bytes, ack.agreed_max_request_batch_items,
                ack.agreed_packet_size};
  if (status fits = check_outer_header(header, agreed); !fits) {
    failure f = rule_failure(fits.err(), close_reason::rejected);
    f.detail = "the agreed limits refuse this client's requests, none sent: " + f.detail;
    return f;
  }
  return std::nullopt;
}

}  // namespace

bytes make_request(const echo_plan& plan, std::uint64_t message_id) {
  outer_header h;
  h.kind = kKindRequest;
  h.code = plan.code;
  h.message_id = message_id;
  bytes payload;
  if (plan.batch_items == 0) {
    payload = pattern(plan.payload_size, message_id * 7);
  } else {
    std::vector<bytes> items;
    for (std::uint32_t i = 0; i < plan.batch_items; ++i) {
      items.push_back(pattern(plan.payload_size, message_id * 7 + i));
    }
    payload = build_batch(items);
    h.flags = kFlagBatch;
    h.item_count = plan.batch_items;
  }
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  bytes out = encode_outer_header(h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

outcome<pipe_session> connect_session(const std::string& run_dir, const std::string& service,
                                      std::chrono::milliseconds wait) {
  auto name = pipe_name(run_dir, service);
  if (!name) return rule_failure(name.err());
  connect_options options;
  options.retry_missing = true;  // a server still starting is not an error yet
  io_outcome connected;
  handle pipe = connect_pipe(widen(name.value()), clock::now() + wait, options, connected);
  if (!connected.ok()) return io_failure(connected, "CreateFileW");
  return pipe_session(std::move(pipe), wait);
}

client_run run_echo_client(const echo_client_options& options, const echo_plan& plan,
                           client_observer* observer) {
  client_observer silent;
  client_observer& watch = observer != nullptr ? *observer : silent;
  client_run run;
  hello proposal = options.proposal;
  for (int attempt = 1;; ++attempt) {
    auto session = connect_session(options.run_dir, options.service, options.wait);
    if (!session) {
      run.end = session.fail();
      return run;
    }
    auto answer = request_handshake(session.value(), proposal);
    if (!answer) {
      run.end = answer.fail();
      return run;
    }
    run.handshake = answer.value();
    watch.handshake(answer.value());
    if (answer->broken) {
      bool rejected = answer->broken->which == rule::ack_rejected;
      run.end =
          rule_failure(*answer->broken, rejected ? close_reason::rejected : close_reason::protocol);
      return run;
    }
    const hello_ack& ack = answer->ack;
    shm_objects attached;  // held for the session's lifetime (NP-16)
    if (is_shm_profile(ack.selected_profile)) {
      auto names = shm_names(options.run_dir, options.service, proposal.auth_token,
                             ack.selected_profile, ack.session_id);
      if (!names) {
        run.end = rule_failure(names.err());
        return run;
      }
      auto opened = open_shm_objects(names.value());
      watch.shm(names.value(), ack.session_id,
                opened ? std::nullopt : std::optional<failure>(opened.fail()));
      if (!opened) {
        // NP-11: no same-session fallback; a new session without SHM bits.
        if (options.shm_reconnect && attempt == 1) {
          session->close();
          proposal.supported_profiles = kProfileNamedPipe;
          proposal.preferred_profiles = kProfileNamedPipe;
          watch.reconnecting(proposal);
          continue;
        }
        run.end = opened.fail();
        return run;
      }
      attached = std::move(opened).value();
    }

    // NP-9: the session runs on the ACK's values; a request they refuse is
    // never sent.
    if (auto refused = check_plan_fits(plan, ack)) {
      run.end = *refused;
      session->close();
      return run;
    }
    auto started = clock::now();
    run.end = failure{close_reason::closed, ERROR_SUCCESS, std::nullopt, "all echoes received"};
    if (plan.pipeline <= 1) {
      exchange_in_turn(session.value(), plan, run, watch);
    } else {
      exchange_pipelined(session.value(), plan, run, watch);
    }
    run.seconds = std::chrono::duration<double>(clock::now() - started).count();
    session->close();
    return run;
  }
}

}  // namespace netipc::win32
