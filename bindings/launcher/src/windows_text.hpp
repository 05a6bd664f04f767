// What CreateProcessW takes as text, built without any Windows call so that
// every platform can test it: the command line the child's C runtime splits
// back into argv, and the environment block.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace netipc::launcher::windows_text {

// One argument as the Microsoft C runtime (and CommandLineToArgvW) will read
// it back: quoted when needed, backslashes doubled only before a quote.
std::string quote_argument(std::string_view argument);

// argv joined into one command line.
std::string command_line(const std::vector<std::string>& argv);

// "NAME=value\0...\0\0", sorted without regard to case as Windows keeps its
// own; throws spawn_error for a name Windows cannot hold (empty, with '=' or
// NUL) or two names that differ only in case (Windows would keep one).
std::string environment_block(const std::map<std::string, std::string>& env);

}  // namespace netipc::launcher::windows_text
