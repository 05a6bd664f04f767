/* netipc_kit.h: the peer CLI of docs/peer-cli.md (both tiers), written once, over an adapter to
 * your netipc library. C11, Win32 and the C library only. README.md beside this file documents
 * every call; docs/peer-kits.md says what belongs in your library and what in the kit.
 *
 * The kit only drives and reports. Pipe names, the handshake, chunking, batch layout and every
 * validation come from the library behind the adapter, never from the kit: the conformance suite
 * must judge your library, not this file. */
#ifndef NETIPC_KIT_H
#define NETIPC_KIT_H

#include <stddef.h>
#include <stdint.h>
#ifndef NK_PORTABLE_ONLY
/* Condition variables and InitOnce: Windows Vista or later. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#include <windows.h>
#else
/* NK_PORTABLE_ONLY: the kit's portable half (arguments, events) alone, with no Win32, for the
 * kit's native unit test. Never define it in a peer. */
typedef void* HANDLE;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A wait with no deadline (accept under --serve-forever). */
#define NK_INFINITE 0xffffffffu

/* The eight config flags of docs/peer-cli.md: a server decides handshakes with them, a client
 * proposes exactly them in its HELLO. */
typedef struct {
  uint64_t auth_token;
  uint32_t supported_profiles;
  uint32_t preferred_profiles;
  uint32_t max_request_payload_bytes;
  uint32_t max_request_batch_items;
  uint32_t max_response_payload_bytes;
  uint32_t max_response_batch_items;
  uint32_t packet_size;
  /* Server, --shm-prepare (default 1): 0 asks for a deliberately broken server that selects an
   * SHM profile without creating the session's objects (a client's NP-11 test). A library
   * without SHM ignores it. */
  int shm_prepare;
} nk_config;

/* Why a call failed: the `reason` of the close event (and, for NK_BAD_ARGUMENT, exit 2). */
enum nk_reason {
  NK_OK = 0,
  NK_CLOSED,       /* this side ended on purpose (accept: the kit's stop event was signalled) */
  NK_DISCONNECTED, /* the other side left: ERROR_BROKEN_PIPE, ERROR_NO_DATA, ... (NP-17) */
  NK_PROTOCOL,     /* the other side broke a rule: set `rule` */
  NK_REJECTED,     /* the handshake ended with a non-OK transport_status: set `rule` */
  NK_TIMEOUT,      /* a wait reached its deadline */
  NK_WIN32_ERROR,  /* anything else: set `win32_code` */
  NK_BAD_ARGUMENT  /* listen/connect only: an invalid service name (NP-4) or pipe name (NP-2) */
};

typedef struct {
  int reason;          /* enum nk_reason */
  const char* rule;    /* a name of reference/include/netipc/rules.hpp (static string), or NULL */
  int has_win32;       /* win32_code is meaningful */
  uint32_t win32_code; /* the Win32 error behind the failure */
  int mid_message;     /* the failure came between two chunks of one message */
  char detail[256];    /* one sentence for humans */
} nk_error;

/* Every HELLO_ACK field, named as in wire-envelope.md. */
typedef struct {
  uint16_t layout_version, flags;
  uint32_t server_supported_profiles, intersection_profiles, selected_profile;
  uint32_t agreed_max_request_payload_bytes, agreed_max_request_batch_items;
  uint32_t agreed_max_response_payload_bytes, agreed_max_response_batch_items;
  uint32_t agreed_packet_size, padding;
  uint64_t session_id;
} nk_ack;

/* Every HELLO field, named as in wire-envelope.md: a client's new proposal when it reconnects. */
typedef struct {
  uint16_t layout_version, flags;
  uint32_t supported_profiles, preferred_profiles;
  uint32_t max_request_payload_bytes, max_request_batch_items;
  uint32_t max_response_payload_bytes, max_response_batch_items;
  uint32_t padding;
  uint64_t auth_token;
  uint32_t packet_size;
} nk_hello;

/* Room for an NP-15 object name (UTF-8): the prefix, hash, profile and session id around a
 * service whose pipe name fits NP-2. */
#define NK_SHM_NAME_MAX 512

/* A session's SHM objects (NP-15), when the HELLO_ACK selected an SHM profile. */
typedef struct {
  char mapping[NK_SHM_NAME_MAX], req_event[NK_SHM_NAME_MAX], resp_event[NK_SHM_NAME_MAX];
  int prepared;     /* server: the objects existed when the HELLO_ACK was sent */
  int attached;     /* client: it attached to them */
  char detail[256]; /* client: why it did not attach ("" when it did) */
} nk_shm;

/* What a handshake showed; the kit prints it as the `handshake` event (and the client's `shm` and
 * `reconnecting`). Filled also when the handshake refused (then the call returns 0 and the
 * nk_error says why). */
typedef struct {
  int answered;        /* 1 once there is a handshake to show: the server read a HELLO (and
                          decided it), the client received a HELLO_ACK */
  uint16_t status;     /* its transport_status */
  int accepted;        /* client: the ACK was OK and passed the library's checks */
  nk_ack ack;          /* every field of that HELLO_ACK */
  const char* rule;    /* why it refused, when it did */
  int hello_malformed; /* server: the first message was no well-formed HELLO */
  int has_shm;         /* the ACK selected an SHM profile: `shm` names its objects */
  nk_shm shm;
  int has_reconnect;  /* client: the library closed this attempt to connect again (NP-11) */
  nk_hello reconnect; /* the HELLO it proposes next (no SHM bits) */
} nk_handshake;

enum { NK_KIND_REQUEST = 1, NK_KIND_RESPONSE = 2, NK_KIND_CONTROL = 3 };
enum { NK_FLAG_BATCH = 1 };
enum { NK_STATUS_OK = 0, NK_STATUS_LIMIT_EXCEEDED = 5 };

/* One logical message: the header fields an application sets, and the whole payload. */
typedef struct {
  uint16_t kind, code, flags, transport_status;
  uint32_t item_count, payload_len;
  uint64_t message_id;
  const uint8_t* payload; /* receive: owned by the adapter, valid until the next receive */
} nk_message;

/* One item of a batch request. */
typedef struct {
  const uint8_t* data;
  uint32_t len;
} nk_item;

/* What you implement. Calls return 1 on success, 0 on failure with `err` filled. `void*` handles
 * are yours. send and receive on one session run on two threads at once (the client pipelines). */
typedef struct {
  const char* program; /* for messages on stderr, e.g. "my-peer" */

  /* Server. listen: check the service (NP-4) and derive the pipe name (NP-2), create the first
   * instance, write the name (UTF-8) to pipe_name. accept: wait for a client (until the deadline,
   * or until `stop` is signalled: then fail with NK_CLOSED); make sure an instance for the next
   * client exists before it returns (NP-18). server_handshake runs on the session's own thread:
   * read the HELLO, decide (wire-envelope.md 4.3), answer, fill `report` (with an SHM profile
   * selected: has_shm, the NP-15 names and whether the objects were prepared, which
   * cfg->shm_prepare == 0 asks you not to do). */
  int (*listen)(const nk_config* cfg, const char* run_dir, const char* service, void** listener,
                char* pipe_name, size_t pipe_name_len, nk_error* err);
  int (*accept)(void* listener, uint32_t deadline_ms, HANDLE stop, void** session, nk_error* err);
  void (*close_listener)(void* listener);
  int (*server_handshake)(void* session, uint32_t deadline_ms, nk_handshake* report, nk_error* err);

  /* Client: check the service and derive the name, open the pipe (retrying while busy or absent,
   * until the deadline), send the HELLO, read and check the HELLO_ACK, fill `report`. An SHM
   * profile selected: has_shm and whether you attached; one you cannot attach: has_reconnect and
   * the next HELLO, nk_next_attempt(report), then close and reconnect without SHM bits (NP-11). */
  int (*connect)(const nk_config* cfg, const char* run_dir, const char* service,
                 uint32_t deadline_ms, void** session, nk_handshake* report, nk_error* err);

  /* Both: one whole message each way. The library chunks, reassembles and validates. */
  int (*send)(void* session, const nk_message* m, uint32_t deadline_ms, nk_error* err);
  int (*receive)(void* session, uint32_t deadline_ms, nk_message* m, nk_error* err);
  /* Optional (may be NULL): called from another thread after a failure; make a pending send or
   * receive on this session return soon. Without it the kit waits for that call's deadline. */
  void (*interrupt)(void* session);
  void (*close)(void* session);

  /* Optional (NULL when the library has no batch API: then --batch exits 127 and the manifest
   * must not declare `batches`). Writes the batch payload of `count` items to `out`; called first
   * with out == NULL to learn the length. */
  int (*batch_encode)(const nk_item* items, uint32_t count, uint8_t* out, size_t* len,
                      nk_error* err);
} nk_adapter;

/* Runs the peer: parses the command line (GetCommandLineW), runs the role, prints the events and
 * returns the exit status. Call it from main: `int main(void) { return nk_main(&my_adapter); }`. */
int nk_main(const nk_adapter* adapter);

/* Client, for a library that reconnects (NP-11: the ACK selected an SHM profile it could not
 * attach): call it from `connect` with the report of the attempt it abandons (has_shm, and
 * has_reconnect with the next HELLO). The kit prints that attempt's `handshake`, `shm` and
 * `reconnecting` events, and clears the report for the next attempt. */
void nk_next_attempt(nk_handshake* report);

/* Prints the `exit` event and returns `code`: for a main that fails before nk_main. */
int nk_exit(int code);

/* Helpers for adapters: fill `err` and return 0, so a call can `return nk_fail(...)`. */
int nk_fail(nk_error* err, int reason, const char* fmt, ...);
int nk_fail_rule(nk_error* err, int reason, const char* rule, const char* fmt, ...);
int nk_fail_win32(nk_error* err, int reason, uint32_t win32_code, const char* fmt, ...);

#ifdef __cplusplus
}
#endif

#endif
