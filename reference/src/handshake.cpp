#include "netipc/handshake.hpp"

#include <algorithm>
#include <bit>
#include <string>

namespace netipc {

namespace {

std::uint32_t highest_bit(std::uint32_t mask) {
  return mask == 0 ? 0 : std::uint32_t{1} << (31 - std::countl_zero(mask));
}

decision reject(const server_config& server, transport_status status, rule why) {
  decision d;
  d.status = status;
  d.rule = why;
  d.ack = hello_ack{};
  d.ack.server_supported_profiles = server.supported_profiles;
  return d;
}

std::string detail(std::string_view field, std::uint64_t expected_bound, std::string_view op,
                   std::uint64_t actual) {
  return std::string(field) + ": expected " + std::string(op) + " " +
         std::to_string(expected_bound) + ", got " + std::to_string(actual);
}

}  // namespace

decision decide_handshake(const server_config& server, const hello& h, session_counter& counter) {
  if (h.layout_version != 1) {
    return reject(server, transport_status::incompatible, rule::hello_bad_layout_version);
  }
  if (h.flags != 0)
    return reject(server, transport_status::bad_envelope, rule::hello_nonzero_flags);
  if (h.padding != 0) {
    return reject(server, transport_status::bad_envelope, rule::hello_nonzero_padding);
  }
  if (h.auth_token != server.auth_token) {
    return reject(server, transport_status::auth_failed, rule::auth_token_mismatch);
  }
  std::uint32_t intersection = h.supported_profiles & server.supported_profiles;
  if (intersection == 0) {
    return reject(server, transport_status::unsupported, rule::no_common_profile);
  }
  if (h.max_request_payload_bytes > server.max_request_payload_bytes) {
    return reject(server, transport_status::limit_exceeded,
                  rule::request_payload_over_server_limit);
  }
  std::uint32_t packet_size = std::min(h.packet_size, server.packet_size);
  if (packet_size <= kHeaderLen) {
    return reject(server, transport_status::incompatible, rule::packet_size_too_small);
  }

  std::uint32_t preferred = intersection & h.preferred_profiles & server.preferred_profiles;
  decision d;
  d.status = transport_status::ok;
  d.ack.server_supported_profiles = server.supported_profiles;
  d.ack.intersection_profiles = intersection;
  d.ack.selected_profile = highest_bit(preferred != 0 ? preferred : intersection);
  d.ack.agreed_max_request_payload_bytes = h.max_request_payload_bytes;
  d.ack.agreed_max_request_batch_items = h.max_request_batch_items;
  d.ack.agreed_max_response_batch_items = h.max_request_batch_items;
  // The server never sends more than it agreed, and honours a larger hint.
  d.ack.agreed_max_response_payload_bytes =
      std::max(h.max_response_payload_bytes, server.max_response_payload_bytes);
  d.ack.agreed_packet_size = packet_size;
  d.ack.session_id = counter.allocate();
  return d;
}

status check_hello_ack(const hello& h, transport_status status, const hello_ack& ack) {
  if (status != transport_status::ok) {
    return broke(rule::ack_rejected,
                 "transport_status: expected OK, got " + transport_status_name(status));
  }
  if (ack.layout_version != 1) {
    return broke(rule::ack_bad_layout_version,
                 detail("layout_version", 1, "==", ack.layout_version));
  }
  if (ack.flags != 0) return broke(rule::ack_nonzero_flags, detail("flags", 0, "==", ack.flags));
  if (ack.padding != 0) {
    return broke(rule::ack_nonzero_padding, detail("padding", 0, "==", ack.padding));
  }
  if (ack.agreed_max_response_batch_items != ack.agreed_max_request_batch_items) {
    return broke(rule::ack_batch_items_differ,
                 detail("agreed_max_response_batch_items", ack.agreed_max_request_batch_items,
                        "== agreed_max_request_batch_items", ack.agreed_max_response_batch_items));
  }
  if ((ack.intersection_profiles & ~h.supported_profiles) != 0) {
    return broke(rule::ack_intersection_wrong,
                 detail("intersection_profiles", h.supported_profiles,
                        "a subset of the offered supported_profiles", ack.intersection_profiles));
  }
  bool single_bit = std::has_single_bit(ack.selected_profile);
  if (!single_bit || (ack.selected_profile & h.supported_profiles) == 0) {
    return broke(rule::ack_profile_not_offered,
                 detail("selected_profile", h.supported_profiles,
                        "one bit of the offered supported_profiles", ack.selected_profile));
  }
  if (ack.agreed_packet_size <= kHeaderLen) {
    return broke(rule::ack_packet_size_too_small,
                 detail("agreed_packet_size", kHeaderLen, ">", ack.agreed_packet_size));
  }
  if (ack.agreed_packet_size > h.packet_size) {
    return broke(rule::ack_packet_size_over_proposal,
                 detail("agreed_packet_size", h.packet_size, "<= the proposed packet_size",
                        ack.agreed_packet_size));
  }
  if (ack.agreed_max_request_payload_bytes > h.max_request_payload_bytes) {
    return broke(
        rule::ack_request_payload_over_proposal,
        detail("agreed_max_request_payload_bytes", h.max_request_payload_bytes,
               "<= the proposed max_request_payload_bytes", ack.agreed_max_request_payload_bytes));
  }
  if (ack.session_id == 0) {
    return broke(rule::ack_session_id_zero, detail("session_id", 0, "!=", 0));
  }
  return success();
}

hello hello_for(const server_config& config) {
  hello h;
  h.auth_token = config.auth_token;
  h.supported_profiles = config.supported_profiles;
  h.preferred_profiles = config.preferred_profiles;
  h.max_request_payload_bytes = config.max_request_payload_bytes;
  h.max_request_batch_items = config.max_request_batch_items;
  h.max_response_payload_bytes = config.max_response_payload_bytes;
  h.max_response_batch_items = config.max_response_batch_items;
  h.packet_size = config.packet_size;
  return h;
}

}  // namespace netipc
