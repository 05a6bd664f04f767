// netipc_conformance._core: the reference core and the process launcher.
#include <pybind11/pybind11.h>

namespace netipc::py_bindings {
void define_core(pybind11::module_& m);
void define_launcher(pybind11::module_& m);
}  // namespace netipc::py_bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "The netipc reference core (C++) and the Boost.Process launcher.";
  netipc::py_bindings::define_core(m);
  netipc::py_bindings::define_launcher(m);
}
