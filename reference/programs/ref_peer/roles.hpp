// The two roles of the peer. Each returns the exit code; its events are
// already on stdout, except the final exit line, which main prints.
#pragma once

#include "events.hpp"
#include "exit_codes.hpp"
#include "peer_args.hpp"

namespace netipc::peer {

exit_code run_server(const peer_args& args, event_log& log);
exit_code run_client(const peer_args& args, event_log& log);

}  // namespace netipc::peer
