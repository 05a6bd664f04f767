// decode_hello_ack and parse_hello_ack_message on arbitrary bytes, and the
// client's check of whatever ACK they yield.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "netipc/handshake.hpp"
#include "netipc/wire.hpp"

using namespace netipc;

namespace {

void check_ack(transport_status status, const hello_ack& ack) {
  hello h;
  h.supported_profiles = 0x0F;
  h.packet_size = 8192;
  h.max_request_payload_bytes = 4096;
  auto ok = check_hello_ack(h, status, ack);
  if (ok) {
    NETIPC_FUZZ_CHECK(status == transport_status::ok && ack.session_id != 0);
    NETIPC_FUZZ_CHECK(ack.agreed_packet_size > 32 && ack.agreed_packet_size <= 8192);
    NETIPC_FUZZ_CHECK(ack.agreed_max_request_payload_bytes <= 4096);
    NETIPC_FUZZ_CHECK(ack.agreed_max_request_batch_items == ack.agreed_max_response_batch_items);
    NETIPC_FUZZ_CHECK((ack.selected_profile & (ack.selected_profile - 1)) == 0 &&
                      (ack.selected_profile & 0x0F) != 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_view in(data, size);
  auto ack = decode_hello_ack(in);
  NETIPC_FUZZ_CHECK(ack.ok() == (size == kHelloAckPayloadLen));
  if (ack) {
    bytes again = encode_hello_ack(*ack);
    NETIPC_FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
    check_ack(transport_status::ok, *ack);
  }
  auto parsed = parse_hello_ack_message(in);
  if (parsed) {
    NETIPC_FUZZ_CHECK(size == kHeaderLen + kHelloAckPayloadLen);
    bytes payload = encode_hello_ack(parsed->ack);
    NETIPC_FUZZ_CHECK(std::equal(payload.begin(), payload.end(), in.begin() + kHeaderLen));
    NETIPC_FUZZ_CHECK(static_cast<std::uint16_t>(parsed->status) == (in[14] | in[15] << 8));
    NETIPC_FUZZ_CHECK(!transport_status_name(parsed->status).empty());
    check_ack(parsed->status, parsed->ack);
  }
  return 0;
}
