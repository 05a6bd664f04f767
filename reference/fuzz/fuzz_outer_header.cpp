// decode_outer_header + check_outer_header on arbitrary bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "netipc/wire.hpp"

using namespace netipc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_view in(data, size);
  auto h = decode_outer_header(in);
  if (!h) {
    NETIPC_FUZZ_CHECK(size < kHeaderLen && h.err().which == rule::message_truncated);
    return 0;
  }
  bytes again = encode_outer_header(*h);
  NETIPC_FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
  NETIPC_FUZZ_CHECK(*decode_outer_header(again) == *h);

  auto plain = check_outer_header(*h);
  // Limits from the bytes after the header, when there are any.
  limits lim{h->payload_len ^ 0x5A5A, h->item_count & 0xFF, 65536};
  if (size >= kHeaderLen + 8) {
    lim.max_payload_bytes = in[32] | in[33] << 8 | in[34] << 16;
    lim.max_batch_items = in[36] | in[37] << 8;
  }
  auto limited = check_outer_header(*h, lim);
  if (limited.ok()) NETIPC_FUZZ_CHECK(plain.ok());
  if (!plain.ok()) NETIPC_FUZZ_CHECK(!limited.ok() && limited.err().which == plain.err().which);
  if (plain.ok()) {
    NETIPC_FUZZ_CHECK(h->magic == kMagic && h->version == 1 && h->header_len == 32);
    NETIPC_FUZZ_CHECK(h->kind >= 1 && h->kind <= 3 && (h->flags & ~kFlagBatch) == 0);
    NETIPC_FUZZ_CHECK(h->item_count >= 1 && ((h->flags & kFlagBatch) || h->item_count == 1));
  }
  if (limited.ok()) {
    NETIPC_FUZZ_CHECK(h->payload_len <= lim.max_payload_bytes);
    NETIPC_FUZZ_CHECK(h->item_count <= lim.max_batch_items);
  }
  return 0;
}
