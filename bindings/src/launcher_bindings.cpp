// netipc_conformance._core.Process: the launcher every harness process goes
// through. Blocking calls release the GIL; the destructor always reaps.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>

#include "netipc/launcher.hpp"

namespace netipc::py_bindings {

namespace py = pybind11;
using launcher::clock;
using launcher::process;

namespace {

clock::time_point deadline_after(double seconds) {
  if (seconds < 0) throw py::value_error("a timeout cannot be negative");
  return clock::now() + std::chrono::duration_cast<clock::duration>(
                            std::chrono::duration<double>(std::min(seconds, 86400.0)));
}

launcher::stream stream_of(const std::string& name) {
  if (name == "stdout") return launcher::stream::out;
  if (name == "stderr") return launcher::stream::err;
  throw py::value_error("stream must be \"stdout\" or \"stderr\", not \"" + name + "\"");
}

std::unique_ptr<process> spawn(const std::vector<std::string>& argv,
                               const std::optional<std::map<std::string, std::string>>& env,
                               const std::optional<std::string>& cwd) {
  try {
    return std::make_unique<process>(argv, env, cwd);
  } catch (const launcher::spawn_error& e) {
    PyErr_SetString(PyExc_FileNotFoundError, e.message.c_str());
    throw py::error_already_set();
  }
}

[[noreturn]] void raise_eof(const char* what) {
  PyErr_SetString(PyExc_EOFError, what);
  throw py::error_already_set();
}

}  // namespace

void define_launcher(py::module_& m) {
  py::class_<process>(m, "Process")
      .def(py::init(&spawn), py::arg("argv"), py::arg("env") = py::none(),
           py::arg("cwd") = py::none())
      .def_property_readonly("pid", &process::pid)
      .def(
          "write_stdin",
          [](process& p, const py::bytes& data, double timeout) {
            std::string text = data;
            bool done = false;
            try {
              py::gil_scoped_release release;
              done = p.write_stdin(text, deadline_after(timeout));
            } catch (const launcher::end_of_stream&) {
              PyErr_SetString(PyExc_BrokenPipeError, "the child's stdin is closed");
              throw py::error_already_set();
            }
            if (!done) {
              PyErr_SetString(PyExc_TimeoutError, "the child did not read its stdin in time");
              throw py::error_already_set();
            }
          },
          py::arg("data"), py::arg("timeout") = 10.0)
      .def("close_stdin", &process::close_stdin)
      .def(
          "read_line",
          [](process& p, const std::string& stream, double timeout) -> py::object {
            auto which = stream_of(stream);
            std::optional<std::string> line;
            try {
              py::gil_scoped_release release;
              line = p.read_line(which, deadline_after(timeout));
            } catch (const launcher::end_of_stream&) {
              raise_eof("the child's stream is closed");
            }
            if (!line) return py::none();
            return py::bytes(*line);
          },
          py::arg("stream"), py::arg("timeout"))
      .def(
          "read_all",
          [](process& p, const std::string& stream, double timeout) {
            auto which = stream_of(stream);
            std::string all;
            {
              py::gil_scoped_release release;
              all = p.read_all(which, deadline_after(timeout));
            }
            return py::bytes(all);
          },
          py::arg("stream"), py::arg("timeout"))
      .def(
          "wait",
          [](process& p, double timeout) {
            py::gil_scoped_release release;
            return p.wait(deadline_after(timeout));
          },
          py::arg("timeout"))
      .def(
          "terminate",
          [](process& p, double grace) {
            py::gil_scoped_release release;
            return p.terminate(std::chrono::duration<double>(grace));
          },
          py::arg("grace") = 1.0)
      .def("limit_output", &process::limit_output, py::arg("max_line"), py::arg("max_unread"))
      .def(
          "dropped",
          [](const process& p, const std::string& stream) { return p.dropped(stream_of(stream)); },
          py::arg("stream"))
      .def_property_readonly("running", &process::running)
      .def_property_readonly("exit_status", &process::exit_status)
      .def("__enter__", [](process& p) -> process& { return p; })
      .def("__exit__",
           [](process& p, py::args) {
             py::gil_scoped_release release;
             p.terminate(std::chrono::seconds(1));
           })
      .def("__repr__", [](process& p) {
        auto status = p.exit_status();
        return "Process(pid=" + std::to_string(p.pid()) +
               (status ? ", exit_status=" + std::to_string(*status) : ", running") + ")";
      });
}

}  // namespace netipc::py_bindings
