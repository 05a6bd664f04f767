// A record is a plain struct whose fields are written once, as an X-macro
// of rows X(type, name, initial value, ...) in declaration order, which for
// a wire record is also its byte order (wire-envelope.md). NETIPC_RECORD
// turns the rows into the members, == and each_field; encoders, decoders,
// JSON and the Python bindings walk each_field instead of naming fields.
#pragma once

#include <cstddef>

namespace netipc {

// Extra columns after the initial value (a config row's flag) are for the
// X-macro's other users; the record itself ignores them.
#define NETIPC_RECORD_MEMBER(type, name, init, ...) type name = init;
#define NETIPC_RECORD_VISIT(type, name, init, ...) visit(#name, &self::name);

// Inside `struct record { ... };`: the fields of FIELDS, ==, and
// each_field(visit), which calls visit("name", &record::name) per field.
#define NETIPC_RECORD(record, FIELDS)                 \
  FIELDS(NETIPC_RECORD_MEMBER)                        \
  bool operator==(const record&) const = default;     \
  template <class Visitor>                            \
  static constexpr void each_field(Visitor&& visit) { \
    using self = record;                              \
    FIELDS(NETIPC_RECORD_VISIT)                       \
  }

template <class Record, class Field>
constexpr std::size_t record_member_size(Field Record::*) {
  return sizeof(Field);
}

// The bytes a record takes on the wire: its fields packed, no padding.
template <class Record>
constexpr std::size_t packed_size() {
  std::size_t size = 0;
  Record::each_field([&](const char*, auto member) { size += record_member_size<Record>(member); });
  return size;
}

}  // namespace netipc
