// Binds a C++ record (netipc/record.hpp) as a Python class with a keyword
// constructor (defaults from the C++ initialisers), one attribute per field,
// ==, repr and FIELDS, so Python code reads the field names of
// wire-envelope.md. The fields come from the record's X-macro rows.
#pragma once

#include <pybind11/pybind11.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace netipc::py_bindings {

namespace py = pybind11;

template <class T>
struct field_def {
  std::string name;
  std::function<py::object(const T&)> get;
  std::function<void(T&, py::handle)> set;
};

// Assigns a Python value to a field, naming the field when it does not fit.
template <class F>
void assign_field(F& target, py::handle value, const char* name) {
  try {
    target = value.cast<F>();
  } catch (const py::cast_error&) {
    throw py::value_error(std::string("field ") + name + ": " + std::string(py::repr(value)) +
                          " does not fit its type");
  }
}

// One field_def per row of the record's X-macro (T::each_field).
template <class T>
std::vector<field_def<T>> fields_of() {
  std::vector<field_def<T>> fields;
  T::each_field([&](const char* name, auto member) {
    fields.push_back({name, [member](const T& t) -> py::object { return py::cast(t.*member); },
                      [member, name](T& t, py::handle v) { assign_field(t.*member, v, name); }});
  });
  return fields;
}

template <class T>
py::class_<T> bind_record(py::module_& m, const char* py_name) {
  auto table = std::make_shared<std::vector<field_def<T>>>(fields_of<T>());
  py::class_<T> cls(m, py_name);
  cls.def(py::init([table, py_name](const py::kwargs& kwargs) {
    T value{};
    for (auto [key, item] : kwargs) {
      auto name = py::str(key).template cast<std::string>();
      auto it = std::find_if(table->begin(), table->end(),
                             [&](const field_def<T>& f) { return f.name == name; });
      if (it == table->end()) {
        throw py::type_error(std::string(py_name) + " has no field " + name);
      }
      it->set(value, item);
    }
    return value;
  }));
  py::list names;
  for (const auto& f : *table) {
    names.append(f.name);
    cls.def_property(
        f.name.c_str(), [get = f.get](const T& t) { return get(t); },
        [set = f.set](T& t, py::handle v) { set(t, v); });
  }
  cls.attr("FIELDS") = py::tuple(names);
  cls.def("__eq__", [](const T& a, py::object b) -> py::object {
    if (!py::isinstance<T>(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    return py::bool_(a == b.cast<const T&>());
  });
  cls.attr("__hash__") = py::none();
  cls.def("as_dict", [table](const T& t) {
    py::dict out;
    for (const auto& f : *table) out[py::str(f.name)] = f.get(t);
    return out;
  });
  cls.def("__repr__", [table, py_name](const T& t) {
    std::string text = std::string(py_name) + "(";
    for (std::size_t i = 0; i < table->size(); ++i) {
      if (i) text += ", ";
      text += (*table)[i].name + "=" + std::string(py::repr((*table)[i].get(t)));
    }
    return text + ")";
  });
  return cls;
}

}  // namespace netipc::py_bindings
