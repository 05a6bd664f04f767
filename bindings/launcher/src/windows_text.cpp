#include "windows_text.hpp"

#include <algorithm>
#include <cctype>

#include "netipc/launcher.hpp"

namespace netipc::launcher::windows_text {

namespace {

bool needs_quotes(std::string_view argument) {
  return argument.empty() || argument.find_first_of(" \t\n\v\"") != std::string_view::npos;
}

std::string folded(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return out;
}

}  // namespace

std::string quote_argument(std::string_view argument) {
  if (!needs_quotes(argument)) return std::string(argument);
  std::string out = "\"";
  std::size_t backslashes = 0;
  for (char ch : argument) {
    if (ch == '\\') {
      ++backslashes;
      continue;
    }
    // Backslashes count as escapes only before a quote: double them there.
    out.append(ch == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    backslashes = 0;
    out += ch;
  }
  // The closing quote would otherwise be escaped by trailing backslashes.
  out.append(backslashes * 2, '\\');
  out += '"';
  return out;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& argument : argv) {
    if (!out.empty()) out += ' ';
    out += quote_argument(argument);
  }
  return out;
}

std::string environment_block(const std::map<std::string, std::string>& env) {
  std::map<std::string, const std::pair<const std::string, std::string>*> by_folded_name;
  for (const auto& entry : env) {
    const std::string& name = entry.first;
    if (name.empty() || name.find_first_of("=", 1) != std::string::npos ||
        name.find('\0') != std::string::npos) {
      throw spawn_error{"environment variable name not allowed on Windows: \"" + name + "\""};
    }
    if (entry.second.find('\0') != std::string::npos) {
      throw spawn_error{"environment variable " + name + " has a NUL in its value"};
    }
    auto [at, fresh] = by_folded_name.emplace(folded(name), &entry);
    if (!fresh) {
      throw spawn_error{"environment variables " + at->second->first + " and " + name +
                        " differ only in case; Windows keeps one name"};
    }
  }
  std::string block;
  for (const auto& [unused, entry] : by_folded_name) {
    block += entry->first + "=" + entry->second;
    block += '\0';
  }
  if (block.empty()) block += '\0';
  block += '\0';
  return block;
}

}  // namespace netipc::launcher::windows_text
