// The batch payload of wire-envelope.md 2 (WE-2): a directory of
// (u32 offset, u32 length) entries, then 8-byte aligned items.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "netipc/rules.hpp"
#include "netipc/wire.hpp"

namespace netipc {

bytes build_batch(std::span<const bytes> items);

// batch_directory_out_of_bounds, batch_item_misaligned, batch_item_out_of_bounds.
result<std::vector<bytes>> extract_batch(byte_view payload, std::uint32_t item_count);

}  // namespace netipc
