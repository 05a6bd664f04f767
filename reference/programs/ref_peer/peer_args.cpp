#include "peer_args.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "netipc/names.hpp"

namespace netipc::peer {

namespace {

// Flags shared by both roles: every config value (WE-5 fields) and the
// longest any single wait may take.
void add_config_flags(CLI::App& app, peer_args& a, std::uint64_t& deadline_ms) {
  server_config& c = a.config;
#define NETIPC_CONFIG_OPTION(type, name, init, flag, help) app.add_option(flag, c.name, help);
  NETIPC_SERVER_CONFIG_FIELDS(NETIPC_CONFIG_OPTION)
#undef NETIPC_CONFIG_OPTION
  app.add_option("--deadline-ms", deadline_ms, "longest single wait (connect, accept, I/O)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
}

struct positional {
  std::string run_dir;
  std::string service;
};

void add_names(CLI::App& app, peer_args& a, positional& p) {
  app.add_option("--run-dir", a.run_dir, "run directory (Windows form)");
  app.add_option("--service", a.service, "service name");
  app.add_option("RUN_DIR", p.run_dir, "minimal form: run directory");
  app.add_option("SERVICE", p.service, "minimal form: service name");
}

// Which of the two forms was used, and that exactly one was.
std::optional<usage_error> settle_form(peer_args& a, const positional& p) {
  bool flags = !a.run_dir.empty() || !a.service.empty();
  bool positionals = !p.run_dir.empty() || !p.service.empty();
  if (flags && positionals) {
    return usage_error{exit_bad_arguments, "give RUN_DIR SERVICE or --run-dir/--service, not both"};
  }
  if (positionals) {
    a.minimal = true;
    a.run_dir = p.run_dir;
    a.service = p.service;
  }
  if (a.run_dir.empty()) return usage_error{exit_bad_arguments, "no run directory given"};
  return std::nullopt;
}

}  // namespace

std::variant<peer_args, usage_error, help_shown> parse_peer_args(int argc, char** argv) {
  peer_args a;
  positional p;
  std::uint64_t deadline_ms = 30000;
  bool serve_forever = false;
  std::uint64_t sessions = 1;
  std::string echo_events = "all";

  CLI::App app{"netipc-ref-peer: the reference peer of netipc over Windows named pipes"};
  app.require_subcommand(1);
  // CLI11 on Windows takes "/x" for an option by default: a run_dir such as
  // "/c/netipc/run" (NAME-S-05) must stay an argument.
  app.allow_windows_style_options(false);
  CLI::App* server = app.add_subcommand("server", "serve sessions and echo every request");
  CLI::App* client = app.add_subcommand("client", "send requests and check their echoes");
  for (CLI::App* sub : {server, client}) {
    sub->allow_windows_style_options(false);
    add_config_flags(*sub, a, deadline_ms);
    add_names(*sub, a, p);
  }
  server->add_option("--sessions", sessions, "connections to serve, then exit")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  server->add_flag("--serve-forever", serve_forever, "serve until stdin closes");
  server->add_option("--shm-prepare", a.shm_prepare,
                     "0: select SHM without creating its objects (a broken server)");
  client->add_option("--payload-size", a.payload_size, "bytes per request (per item with --batch)");
  client->add_option("--messages", a.messages, "requests to send");
  client->add_option("--pipeline", a.pipeline, "requests in flight at most")
      ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{65536}));
  client->add_option("--batch", a.batch, "items per batch request; 0: single messages");
  client->add_option("--echo-events", echo_events, "all, or failures only")
      ->check(CLI::IsMember({"all", "failures"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return help_shown{};
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return help_shown{};
  } catch (const CLI::ExtrasError& e) {
    return usage_error{exit_unsupported_option, e.what()};
  } catch (const CLI::ParseError& e) {
    return usage_error{exit_bad_arguments, e.what()};
  }

  a.as = server->parsed() ? role::server : role::client;
  if (auto bad = settle_form(a, p)) return *bad;
  a.sessions = serve_forever ? std::nullopt : std::optional<std::uint64_t>(sessions);
  a.echo_events = echo_events == "all";
  a.deadline = std::chrono::milliseconds(deadline_ms);
  // NP-4: refuse an invalid service before any pipe is created or opened.
  auto name = pipe_name(a.run_dir, a.service);
  if (!name) {
    return usage_error{exit_bad_arguments, "invalid service name '" + a.service +
                                               "': " + std::string(rule_name(name.err().which)) +
                                               ": " + name.err().detail};
  }
  a.pipe_name = name.value();
  return a;
}

}  // namespace netipc::peer
