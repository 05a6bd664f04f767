// Checks every golden vector file (vectors/*.json, formats in
// docs/core-interface.md) against the C++ core. Each mismatch names the
// vector id, the field, the expected and the actual value.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "netipc/batch.hpp"
#include "netipc/chunking.hpp"
#include "netipc/handshake.hpp"
#include "netipc/names.hpp"
#include "netipc/wire.hpp"
#include "test_support.hpp"

#ifndef NETIPC_VECTORS_DIR
#error "NETIPC_VECTORS_DIR must name the vectors directory"
#endif

namespace netipc {
namespace {

using json = nlohmann::json;
using test::from_hex;
using test::to_hex;

// The mismatches found in one vector, each a line for a human.
class report {
 public:
  explicit report(std::string id, std::vector<std::string>& out) : id_(std::move(id)), out_(out) {}

  void mismatch(std::string_view field, const std::string& expected, const std::string& actual) {
    out_.push_back(id_ + ": " + std::string(field) + ": expected " + expected + ", actual " +
                   actual);
  }
  void expect(std::string_view field, const json& expected, const json& actual) {
    if (expected != actual) mismatch(field, expected.dump(), actual.dump());
  }

 private:
  std::string id_;
  std::vector<std::string>& out_;
};

// The rule a result broke, or "success".
template <class R>
std::string outcome(const R& r) {
  return r.ok() ? "success" : std::string(rule_name(r.err().which));
}

void require_keys(const json& obj, std::initializer_list<std::string_view> allowed,
                  std::string_view where) {
  if (!obj.is_object()) throw std::runtime_error(std::string(where) + " is not an object");
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw std::runtime_error(std::string(where) + " has a field no checker reads: " + key);
    }
  }
}

std::uint64_t as_u64(const json& j, std::string_view where) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0)) {
    throw std::runtime_error(std::string(where) + ": expected a non-negative integer, got " +
                             j.dump());
  }
  return j.get<std::uint64_t>();
}

// A record from JSON: defaults for absent fields, unknown or out-of-range
// fields are errors in the vector. The fields are the record's X-macro rows.
template <class T>
T record_from(const json& j, std::string_view where) {
  if (!j.is_object()) throw std::runtime_error(std::string(where) + " is not an object");
  T value{};
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    bool known = false;
    T::each_field([&](const char* name, auto member) {
      if (key != name) return;
      known = true;
      using field = std::remove_reference_t<decltype(value.*member)>;
      std::uint64_t x = as_u64(it.value(), std::string(where) + "." + key);
      if (x > std::numeric_limits<field>::max()) {
        throw std::runtime_error(std::string(where) + "." + key + " out of range");
      }
      value.*member = static_cast<field>(x);
    });
    if (!known) throw std::runtime_error(std::string(where) + " has no field " + key);
  }
  return value;
}

template <class T>
void expect_record(report& rep, std::string_view where, const T& expected, const T& actual) {
  T::each_field([&](const char* name, auto member) {
    rep.expect(std::string(where) + "." + name, static_cast<std::uint64_t>(expected.*member),
               static_cast<std::uint64_t>(actual.*member));
  });
}

std::string str(const json& v, const char* key) { return v.at(key).get<std::string>(); }

// --- one checker per vector file -------------------------------------------

void check_pipe_name(const json& v, report& rep) {
  require_keys(v, {"id", "rationale", "run_dir", "service", "expected"}, "vector");
  const json& exp = v.at("expected");
  require_keys(exp, {"hash", "pipe_name", "error"}, "expected");
  std::string run_dir = str(v, "run_dir");
  auto name = pipe_name(run_dir, str(v, "service"));
  if (exp.contains("hash")) rep.expect("hash", exp["hash"], hash_hex(fnv1a64(run_dir)));
  if (exp.contains("error")) {
    rep.expect("error", exp["error"], outcome(name));
  } else {
    rep.expect("pipe_name", exp.at("pipe_name"), name.ok() ? *name : "error " + outcome(name));
  }
}

void check_invalid_service_name(const json& v, report& rep) {
  require_keys(v, {"id", "rationale", "service", "expected"}, "vector");
  const json& exp = v.at("expected");
  require_keys(exp, {"error"}, "expected");
  std::string service = str(v, "service");
  rep.expect("error (pipe_name)", exp.at("error"), outcome(pipe_name("C:\\run", service)));
  // The character rule alone: good characters, too many of them, pass it and
  // fail only as a whole pipe name.
  json by_characters = exp.at("error") == "pipe_name_too_long" ? json("success") : exp.at("error");
  rep.expect("error (validate_service_name)", by_characters,
             outcome(validate_service_name(service)));
}

void check_shm_name(const json& v, report& rep) {
  require_keys(
      v,
      {"id", "rationale", "run_dir", "service", "auth_token", "profile", "session_id", "expected"},
      "vector");
  const json& exp = v.at("expected");
  require_keys(exp, {"hash_input_hex", "hash", "mapping", "req_event", "resp_event"}, "expected");
  std::string run_dir = str(v, "run_dir"), service = str(v, "service");
  std::uint64_t token = as_u64(v.at("auth_token"), "auth_token");
  bytes input = shm_hash_input(run_dir, service, token);
  rep.expect("hash_input_hex", exp.at("hash_input_hex"), to_hex(input));
  rep.expect("hash", exp.at("hash"), hash_hex(fnv1a64(input)));
  auto names = shm_names(run_dir, service, token,
                         static_cast<std::uint32_t>(as_u64(v.at("profile"), "profile")),
                         as_u64(v.at("session_id"), "session_id"));
  std::string failed = "error " + outcome(names);
  rep.expect("mapping", exp.at("mapping"), names.ok() ? names->mapping : failed);
  rep.expect("req_event", exp.at("req_event"), names.ok() ? names->req_event : failed);
  rep.expect("resp_event", exp.at("resp_event"), names.ok() ? names->resp_event : failed);
}

// decode(hex) == fields and encode(fields) == hex for one record type.
template <class T>
void round_trip(report& rep, const json& fields, const bytes& data, result<T> (*decode)(byte_view),
                bytes (*encode)(const T&)) {
  T expected = record_from<T>(fields, "fields");
  rep.expect("hex (encode(fields))", to_hex(data), to_hex(encode(expected)));
  auto decoded = decode(data);
  if (!decoded) {
    rep.mismatch("decode(hex)", "success", outcome(decoded));
    return;
  }
  expect_record(rep, "fields", expected, *decoded);
}

std::string envelope_error(const std::string& type, const json& v, const bytes& data) {
  if (type == "outer_header") {
    std::optional<limits> lim;
    if (v.contains("limits")) lim = record_from<limits>(v["limits"], "limits");
    auto h = decode_outer_header(data);
    return h ? outcome(check_outer_header(*h, lim)) : outcome(h);
  }
  if (type == "continuation_header") {
    auto h = decode_continuation_header(data);
    return h ? outcome(check_continuation_header(*h)) : outcome(h);
  }
  if (type == "hello") return outcome(decode_hello(data));
  if (type == "hello_ack") return outcome(decode_hello_ack(data));
  if (type == "batch") {
    auto count = as_u64(v.at("item_count"), "item_count");
    if (count > UINT32_MAX) throw std::runtime_error("item_count out of range");
    return outcome(extract_batch(data, static_cast<std::uint32_t>(count)));
  }
  throw std::runtime_error("unknown envelope type " + type);
}

void check_batch_fields(report& rep, const json& fields, const bytes& data) {
  require_keys(fields, {"items_hex"}, "fields");
  std::vector<bytes> items;
  for (const json& item : fields.at("items_hex"))
    items.push_back(from_hex(item.get<std::string>()));
  rep.expect("hex (build_batch(items))", to_hex(data), to_hex(build_batch(items)));
  auto extracted = extract_batch(data, static_cast<std::uint32_t>(items.size()));
  if (!extracted) {
    rep.mismatch("extract_batch(hex)", "success", outcome(extracted));
    return;
  }
  json actual = json::array();
  for (const bytes& item : *extracted) actual.push_back(to_hex(item));
  rep.expect("fields.items_hex", fields["items_hex"], actual);
}

void check_envelope(const json& v, report& rep) {
  require_keys(v, {"id", "rationale", "type", "hex", "fields", "error", "limits", "item_count"},
               "vector");
  std::string type = str(v, "type");
  bytes data = from_hex(str(v, "hex"));
  if (v.contains("error") == v.contains("fields")) {
    throw std::runtime_error("needs exactly one of fields and error");
  }
  if (v.contains("error")) {
    rep.expect("error", v["error"], envelope_error(type, v, data));
    return;
  }
  const json& fields = v["fields"];
  if (type == "outer_header") {
    round_trip<outer_header>(rep, fields, data, decode_outer_header, encode_outer_header);
  } else if (type == "continuation_header") {
    round_trip<continuation_header>(rep, fields, data, decode_continuation_header,
                                    encode_continuation_header);
  } else if (type == "hello") {
    round_trip<hello>(rep, fields, data, decode_hello, encode_hello);
  } else if (type == "hello_ack") {
    round_trip<hello_ack>(rep, fields, data, decode_hello_ack, encode_hello_ack);
  } else if (type == "batch") {
    check_batch_fields(rep, fields, data);
  } else {
    throw std::runtime_error("unknown envelope type " + type);
  }
}

void check_handshake(const json& v, report& rep) {
  require_keys(v, {"id", "rationale", "server", "hello", "next_session_id", "expected"}, "vector");
  const json& exp = v.at("expected");
  require_keys(exp, {"status", "rule", "ack"}, "expected");
  auto server = record_from<server_config>(v.at("server"), "server");
  auto h = record_from<hello>(v.at("hello"), "hello");
  std::uint64_t next = as_u64(v.at("next_session_id"), "next_session_id");
  session_counter counter(next);
  decision d = decide_handshake(server, h, counter);
  rep.expect("status", exp.at("status"), transport_status_name(d.status));
  rep.expect("rule", exp.at("rule"), d.rule ? json(std::string(rule_name(*d.rule))) : json());
  expect_record(rep, "ack", record_from<hello_ack>(exp.at("ack"), "expected.ack"), d.ack);
  rep.expect("counter after the decision (allocates only on success)",
             d.status == transport_status::ok ? next + 1 : next, counter.peek());
  if (d.status == transport_status::ok) {
    rep.expect("check_hello_ack of the decision", "success",
               outcome(check_hello_ack(h, d.status, d.ack)));
  }
}

void check_chunk_plan(const json& v, report& rep) {
  require_keys(v,
               {"id", "rationale", "payload_len", "agreed_packet_size", "message_id", "kind",
                "code", "expected"},
               "vector");
  const json& exp = v.at("expected");
  require_keys(exp,
               {"chunk_count", "first_chunk_payload_len", "last_chunk_payload_len",
                "packets_hex_head", "packet_hex_last", "packets_fnv1a64"},
               "expected");
  outer_header h;
  auto payload_len = as_u64(v.at("payload_len"), "payload_len");
  if (payload_len > (1u << 26)) throw std::runtime_error("payload_len too large for a vector");
  h.payload_len = static_cast<std::uint32_t>(payload_len);
  h.message_id = as_u64(v.at("message_id"), "message_id");
  h.kind = static_cast<std::uint16_t>(as_u64(v.at("kind"), "kind"));
  h.code = static_cast<std::uint16_t>(as_u64(v.at("code"), "code"));
  auto packet =
      static_cast<std::uint32_t>(as_u64(v.at("agreed_packet_size"), "agreed_packet_size"));
  bytes payload = test::pattern(h.payload_len);
  auto packets = plan_chunks(test::make_message(h, payload), packet);

  rep.expect("chunk_count", exp.at("chunk_count"), packets.size());
  rep.expect("chunk_count (chunk_count())", exp.at("chunk_count"),
             chunk_count(h.payload_len, packet));
  rep.expect("first_chunk_payload_len", exp.at("first_chunk_payload_len"),
             packets.front().size() - kHeaderLen);
  rep.expect("last_chunk_payload_len", exp.at("last_chunk_payload_len"),
             packets.back().size() - kHeaderLen);
  // Head and last packets are pinned by their first 96 bytes (header and 64
  // payload bytes) and every byte of every packet by one digest, so a 1 MiB
  // plan at packet size 65536 stays a small file.
  auto prefix_hex = [](const bytes& p) {
    return to_hex(bytes(p.begin(), p.begin() + std::min<std::size_t>(p.size(), 96)));
  };
  json head = json::array();
  for (std::size_t i = 0; i < std::min<std::size_t>(3, packets.size()); ++i) {
    head.push_back(prefix_hex(packets[i]));
  }
  rep.expect("packets_hex_head", exp.at("packets_hex_head"), head);
  rep.expect("packet_hex_last", exp.at("packet_hex_last"), prefix_hex(packets.back()));
  bytes framed;
  for (const bytes& p : packets) {
    auto n = static_cast<std::uint32_t>(p.size());
    for (int shift = 0; shift < 32; shift += 8)
      framed.push_back(static_cast<std::uint8_t>(n >> shift));
    framed.insert(framed.end(), p.begin(), p.end());
  }
  rep.expect("packets_fnv1a64", exp.at("packets_fnv1a64"), hash_hex(fnv1a64(framed)));

  // The receiver must take the plan back to the same message.
  reassembler r(limits{h.payload_len, 1, packet});
  std::string got = "incomplete";
  for (const bytes& p : packets) {
    auto fed = r.feed(p);
    if (!fed) {
      got = "error " + outcome(fed);
      break;
    }
    if (fed->has_value()) got = (*fed)->payload == payload ? "the payload" : "another payload";
  }
  rep.expect("reassembled", "the payload", got);
}

void check_broken_chunks(const json& v, report& rep) {
  require_keys(v, {"id", "rationale", "limits", "packets_hex", "expected"}, "vector");
  const json& exp = v.at("expected");
  require_keys(exp, {"rule", "at_packet"}, "expected");
  reassembler r(record_from<limits>(v.at("limits"), "limits"));
  json rule_seen = "no rule broken";
  json at = nullptr;
  const json& packets = v.at("packets_hex");
  for (std::size_t i = 0; i < packets.size(); ++i) {
    auto fed = r.feed(from_hex(packets[i].get<std::string>()));
    if (!fed) {
      rule_seen = outcome(fed);
      at = i;
      break;
    }
  }
  rep.expect("rule", exp.at("rule"), rule_seen);
  rep.expect("at_packet", exp.at("at_packet"), at);
}

struct vector_file {
  std::string name;
  std::string prefix;
  void (*check)(const json&, report&);
};

const std::vector<vector_file>& vector_files() {
  static const std::vector<vector_file> files = {
      {"pipe_names.json", "pn-", check_pipe_name},
      {"invalid_service_names.json", "sv-", check_invalid_service_name},
      {"shm_names.json", "shm-", check_shm_name},
      {"envelopes.json", "env-", check_envelope},
      {"handshakes.json", "hs-", check_handshake},
      {"chunk_plans.json", "cp-", check_chunk_plan},
      {"broken_chunks.json", "bc-", check_broken_chunks},
  };
  return files;
}

const vector_file& file_named(const std::string& name) {
  for (const auto& f : vector_files()) {
    if (f.name == name) return f;
  }
  throw std::invalid_argument("no checker for " + name);
}

// Every mismatch in a whole document, including its shape.
std::vector<std::string> check_document(const vector_file& file, const json& doc) {
  std::vector<std::string> out;
  std::string schema = "schemas/" + file.name.substr(0, file.name.size() - 5) + ".schema.json";
  if (!doc.is_object() || !doc.contains("vectors") || !doc["vectors"].is_array()) {
    out.push_back(file.name + ": expected an object with a \"vectors\" array");
    return out;
  }
  if (doc.value("$schema", std::string()) != schema) {
    out.push_back(file.name + ": $schema: expected \"" + schema + "\", actual " +
                  (doc.contains("$schema") ? doc["$schema"].dump() : "none"));
  }
  if (doc["vectors"].empty()) out.push_back(file.name + ": no vectors");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < doc["vectors"].size(); ++i) {
    const json& v = doc["vectors"][i];
    std::string id = v.is_object() && v.contains("id") && v["id"].is_string()
                         ? v["id"].get<std::string>()
                         : file.name + "[" + std::to_string(i) + "]";
    report rep(id, out);
    if (id.rfind(file.prefix, 0) != 0) rep.mismatch("id", "prefix " + file.prefix, id);
    if (!ids.insert(id).second) rep.mismatch("id", "unique", "a duplicate");
    if (!v.is_object() || !v.contains("rationale") || !v["rationale"].is_string() ||
        v["rationale"].get<std::string>().empty()) {
      rep.mismatch("rationale", "a non-empty string",
                   v.is_object() && v.contains("rationale") ? v["rationale"].dump() : "none");
    }
    try {
      file.check(v, rep);
    } catch (const std::exception& e) {
      rep.mismatch("vector", "a well-formed vector", std::string("malformed: ") + e.what());
    }
  }
  return out;
}

std::string vector_path(const std::string& name) {
  return std::string(NETIPC_VECTORS_DIR) + "/" + name;
}

// The parsed file, or a gtest failure saying why there is none.
::testing::AssertionResult load(const std::string& name, json& doc) {
  std::ifstream in(vector_path(name));
  if (!in) return ::testing::AssertionFailure() << "missing vector file " << vector_path(name);
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    return ::testing::AssertionFailure() << vector_path(name) << " is not valid JSON: " << e.what();
  }
  return ::testing::AssertionSuccess();
}

class VectorFile : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorFile, EveryVectorMatchesTheCore) {
  const vector_file& file = file_named(GetParam());
  json doc;
  ASSERT_TRUE(load(file.name, doc));
  auto mismatches = check_document(file, doc);
  for (const std::string& m : mismatches) ADD_FAILURE() << m;
  if (mismatches.empty()) {
    std::cout << "[ vectors  ] " << file.name << ": " << doc["vectors"].size()
              << " vectors match\n";
  }
}

// Changes one character of one string (or one integer) of the first
// vector's expected values, as an accidental edit would. Returns what changed.
std::string corrupt_leaf(json& j) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    std::string before = s;
    if (s.empty()) {
      s = "x";
    } else {
      s.back() = s.back() == '0' ? '1' : '0';
    }
    j = s;
    return before + " -> " + s;
  }
  if (j.is_number_unsigned() || j.is_number_integer()) {
    auto x = j.get<std::uint64_t>();
    j = x == std::numeric_limits<std::uint64_t>::max() ? x - 1 : x + 1;
    return std::to_string(x) + " -> " + j.dump();
  }
  if (j.is_boolean()) {
    j = !j.get<bool>();
    return "flipped a boolean";
  }
  if (j.is_object() || j.is_array()) {
    for (auto& item : j) {
      std::string changed = corrupt_leaf(item);
      if (!changed.empty()) return changed;
    }
  }
  return "";
}

std::string corrupt_first_vector(json& doc) {
  json& v = doc["vectors"][0];
  if (v.contains("expected")) return corrupt_leaf(v["expected"]);
  if (v.contains("error")) return corrupt_leaf(v["error"]);
  return corrupt_leaf(v["hex"]);
}

::testing::AssertionResult corruption_is_caught(const vector_file& file, json doc) {
  std::string id = doc["vectors"][0].value("id", "");
  std::string changed = corrupt_first_vector(doc);
  if (changed.empty()) return ::testing::AssertionFailure() << "nothing to corrupt in " << id;
  auto mismatches = check_document(file, doc);
  bool named = std::any_of(mismatches.begin(), mismatches.end(),
                           [&](const std::string& m) { return m.rfind(id + ": ", 0) == 0; });
  if (!named) {
    return ::testing::AssertionFailure()
           << file.name << ": corrupting " << id << " (" << changed << ") went unnoticed";
  }
  return ::testing::AssertionSuccess();
}

TEST_P(VectorFile, ACorruptedExpectedValueIsReported) {
  const vector_file& file = file_named(GetParam());
  json doc;
  ASSERT_TRUE(load(file.name, doc));
  ASSERT_TRUE(doc.contains("vectors") && doc["vectors"].is_array() && !doc["vectors"].empty())
      << file.name << ": no vectors";
  EXPECT_TRUE(corruption_is_caught(file, doc));
}

INSTANTIATE_TEST_SUITE_P(Files, VectorFile,
                         ::testing::Values("pipe_names.json", "invalid_service_names.json",
                                           "shm_names.json", "envelopes.json", "handshakes.json",
                                           "chunk_plans.json", "broken_chunks.json"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 5);
                           n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
                           return n;
                         });

TEST(VectorDirectory, EveryFileHasAChecker) {
  std::filesystem::path dir(NETIPC_VECTORS_DIR);
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << "missing vector directory " << dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(std::any_of(vector_files().begin(), vector_files().end(),
                            [&](const auto& f) { return f.name == name; }))
        << "no checker for vector file " << entry.path();
  }
}

// In-memory documents whose expected values were computed by hand (Python,
// independently of this core): the checker must pass them and catch each
// corruption, whether or not vectors/ exists yet.
const std::vector<std::pair<std::string, std::string>>& self_test_documents() {
  static const std::vector<std::pair<std::string, std::string>> docs = {
      {"pipe_names.json", R"({"$schema": "schemas/pipe_names.schema.json", "vectors": [
        {"id": "pn-001", "rationale": "r", "run_dir": "C:\\run", "service": "cgroups-snapshot",
         "expected": {"hash": "cb21fefcaa2b14c9",
                      "pipe_name": "\\\\.\\pipe\\netipc-cb21fefcaa2b14c9-cgroups-snapshot"}},
        {"id": "pn-002", "rationale": "r", "run_dir": "C:\\run", "service": "a b",
         "expected": {"error": "service_name_bad_char"}}]})"},
      {"invalid_service_names.json", R"({"$schema": "schemas/invalid_service_names.schema.json",
        "vectors": [{"id": "sv-001", "rationale": "r", "service": "",
                     "expected": {"error": "service_name_empty"}}]})"},
      {"shm_names.json", R"({"$schema": "schemas/shm_names.schema.json", "vectors": [
        {"id": "shm-001", "rationale": "r", "run_dir": "C:\\run", "service": "svc",
         "auth_token": 16045690984503098046, "profile": 2, "session_id": 26,
         "expected": {"hash_input_hex": "433a5c72756e0a7376630a3136303435363930393834353033303938303436",
                      "hash": "c244ec7dcb5f43da",
                      "mapping": "Local\\netipc-c244ec7dcb5f43da-svc-p2-s000000000000001a-mapping",
                      "req_event": "Local\\netipc-c244ec7dcb5f43da-svc-p2-s000000000000001a-req_event",
                      "resp_event": "Local\\netipc-c244ec7dcb5f43da-svc-p2-s000000000000001a-resp_event"}}]})"},
      {"envelopes.json", R"({"$schema": "schemas/envelopes.schema.json", "vectors": [
        {"id": "env-001", "rationale": "r", "type": "outer_header",
         "hex": "4350494e01002000000000000300000003000000010000000500000000000000",
         "error": "bad_kind"},
        {"id": "env-002", "rationale": "r", "type": "outer_header",
         "hex": "4350494e01002000010000000300000003000000010000000500000000000000",
         "fields": {"kind": 1, "code": 3, "payload_len": 3, "message_id": 5}},
        {"id": "env-003", "rationale": "r", "type": "batch", "item_count": 1,
         "hex": "0400000000000000", "error": "batch_item_misaligned"},
        {"id": "env-004", "rationale": "r", "type": "outer_header", "limits":
         {"max_payload_bytes": 2, "max_batch_items": 1, "agreed_packet_size": 64},
         "hex": "4350494e01002000010000000300000003000000010000000500000000000000",
         "error": "payload_over_limit"}]})"},
      {"handshakes.json", R"({"$schema": "schemas/handshakes.schema.json", "vectors": [
        {"id": "hs-001", "rationale": "r", "server": {"packet_size": 4096},
         "hello": {"packet_size": 65536}, "next_session_id": 7,
         "expected": {"status": "OK", "rule": null, "ack": {
           "layout_version": 1, "server_supported_profiles": 1, "intersection_profiles": 1,
           "selected_profile": 1, "agreed_max_request_payload_bytes": 1024,
           "agreed_max_request_batch_items": 1, "agreed_max_response_payload_bytes": 1024,
           "agreed_max_response_batch_items": 1, "agreed_packet_size": 4096, "session_id": 7}}},
        {"id": "hs-002", "rationale": "r", "server": {"auth_token": 1}, "hello": {},
         "next_session_id": 1, "expected": {"status": "AUTH_FAILED",
         "rule": "auth_token_mismatch", "ack": {"server_supported_profiles": 1}}}]})"},
      {"chunk_plans.json", R"({"$schema": "schemas/chunk_plans.schema.json", "vectors": [
        {"id": "cp-001", "rationale": "r", "payload_len": 3, "agreed_packet_size": 33,
         "message_id": 5, "kind": 1, "code": 3,
         "expected": {"chunk_count": 3, "first_chunk_payload_len": 1, "last_chunk_payload_len": 1,
           "packets_hex_head": [
             "4350494e0100200001000000030000000300000001000000050000000000000000",
             "4b48434e0100000005000000000000002300000001000000030000000100000001",
             "4b48434e0100000005000000000000002300000002000000030000000100000002"],
           "packet_hex_last": "4b48434e0100000005000000000000002300000002000000030000000100000002",
           "packets_fnv1a64": "cba6bbd34ec9024c"}}]})"},
      {"broken_chunks.json", R"({"$schema": "schemas/broken_chunks.schema.json", "vectors": [
        {"id": "bc-001", "rationale": "r",
         "limits": {"max_payload_bytes": 1024, "max_batch_items": 1, "agreed_packet_size": 64},
         "packets_hex": [
           "4350494e01002000010000000300000028000000010000000900000000000000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
           "4b48434e010000000900000000000000480000000200000002000000080000002021222324252627"],
         "expected": {"rule": "chunk_index_out_of_order", "at_packet": 1}}]})"},
  };
  return docs;
}

TEST(VectorChecker, HandComputedDocumentsPass) {
  for (const auto& [name, text] : self_test_documents()) {
    auto mismatches = check_document(file_named(name), json::parse(text));
    EXPECT_TRUE(mismatches.empty()) << name << ": " << (mismatches.empty() ? "" : mismatches[0]);
  }
}

TEST(VectorChecker, EveryHandComputedCorruptionIsReported) {
  for (const auto& [name, text] : self_test_documents()) {
    EXPECT_TRUE(corruption_is_caught(file_named(name), json::parse(text))) << name;
  }
}

TEST(VectorChecker, MismatchNamesIdFieldExpectedAndActual) {
  json doc = json::parse(self_test_documents()[0].second);
  doc["vectors"][0]["expected"]["pipe_name"] = "\\\\.\\pipe\\other";
  auto mismatches = check_document(file_named("pipe_names.json"), doc);
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(mismatches[0],
            "pn-001: pipe_name: expected \"\\\\\\\\.\\\\pipe\\\\other\", actual "
            "\"\\\\\\\\.\\\\pipe\\\\netipc-cb21fefcaa2b14c9-cgroups-snapshot\"");
}

TEST(VectorChecker, MalformedVectorsAreReportedNotSkipped) {
  json doc = json::parse(self_test_documents()[0].second);
  doc["vectors"][0].erase("service");
  doc["vectors"][1]["colour"] = "blue";
  doc["vectors"][1]["id"] = "pn-001";
  auto mismatches = check_document(file_named("pipe_names.json"), doc);
  std::string all;
  for (const auto& m : mismatches) all += m + "\n";
  EXPECT_NE(all.find("pn-001: vector: expected a well-formed vector, actual malformed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("colour"), std::string::npos) << all;
  EXPECT_NE(all.find("duplicate"), std::string::npos) << all;
}

}  // namespace
}  // namespace netipc
