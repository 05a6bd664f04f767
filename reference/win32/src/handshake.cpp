#include "netipc/win32/handshake.hpp"

namespace netipc::win32 {

namespace {

// The rejection the core would send, for a first message that was no HELLO.
hello_ack rejection_ack(const server_config& config) {
  hello_ack ack;
  ack.server_supported_profiles = config.supported_profiles;
  return ack;
}

// The id the ACK answers with: the HELLO's, when its header can be read.
std::uint64_t message_id_of(byte_view message) {
  auto header = decode_outer_header(message);
  return header ? header->message_id : 0;
}

// NP-11: the objects exist before the successful ACK leaves.
void prepare_shm(server_handshake& answer, const server_handshake_options& options) {
  auto names = shm_names(options.run_dir, options.service, options.config.auth_token,
                         answer.ack.selected_profile, answer.ack.session_id);
  if (!names) {
    answer.status = transport_status::internal_error;
    answer.ack = rejection_ack(options.config);
    answer.shm_failure = rule_failure(names.err());
    return;
  }
  answer.shm_names = names.value();
  if (!options.shm_prepare) return;
  auto made = create_shm_objects(*answer.shm_names,
                                 shm_region_size(answer.ack.agreed_max_request_payload_bytes,
                                                 answer.ack.agreed_max_response_payload_bytes));
  if (!made) {
    // No partial success (4.3): the client is told, the session never starts.
    answer.status = transport_status::internal_error;
    answer.ack = rejection_ack(options.config);
    answer.shm_failure = made.fail();
    return;
  }
  answer.shm = std::move(made).value();
}

}  // namespace

outcome<server_handshake> serve_handshake(pipe_session& session,
                                          const server_handshake_options& options,
                                          shared_session_counter& counter) {
  auto first = session.read_packet();
  if (!first) return first.fail();

  server_handshake answer;
  auto h = parse_hello_message(first.value());
  if (!h) {
    answer.status = transport_status::bad_envelope;
    answer.rule = h.err();
    answer.ack = rejection_ack(options.config);
    answer.hello_malformed = true;
  } else {
    decision decided = counter.decide(options.config, h.value());
    answer.status = decided.status;
    answer.ack = decided.ack;
    if (decided.rule) answer.rule = netipc::error{*decided.rule, {}};
    if (answer.status == transport_status::ok && is_shm_profile(answer.ack.selected_profile)) {
      prepare_shm(answer, options);
    }
  }

  bytes reply = hello_ack_message(answer.ack, answer.status, message_id_of(first.value()));
  if (done sent = session.write_packet(reply); !sent) return sent.fail();
  if (answer.status == transport_status::ok) {
    session.agree(answer.ack.agreed_packet_size,
                  limits{answer.ack.agreed_max_request_payload_bytes,
                         answer.ack.agreed_max_request_batch_items, 0});
  }
  return answer;
}

outcome<client_handshake> request_handshake(pipe_session& session, const hello& h,
                                            std::uint64_t message_id) {
  if (done sent = session.write_packet(hello_message(h, message_id)); !sent) return sent.fail();
  auto reply = session.read_packet();
  if (!reply) return reply.fail();
  auto parsed = parse_hello_ack_message(reply.value());
  if (!parsed) return rule_failure(parsed.err());

  client_handshake answer;
  answer.status = parsed->status;
  answer.ack = parsed->ack;
  if (status checked = check_hello_ack(h, answer.status, answer.ack); !checked) {
    answer.broken = checked.err();
    return answer;
  }
  session.agree(answer.ack.agreed_packet_size,
                limits{answer.ack.agreed_max_response_payload_bytes,
                       answer.ack.agreed_max_response_batch_items, 0});
  return answer;
}

}  // namespace netipc::win32
