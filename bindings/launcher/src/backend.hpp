// The seam between the portable launcher (launcher.cpp) and one platform:
// backend_posix.cpp (Boost.Process, poll, signals) or backend_win32.cpp
// (CreateProcessW, overlapped pipes, a job object).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netipc/launcher.hpp"

namespace netipc::launcher::backend {

using child_ptr = std::unique_ptr<child, child_deleter>;

// argv is not empty and cwd is an existing directory; throws spawn_error.
child_ptr spawn(const std::vector<std::string>& argv,
                const std::optional<std::map<std::string, std::string>>& env,
                const std::string& cwd);
int pid_of(const child& c);

// False at the deadline; throws end_of_stream once the child's stdin is gone.
bool write_stdin(child& c, std::string_view data, clock::time_point deadline);
void close_stdin(child& c);

// Appends what is ready on each open output (stdout, stderr) to it, waiting
// until something arrives or the deadline passes; a closed stream gets eof.
// Draining both means a child blocked on a full stderr can never starve a
// stdout reader.
void pump(child& c, std::array<output, 2>& outputs, clock::time_point deadline);

// The exit status once the child has exited; nullopt at the deadline.
std::optional<int> wait_exit(child& c, clock::time_point deadline);
// The polite way to end it, where the platform has one.
void ask_to_end(child& c);
// The way that cannot be refused.
void force_end(child& c);

}  // namespace netipc::launcher::backend
