// decode_hello and parse_hello_message on arbitrary bytes; whatever the
// server accepts must pass the client's check of the resulting ACK.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "netipc/handshake.hpp"
#include "netipc/wire.hpp"

using namespace netipc;

namespace {

void check_decision(const hello& h) {
  server_config server;
  server.auth_token = h.auth_token;  // reach the rows after auth too
  server.supported_profiles = 0x0B;
  server.preferred_profiles = 0x02;
  server.max_request_payload_bytes = 1u << 20;
  server.packet_size = 4096;
  session_counter counter(3);
  decision d = decide_handshake(server, h, counter);
  if (d.status == transport_status::ok) {
    NETIPC_FUZZ_CHECK(!d.rule.has_value() && d.ack.session_id == 3 && counter.peek() == 4);
    NETIPC_FUZZ_CHECK(check_hello_ack(h, d.status, d.ack).ok());
    bytes m = hello_ack_message(d.ack, d.status, 1);
    auto back = parse_hello_ack_message(m);
    NETIPC_FUZZ_CHECK(back.ok() && back->ack == d.ack && back->status == d.status);
  } else {
    NETIPC_FUZZ_CHECK(d.rule.has_value() && d.ack.session_id == 0 && counter.peek() == 3);
    NETIPC_FUZZ_CHECK(rule_name(check_hello_ack(h, d.status, d.ack).err().which) == "ack_rejected");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_view in(data, size);
  auto h = decode_hello(in);
  NETIPC_FUZZ_CHECK(h.ok() == (size == kHelloPayloadLen));
  if (h) {
    bytes again = encode_hello(*h);
    NETIPC_FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
    check_decision(*h);
  }
  auto parsed = parse_hello_message(in);
  if (parsed) {
    NETIPC_FUZZ_CHECK(size == kHeaderLen + kHelloPayloadLen);
    bytes payload = encode_hello(*parsed);
    NETIPC_FUZZ_CHECK(std::equal(payload.begin(), payload.end(), in.begin() + kHeaderLen));
    auto header = decode_outer_header(in);
    NETIPC_FUZZ_CHECK(header->kind == kKindControl && header->code == kCodeHello);
    check_decision(*parsed);
  }
  return 0;
}
