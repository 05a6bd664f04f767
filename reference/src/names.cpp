#include "netipc/names.hpp"

#include <initializer_list>
#include <stdexcept>

namespace netipc {

namespace {

bool service_char_ok(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Length of the UTF-8 sequence that starts with lead (1 for a stray byte,
// so a malformed string still advances).
std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Joins pieces into one string (one allocation; also sidesteps a GCC 12
// -Wrestrict false positive on chained operator+ at -O3).
std::string concat(std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (std::string_view p : pieces) size += p.size();
  std::string out;
  out.reserve(size);
  for (std::string_view p : pieces) out.append(p);
  return out;
}

std::string describe_char(std::string_view seq) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : seq) {
    hex += "\\x";
    hex += digits[c >> 4];
    hex += digits[c & 0xF];
  }
  bool printable = seq.size() == 1 && seq[0] >= 0x20 && seq[0] < 0x7F;
  return printable ? concat({"'", seq, "'"}) : concat({"\"", hex, "\""});
}

}  // namespace

std::uint64_t fnv1a64(std::span<const std::uint8_t> data) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : data) {
    hash ^= b;
    hash *= 0x00000100000001B3ULL;
  }
  return hash;
}

std::uint64_t fnv1a64(std::string_view data) {
  return fnv1a64(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()),
                                               data.size()));
}

std::string hash_hex(std::uint64_t hash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = digits[hash & 0xF];
    hash >>= 4;
  }
  return out;
}

status validate_service_name(std::string_view service) {
  if (service.empty()) {
    return broke(rule::service_name_empty, "service_name: expected 1 or more characters, got 0");
  }
  std::size_t char_index = 0;
  for (std::size_t i = 0; i < service.size(); ++char_index) {
    auto c = static_cast<unsigned char>(service[i]);
    std::size_t len = utf8_sequence_length(c);
    if (!service_char_ok(c)) {
      return broke(rule::service_name_bad_char, "service_name: expected only [A-Za-z0-9-_.], got " +
                                                    describe_char(service.substr(i, len)) +
                                                    " at index " + std::to_string(char_index));
    }
    i += len;
  }
  return success();
}

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t len = utf8_sequence_length(static_cast<unsigned char>(utf8[i]));
    units += len == 4 ? 2 : 1;  // outside the BMP: a surrogate pair
    i += len;
  }
  return units;
}

result<std::string> pipe_name(std::string_view run_dir, std::string_view service) {
  if (auto ok = validate_service_name(service); !ok) return ok.err();
  std::string name = concat({"\\\\.\\pipe\\netipc-", hash_hex(fnv1a64(run_dir)), "-", service});
  std::size_t units = utf16_length(name);
  if (units > kMaxPipeNameUtf16) {
    return broke(rule::pipe_name_too_long,
                 "pipe name: expected at most 256 UTF-16 units, got " + std::to_string(units));
  }
  return name;
}

std::vector<std::uint8_t> shm_hash_input(std::string_view run_dir, std::string_view service,
                                         std::uint64_t auth_token) {
  std::string text = concat({run_dir, "\n", service, "\n", std::to_string(auth_token)});
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

result<shm_object_names> shm_names(std::string_view run_dir, std::string_view service,
                                   std::uint64_t auth_token, std::uint32_t profile,
                                   std::uint64_t session_id) {
  if (profile != 1 && profile != 2 && profile != 4 && profile != 8) {
    throw std::invalid_argument("profile: expected 1, 2, 4 or 8, got " + std::to_string(profile));
  }
  if (auto ok = validate_service_name(service); !ok) return ok.err();
  std::string stem =
      concat({"Local\\netipc-", hash_hex(fnv1a64(shm_hash_input(run_dir, service, auth_token))),
              "-", service, "-p", std::to_string(profile), "-s", hash_hex(session_id), "-"});
  return shm_object_names{concat({stem, "mapping"}), concat({stem, "req_event"}),
                          concat({stem, "resp_event"})};
}

}  // namespace netipc
