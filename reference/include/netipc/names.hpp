// Object names of NP-2, NP-3, NP-4 and NP-15, with the interpretations
// clauses.md fixes (decimal auth_token and profile, run_dir bytes as given).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netipc/record.hpp"
#include "netipc/rules.hpp"

namespace netipc {

// FNV-1a 64 (NP-3).
std::uint64_t fnv1a64(std::span<const std::uint8_t> data);
std::uint64_t fnv1a64(std::string_view data);

// 16 lowercase hex digits, zero-padded (the {hash:016llx} of NP-2).
std::string hash_hex(std::uint64_t hash);

// service_name_empty, or service_name_bad_char naming the character and index.
status validate_service_name(std::string_view service);

// Windows accepts at most 256 UTF-16 code units in a pipe name.
inline constexpr std::size_t kMaxPipeNameUtf16 = 256;

// UTF-16 code units of a UTF-8 string (4-byte sequences count 2).
std::size_t utf16_length(std::string_view utf8);

// \\.\pipe\netipc-{fnv1a64(run_dir):016x}-{service}, UTF-8.
// service rules, then pipe_name_too_long.
result<std::string> pipe_name(std::string_view run_dir, std::string_view service);

// run_dir + "\n" + service + "\n" + decimal(auth_token), UTF-8 bytes.
std::vector<std::uint8_t> shm_hash_input(std::string_view run_dir, std::string_view service,
                                         std::uint64_t auth_token);

// X(type, name, initial value): the NP-15 object names of one session.
#define NETIPC_SHM_OBJECT_NAMES_FIELDS(X) \
  X(std::string, mapping, {})             \
  X(std::string, req_event, {})           \
  X(std::string, resp_event, {})

struct shm_object_names {
  NETIPC_RECORD(shm_object_names, NETIPC_SHM_OBJECT_NAMES_FIELDS)
};

// Local\netipc-{h}-{service}-p{profile}-s{session_id:016x}-{mapping,...}.
// service rules as result; profile not one of 1, 2, 4, 8 throws
// std::invalid_argument (a caller bug, not a contract rule).
result<shm_object_names> shm_names(std::string_view run_dir, std::string_view service,
                                   std::uint64_t auth_token, std::uint32_t profile,
                                   std::uint64_t session_id);

}  // namespace netipc
