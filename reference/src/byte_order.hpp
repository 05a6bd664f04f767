// Explicit little-endian reads and writes, so no layout depends on struct
// packing or host byte order (wire-envelope.md: all integers little-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace netipc::detail {

template <class T>
void put_le(std::vector<std::uint8_t>& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
}

template <class T>
T get_le(std::span<const std::uint8_t> in, std::size_t offset) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<std::uint64_t>(in[offset + i]) << (8 * i);
  }
  return static_cast<T>(value);
}

// Reads fields in order from a buffer the caller has already sized.
class le_reader {
 public:
  explicit le_reader(std::span<const std::uint8_t> in) : in_(in) {}
  template <class T>
  T read() {
    T value = get_le<T>(in_, pos_);
    pos_ += sizeof(T);
    return value;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace netipc::detail
