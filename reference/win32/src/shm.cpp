#include "netipc/win32/shm.hpp"

#include <algorithm>
#include <string>

namespace netipc::win32 {

namespace {

constexpr std::uint32_t kControlBlock = 4096;
constexpr std::uint64_t kMaxRegion = 0x7FFFF000;

failure named_failure(std::string_view call, const std::string& name, DWORD code) {
  return io_failure({code, false}, std::string(call) + "(" + name + ")");
}

// Creates one named object; an existing one is a failure (see the header).
template <class Create>
outcome<handle> create_new(std::string_view call, const std::string& name, Create create) {
  handle made(create(widen(name).c_str()));
  DWORD code = ::GetLastError();
  if (!made.valid()) return named_failure(call, name, code);
  if (code == ERROR_ALREADY_EXISTS) return named_failure(call, name, code);
  return made;
}

template <class Open>
outcome<handle> open_existing(std::string_view call, const std::string& name, Open open) {
  handle opened(open(widen(name).c_str()));
  if (!opened.valid()) return named_failure(call, name, ::GetLastError());
  return opened;
}

}  // namespace

std::uint32_t shm_region_size(std::uint32_t request_payload, std::uint32_t response_payload) {
  std::uint64_t size = std::uint64_t{kControlBlock} + request_payload + response_payload;
  return static_cast<std::uint32_t>(std::min(size, kMaxRegion));
}

outcome<shm_objects> create_shm_objects(const shm_object_names& names, std::uint32_t region_size) {
  shm_objects made;
  auto mapping = create_new("CreateFileMappingW", names.mapping, [&](const wchar_t* name) {
    return ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, region_size,
                                name);
  });
  if (!mapping) return mapping.fail();
  made.mapping = std::move(mapping).value();
  auto event = [](const wchar_t* name) { return ::CreateEventW(nullptr, FALSE, FALSE, name); };
  auto req = create_new("CreateEventW", names.req_event, event);
  if (!req) return req.fail();
  made.req_event = std::move(req).value();
  auto resp = create_new("CreateEventW", names.resp_event, event);
  if (!resp) return resp.fail();
  made.resp_event = std::move(resp).value();
  return made;
}

outcome<shm_objects> open_shm_objects(const shm_object_names& names) {
  shm_objects opened;
  auto mapping = open_existing("OpenFileMappingW", names.mapping, [](const wchar_t* name) {
    return ::OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, name);
  });
  if (!mapping) return mapping.fail();
  opened.mapping = std::move(mapping).value();
  auto event = [](const wchar_t* name) {
    return ::OpenEventW(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, name);
  };
  auto req = open_existing("OpenEventW", names.req_event, event);
  if (!req) return req.fail();
  opened.req_event = std::move(req).value();
  auto resp = open_existing("OpenEventW", names.resp_event, event);
  if (!resp) return resp.fail();
  opened.resp_event = std::move(resp).value();
  return opened;
}

}  // namespace netipc::win32
