// The per-session shared-memory objects of an SHM profile (NP-11, NP-15):
// a named mapping and two named events. The server creates them before its
// successful HELLO_ACK; the client opens them when the ACK arrives. The SHM
// data plane itself is out of the reference's scope: the names and the
// guarantee are what the contract lets a peer observe.
#pragma once

#include <cstdint>

#include "netipc/names.hpp"
#include "netipc/win32/failure.hpp"
#include "netipc/win32/pipe_io.hpp"

namespace netipc::win32 {

struct shm_objects {
  handle mapping;
  handle req_event;
  handle resp_event;
};

// Room for a small control block and one message each way.
std::uint32_t shm_region_size(std::uint32_t request_payload, std::uint32_t response_payload);

// Fails when any name already exists: a session's names are new by
// construction (session_id is unique), so an existing one is someone else's.
outcome<shm_objects> create_shm_objects(const shm_object_names& names, std::uint32_t region_size);

outcome<shm_objects> open_shm_objects(const shm_object_names& names);

}  // namespace netipc::win32
