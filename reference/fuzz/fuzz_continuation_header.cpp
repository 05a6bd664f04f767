// decode_continuation_header + check_continuation_header on arbitrary bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "netipc/wire.hpp"

using namespace netipc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_view in(data, size);
  auto c = decode_continuation_header(in);
  if (!c) {
    NETIPC_FUZZ_CHECK(size < kHeaderLen && c.err().which == rule::message_truncated);
    return 0;
  }
  bytes again = encode_continuation_header(*c);
  NETIPC_FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
  NETIPC_FUZZ_CHECK(*decode_continuation_header(again) == *c);
  if (check_continuation_header(*c).ok()) {
    NETIPC_FUZZ_CHECK(c->magic == kChunkMagic && c->version == 1 && c->flags == 0);
    NETIPC_FUZZ_CHECK(c->chunk_payload_len > 0 && c->chunk_index < c->chunk_count);
  }
  return 0;
}
