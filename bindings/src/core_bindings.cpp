// The reference core for Python: the interface of docs/core-interface.md.
// Bytes in, typed records out; a broken rule raises ContractError carrying
// the rule's name, its clause and the detail.
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cctype>
#include <string>
#include <unordered_set>
#include <vector>

#include "netipc/batch.hpp"
#include "netipc/chunking.hpp"
#include "netipc/handshake.hpp"
#include "netipc/names.hpp"
#include "netipc/peer_exit_codes.hpp"
#include "netipc/wire.hpp"
#include "records.hpp"

namespace netipc::py_bindings {

namespace {

// Held for the life of the process: a static py::object would be destroyed
// after the interpreter is gone.
PyObject* contract_error_type = nullptr;

[[noreturn]] void raise_contract_error(const error& e) {
  auto type = py::reinterpret_borrow<py::object>(contract_error_type);
  py::object exc =
      type(std::string(rule_name(e.which)), std::string(rule_clause(e.which)), e.detail);
  PyErr_SetObject(contract_error_type, exc.ptr());
  throw py::error_already_set();
}

template <class T>
T unwrap(result<T>&& r) {
  if (!r) raise_contract_error(r.err());
  return std::move(r).value();
}

void unwrap(status&& s) {
  if (!s) raise_contract_error(s.err());
}

byte_view view_of(const py::bytes& data) {
  std::string_view text = data;
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

py::bytes to_py(const bytes& data) {
  return py::bytes(reinterpret_cast<const char*>(data.data()), data.size());
}

py::list to_py_list(const std::vector<bytes>& items) {
  py::list out;
  for (const auto& item : items) out.append(to_py(item));
  return out;
}

// The wire status accepted as its name ("OK") or its number.
transport_status status_of(py::handle value) {
  if (py::isinstance<py::str>(value)) {
    auto name = value.cast<std::string>();
    auto status = transport_status_from_name(name);
    if (!status) throw py::value_error("unknown transport_status " + name);
    return *status;
  }
  return static_cast<transport_status>(value.cast<std::uint16_t>());
}

void define_contract_error(py::module_& m) {
  py::dict scope;
  py::exec(R"(
class ContractError(Exception):
    """A rule of the contract was broken: .rule, .clause and .detail say which and how."""

    def __init__(self, rule, clause, detail):
        super().__init__(f"{rule} ({clause}): {detail}")
        self.rule = rule
        self.clause = clause
        self.detail = detail
)",
           py::globals(), scope);
  py::object type = scope["ContractError"];
  type.attr("__module__") = m.attr("__name__");
  m.attr("ContractError") = type;
  contract_error_type = type.release().ptr();
}

void define_constants(py::module_& m) {
  m.attr("MAGIC") = kMagic;
  m.attr("CHUNK_MAGIC") = kChunkMagic;
  m.attr("VERSION") = kVersion;
  m.attr("HEADER_LEN") = kHeaderLen;
  m.attr("HELLO_PAYLOAD_LEN") = kHelloPayloadLen;
  m.attr("HELLO_ACK_PAYLOAD_LEN") = kHelloAckPayloadLen;
  m.attr("KIND_REQUEST") = kKindRequest;
  m.attr("KIND_RESPONSE") = kKindResponse;
  m.attr("KIND_CONTROL") = kKindControl;
  m.attr("FLAG_BATCH") = kFlagBatch;
  m.attr("CODE_HELLO") = kCodeHello;
  m.attr("CODE_HELLO_ACK") = kCodeHelloAck;
  m.attr("PROFILE_NAMED_PIPE") = kProfileNamedPipe;
  m.attr("PROFILE_SHM_HYBRID") = kProfileShmHybrid;
  m.attr("PROFILE_SHM_BUSYWAIT") = kProfileShmBusywait;
  m.attr("PROFILE_SHM_WAITADDR") = kProfileShmWaitaddr;
  py::list status_names;
  for (auto name : kStatusNames) status_names.append(std::string(name));
  m.attr("STATUS_NAMES") = status_names;
  py::dict clauses;
#define NETIPC_RULE_ENTRY(name, clause) clauses[#name] = clause;
  NETIPC_RULES(NETIPC_RULE_ENTRY)
#undef NETIPC_RULE_ENTRY
  m.attr("RULE_CLAUSES") = clauses;
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The peer's exit codes (docs/peer-cli.md) as EXIT_OK, EXIT_PROTOCOL, ...
void define_exit_codes(py::module_& m) {
#define NETIPC_EXIT_ATTR(name, code) m.attr(upper("EXIT_" #name).c_str()) = int{peer::exit_##name};
  NETIPC_EXIT_CODES(NETIPC_EXIT_ATTR)
#undef NETIPC_EXIT_ATTR
}

// The peer's configuration: CONFIG_FIELDS in order (a manifest's [config]
// keys, the ServerConfig fields) and CONFIG_FLAGS, the peer-cli.md flag of each.
void define_config_fields(py::module_& m) {
  py::list fields;
  py::dict flags;
#define NETIPC_CONFIG_ENTRY(type, name, init, flag, help) \
  fields.append(#name);                                   \
  flags[#name] = flag;
  NETIPC_SERVER_CONFIG_FIELDS(NETIPC_CONFIG_ENTRY)
#undef NETIPC_CONFIG_ENTRY
  m.attr("CONFIG_FIELDS") = py::tuple(fields);
  m.attr("CONFIG_FLAGS") = flags;
}

void define_records(py::module_& m) {
  bind_record<outer_header>(m, "OuterHeader");
  bind_record<continuation_header>(m, "ContinuationHeader");
  bind_record<hello>(m, "Hello");
  bind_record<hello_ack>(m, "HelloAck");
  bind_record<server_config>(m, "ServerConfig");
  bind_record<limits>(m, "Limits");
  bind_record<shm_object_names>(m, "ShmNames");
}

void define_names(py::module_& m) {
  m.def(
      "fnv1a64", [](const py::bytes& data) { return fnv1a64(view_of(data)); }, py::arg("data"));
  m.def(
      "validate_service_name",
      [](const std::string& service) { unwrap(validate_service_name(service)); },
      py::arg("service"));
  m.def(
      "pipe_name",
      [](const std::string& run_dir, const std::string& service) {
        return unwrap(pipe_name(run_dir, service));
      },
      py::arg("run_dir"), py::arg("service"));
  m.def(
      "shm_hash_input",
      [](const std::string& run_dir, const std::string& service, std::uint64_t auth_token) {
        return to_py(shm_hash_input(run_dir, service, auth_token));
      },
      py::arg("run_dir"), py::arg("service"), py::arg("auth_token"));
  m.def(
      "shm_names",
      [](const std::string& run_dir, const std::string& service, std::uint64_t auth_token,
         std::uint32_t profile, std::uint64_t session_id) {
        return unwrap(shm_names(run_dir, service, auth_token, profile, session_id));
      },
      py::arg("run_dir"), py::arg("service"), py::arg("auth_token"), py::arg("profile"),
      py::arg("session_id"));
}

void define_envelope(py::module_& m) {
  m.def("encode_outer_header", [](const outer_header& h) { return to_py(encode_outer_header(h)); });
  m.def("decode_outer_header",
        [](const py::bytes& data) { return unwrap(decode_outer_header(view_of(data))); });
  m.def(
      "check_outer_header",
      [](const outer_header& h, std::optional<limits> lim) { unwrap(check_outer_header(h, lim)); },
      py::arg("header"), py::arg("limits") = py::none());
  m.def("encode_continuation_header",
        [](const continuation_header& h) { return to_py(encode_continuation_header(h)); });
  m.def("decode_continuation_header",
        [](const py::bytes& data) { return unwrap(decode_continuation_header(view_of(data))); });
  m.def("check_continuation_header",
        [](const continuation_header& h) { unwrap(check_continuation_header(h)); });
  m.def("encode_hello", [](const hello& h) { return to_py(encode_hello(h)); });
  m.def("decode_hello", [](const py::bytes& data) { return unwrap(decode_hello(view_of(data))); });
  m.def("encode_hello_ack", [](const hello_ack& a) { return to_py(encode_hello_ack(a)); });
  m.def("decode_hello_ack",
        [](const py::bytes& data) { return unwrap(decode_hello_ack(view_of(data))); });
  m.def(
      "hello_message",
      [](const hello& h, std::uint64_t message_id) { return to_py(hello_message(h, message_id)); },
      py::arg("hello"), py::arg("message_id") = 0);
  m.def(
      "hello_ack_message",
      [](const hello_ack& a, py::handle status, std::uint64_t message_id) {
        return to_py(hello_ack_message(a, status_of(status), message_id));
      },
      py::arg("ack"), py::arg("transport_status") = "OK", py::arg("message_id") = 0);
  m.def("parse_hello_message",
        [](const py::bytes& data) { return unwrap(parse_hello_message(view_of(data))); });
  m.def("parse_hello_ack_message", [](const py::bytes& data) {
    auto parsed = unwrap(parse_hello_ack_message(view_of(data)));
    return py::make_tuple(transport_status_name(parsed.status), parsed.ack);
  });
  m.def(
      "build_batch",
      [](const std::vector<py::bytes>& items) {
        std::vector<bytes> raw;
        for (const auto& item : items) {
          auto view = view_of(item);
          raw.emplace_back(view.begin(), view.end());
        }
        return to_py(build_batch(raw));
      },
      py::arg("items"));
  m.def(
      "extract_batch",
      [](const py::bytes& payload, std::uint32_t item_count) {
        return to_py_list(unwrap(extract_batch(view_of(payload), item_count)));
      },
      py::arg("payload"), py::arg("item_count"));
}

void define_handshake(py::module_& m) {
  py::class_<session_counter>(m, "SessionCounter")
      .def(py::init<std::uint64_t>(), py::arg("next_session_id") = 1)
      .def("allocate", &session_counter::allocate)
      .def("peek", &session_counter::peek);

  py::class_<decision>(m, "Decision")
      .def_property_readonly("status",
                             [](const decision& d) { return transport_status_name(d.status); })
      .def_property_readonly("rule",
                             [](const decision& d) -> py::object {
                               if (!d.rule) return py::none();
                               return py::str(std::string(rule_name(*d.rule)));
                             })
      .def_readonly("ack", &decision::ack)
      .def("__repr__", [](const decision& d) {
        return "Decision(status=" + transport_status_name(d.status) +
               ", rule=" + (d.rule ? std::string(rule_name(*d.rule)) : "None") + ")";
      });

  m.def("decide_handshake", &decide_handshake, py::arg("server"), py::arg("hello"),
        py::arg("counter"));
  m.def(
      "check_hello_ack",
      [](const hello& h, py::handle status, const hello_ack& ack) {
        unwrap(check_hello_ack(h, status_of(status), ack));
      },
      py::arg("hello"), py::arg("status"), py::arg("ack"));
}

void define_chunking(py::module_& m) {
  m.def(
      "plan_chunks",
      [](const py::bytes& message, std::uint32_t agreed_packet_size) {
        return to_py_list(plan_chunks(view_of(message), agreed_packet_size));
      },
      py::arg("message"), py::arg("agreed_packet_size"));
  m.def("chunk_count", &chunk_count, py::arg("payload_len"), py::arg("agreed_packet_size"));

  py::class_<message>(m, "Message")
      .def_readonly("header", &message::header)
      .def_property_readonly("payload", [](const message& msg) { return to_py(msg.payload); })
      .def_readonly("first_chunk_short", &message::first_chunk_short)
      .def("__repr__", [](const message& msg) {
        return "Message(message_id=" + std::to_string(msg.header.message_id) +
               ", payload_len=" + std::to_string(msg.payload.size()) + ")";
      });

  py::class_<reassembler>(m, "Reassembler")
      .def(py::init<limits>(), py::arg("limits"))
      .def(
          "feed",
          [](reassembler& r, const py::bytes& packet) -> py::object {
            auto got = unwrap(r.feed(view_of(packet)));
            if (!got) return py::none();
            return py::cast(std::move(*got));
          },
          py::arg("packet"))
      .def_property_readonly("in_progress", &reassembler::in_progress);

  m.def(
      "check_response_id",
      [](const std::unordered_set<std::uint64_t>& sent_ids, std::uint64_t message_id) {
        unwrap(check_response_id(sent_ids, message_id));
      },
      py::arg("sent_ids"), py::arg("message_id"));
}

}  // namespace

void define_core(py::module_& m) {
  define_contract_error(m);
  define_constants(m);
  define_exit_codes(m);
  define_config_fields(m);
  define_records(m);
  define_names(m);
  define_envelope(m);
  define_handshake(m);
  define_chunking(m);
}

}  // namespace netipc::py_bindings
