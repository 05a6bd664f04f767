#include "netipc/win32/echo_server.hpp"

#include <atomic>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace netipc::win32 {

namespace {

// The echo of one request, written into out (the session's one buffer: under
// Wine a fresh 64 KiB buffer per message costs the heap a commit and its page
// faults). A payload above the agreed response limit cannot be echoed (the
// server never sends more than it agreed): it is answered with
// LIMIT_EXCEEDED and no payload instead.
void write_response(bytes& out, const message& request, const hello_ack& ack) {
  outer_header h;
  h.kind = kKindResponse;
  h.code = request.header.code;
  h.message_id = request.header.message_id;
  bool fits = request.payload.size() <= ack.agreed_max_response_payload_bytes;
  if (!fits) {
    h.transport_status = static_cast<std::uint16_t>(transport_status::limit_exceeded);
  } else {
    h.flags = request.header.flags;
    h.item_count = request.header.item_count;
    h.payload_len = static_cast<std::uint32_t>(request.payload.size());
  }
  bytes header = encode_outer_header(h);
  out.assign(header.begin(), header.end());
  if (fits) out.insert(out.end(), request.payload.begin(), request.payload.end());
}

}  // namespace

echo_server::echo_server(echo_server_options options, listener l, server_observer* observer)
    : options_(std::move(options)),
      listener_(std::move(l)),
      observer_(observer != nullptr ? observer : &silent_),
      stop_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

echo_server::~echo_server() = default;

outcome<std::unique_ptr<echo_server>> echo_server::open(echo_server_options options,
                                                        server_observer* observer) {
  auto name = netipc::pipe_name(options.handshake.run_dir, options.handshake.service);
  if (!name) return rule_failure(name.err());
  auto l = listener::open(widen(name.value()), options.handshake.config.packet_size);
  if (!l) return l.fail();
  return std::unique_ptr<echo_server>(
      new echo_server(std::move(options), std::move(l).value(), observer));
}

server_run echo_server::run() {
  struct worker {
    std::thread thread;
    std::atomic<bool> finished{false};
  };
  server_run result;
  std::mutex ends_mutex;
  std::list<worker> workers;
  auto reap = [&](bool all) {
    for (auto it = workers.begin(); it != workers.end();) {
      if (all || it->finished) {
        it->thread.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
  };

  for (std::uint64_t connection = 1; !options_.sessions || connection <= *options_.sessions;
       ++connection) {
    auto pipe = listener_.accept(clock::now() + options_.accept_wait, stop_.get());
    if (!pipe) {
      result.accept_failure = pipe.fail();
      break;
    }
    {
      std::lock_guard lock(ends_mutex);
      result.sessions.emplace_back();
    }
    worker& w = workers.emplace_back();
    w.thread = std::thread(
        [this, &w, &result, &ends_mutex, connection, p = std::move(pipe).value()]() mutable {
          session_end end = serve(connection, std::move(p));
          {
            std::lock_guard lock(ends_mutex);
            result.sessions[connection - 1] = std::move(end);
          }
          w.finished = true;
        });
    reap(false);
  }
  reap(true);
  return result;
}

session_end echo_server::serve(std::uint64_t connection, handle pipe) {
  session_end end;
  end.connection = connection;
  pipe_session session(std::move(pipe), options_.wait);
  auto answer = serve_handshake(session, options_.handshake, counter_);
  if (!answer) {
    end.end = answer.fail();
    observer_->closed(end);
    return end;
  }
  end.handshake_done = true;
  end.status = answer->status;
  end.session_id = answer->ack.session_id;
  observer_->handshake(connection, answer.value());
  if (answer->status != transport_status::ok) {
    // WE-7: a rejection ends the connection; the client still reads the ACK.
    if (answer->shm_failure) {
      end.end = *answer->shm_failure;
    } else {
      end.end = rule_failure(
          *answer->rule, answer->hello_malformed ? close_reason::protocol : close_reason::rejected);
    }
  } else {
    echo_loop(session, answer->ack, end);
  }
  session.close();
  observer_->closed(end);
  return end;
}

void echo_server::echo_loop(pipe_session& session, const hello_ack& ack, session_end& end) {
  bytes response;
  for (;;) {
    auto request = session.receive_message();
    if (!request) {
      end.end = request.fail();
      end.mid_message = session.mid_message();
      return;
    }
    if (request->header.kind != kKindRequest) {
      end.end =
          rule_failure(broke(rule::bad_kind, "kind: expected REQUEST (1) from a client, got " +
                                                 std::to_string(request->header.kind)));
      return;
    }
    write_response(response, request.value(), ack);
    done answered = session.send_message(response);
    observer_->echoed(end.session_id, request.value(), answered);
    if (!answered) {
      end.end = answered.fail();
      return;
    }
    ++end.echoed;
  }
}

}  // namespace netipc::win32
