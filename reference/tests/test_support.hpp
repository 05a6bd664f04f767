// Helpers shared by the core tests: hex conversion and a check that a
// result broke exactly the expected rule.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "netipc/rules.hpp"
#include "netipc/wire.hpp"

namespace netipc::test {

inline bytes from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes out;
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("bad hex digit in " + std::string(hex));
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

inline std::string to_hex(byte_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : data) {
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

inline void put_u32(bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

inline bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

// Passes only when r is an error naming `expected`; says what came instead.
template <class R>
::testing::AssertionResult broke_rule(const R& r, rule expected) {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "expected rule " << rule_name(expected) << ", got success";
  }
  if (r.err().which != expected) {
    return ::testing::AssertionFailure()
           << "expected rule " << rule_name(expected) << ", got " << rule_name(r.err().which)
           << " (" << r.err().detail << ")";
  }
  if (r.err().detail.empty()) {
    return ::testing::AssertionFailure() << "rule " << rule_name(expected) << " has no detail";
  }
  return ::testing::AssertionSuccess();
}

template <class R>
::testing::AssertionResult succeeded(const R& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected success, got " << rule_name(r.err().which) << " (" << r.err().detail << ")";
}

// A message: outer header with payload_len = payload.size(), then payload.
inline bytes make_message(outer_header h, const bytes& payload) {
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  bytes out = encode_outer_header(h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// Bytes i % 251: a prime period, so chunk boundaries never align with it.
inline bytes pattern(std::size_t n) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i % 251);
  return out;
}

}  // namespace netipc::test
