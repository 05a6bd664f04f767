// extract_batch on arbitrary payloads (item_count from the first two bytes),
// and build_batch/extract_batch round trips of what comes out.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "netipc/batch.hpp"

using namespace netipc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t item_count = data[0] | data[1] << 8;
  byte_view payload(data + 2, size - 2);
  auto items = extract_batch(payload, item_count);
  if (!items) {
    auto which = items.err().which;
    NETIPC_FUZZ_CHECK(which == rule::batch_directory_out_of_bounds ||
                      which == rule::batch_item_misaligned ||
                      which == rule::batch_item_out_of_bounds);
    return 0;
  }
  NETIPC_FUZZ_CHECK(items->size() == item_count);
  // Items may overlap (the contract does not forbid it), but each one lies
  // inside the packed area after the directory.
  for (const bytes& item : *items) {
    NETIPC_FUZZ_CHECK(item.size() <= payload.size() - 8 * std::size_t{item_count});
  }

  bytes built = build_batch(*items);
  NETIPC_FUZZ_CHECK(built.size() % 8 == 0);
  auto again = extract_batch(built, item_count);
  NETIPC_FUZZ_CHECK(again.ok() && *again == *items);
  return 0;
}
