#include "netipc/batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "byte_order.hpp"

namespace netipc {

namespace {

constexpr std::uint64_t kAlign = 8;
constexpr std::uint64_t kEntryLen = 8;

std::uint64_t round_up(std::uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

bytes build_batch(std::span<const bytes> items) {
  std::uint64_t packed_start = round_up(kEntryLen * items.size());
  bytes directory;
  bytes packed;
  for (const bytes& item : items) {
    if (item.size() > UINT32_MAX || packed.size() > UINT32_MAX) {
      throw std::invalid_argument("batch item does not fit a u32 offset/length");
    }
    detail::put_le(directory, static_cast<std::uint32_t>(packed.size()));
    detail::put_le(directory, static_cast<std::uint32_t>(item.size()));
    packed.insert(packed.end(), item.begin(), item.end());
    packed.resize(round_up(packed.size()), 0);
  }
  directory.resize(packed_start, 0);
  directory.insert(directory.end(), packed.begin(), packed.end());
  return directory;
}

result<std::vector<bytes>> extract_batch(byte_view payload, std::uint32_t item_count) {
  std::uint64_t directory_len = kEntryLen * item_count;
  if (directory_len > payload.size()) {
    return broke(rule::batch_directory_out_of_bounds,
                 "batch directory: expected " + std::to_string(directory_len) + " bytes (" +
                     std::to_string(item_count) + " items) inside the payload, got " +
                     std::to_string(payload.size()) + " payload bytes");
  }
  std::uint64_t packed_start = round_up(directory_len);
  std::uint64_t packed_len = payload.size() - std::min<std::uint64_t>(packed_start, payload.size());
  std::vector<bytes> items;
  items.reserve(item_count);
  for (std::uint32_t i = 0; i < item_count; ++i) {
    auto offset = detail::get_le<std::uint32_t>(payload, kEntryLen * i);
    auto length = detail::get_le<std::uint32_t>(payload, kEntryLen * i + 4);
    std::string item = "batch item " + std::to_string(i);
    if (offset % kAlign != 0) {
      return broke(rule::batch_item_misaligned,
                   item + " offset: expected a multiple of 8, got " + std::to_string(offset));
    }
    if (std::uint64_t{offset} + length > packed_len) {
      return broke(rule::batch_item_out_of_bounds,
                   item + ": expected offset + length <= packed area " +
                       std::to_string(packed_len) + ", got " + std::to_string(offset) + " + " +
                       std::to_string(length));
    }
    auto begin = payload.begin() + static_cast<std::ptrdiff_t>(packed_start + offset);
    items.emplace_back(begin, begin + length);
  }
  return items;
}

}  // namespace netipc
