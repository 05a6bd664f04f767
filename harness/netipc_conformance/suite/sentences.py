"""The contract's sentences that several cases quote as their requirement.

Verbatim from ../shared/contract/ (windows-named-pipe.txt, wire-envelope.md,
clauses.md), whitespace aside; harness/tests/test_requirements.py checks each
case's quotes against those files. Sentences a single case quotes stay in
that case's decorator.
"""

from __future__ import annotations

# windows-named-pipe.txt
MESSAGE_MODE = "Win32 Named Pipe in message mode (PIPE_TYPE_MESSAGE / PIPE_READMODE_MESSAGE)."
BOUNDARIES = "Named Pipes in message mode preserve message boundaries."
PIPE_NAME = "\\\\.\\pipe\\netipc-{hash:016llx}-{service}"
HEX = "The hash is formatted as a zero-padded 16-character lowercase hex string"
SAME_FNV = (
    "All implementations must use the same FNV-1a algorithm to derive identical pipe names "
    "from the same inputs."
)
FNV_STEPS = (
    "- Offset basis: 0xcbf29ce484222325 - Prime: 0x00000100000001B3 - For each byte in the "
    "input: hash = (hash ^ byte) * prime"
)
SERVICE_CHARACTERS = (
    "service=service_name, which must contain only alphanumeric characters, dash, "
    "underscore, and dot."
)
SERVICE_REJECTED = (
    "Names containing any other character must be rejected at initialization "
    "(not silently sanitized)."
)
NAMED_PIPE_BIT = "Named Pipe is profile bit 0 (0x01), named NAMED_PIPE."
SERVER_CREATES = "The pipe is created in message mode with overlapped I/O capability."
CLIENT_CONNECTS = "Client: connects to the pipe with CreateFileW."
HANDSHAKE = (
    "Handshake: immediately after connection, the client sends a HELLO control message and "
    "the server responds with HELLO_ACK, as defined in the wire envelope spec."
)
FIXED_FOR_SESSION = (
    "The handshake determines the session profile, directional limits, packet size, and "
    "session_id.The negotiated capacities are fixed for that session."
)
SAME_PIPE = (
    "if the negotiated profile is NAMED_PIPE (bit 0), all subsequent messages travel over "
    "the same pipe."
)
SHM_PREPARED = (
    "successful HELLO_ACK guarantees the SHM resources for that session are already "
    "prepared on the server side."
)
SHM_NO_FALLBACK = (
    "If the client later cannot attach Win SHM locally, it must close that session and "
    "reconnect without SHM. There is no same-session fallback."
)
SHM_PIPE_OPEN = "The Named Pipe connection remains open for the session lifetime."
SHM_MAPPING_NAME = "Local\\netipc-{hash:016llx}-{service}-p{profile}-s{session_id:016llx}-mapping"
PACKET_NEGOTIATED = "The logical packet size is negotiated during handshake as with POSIX UDS."
BUFFER_SIZES = (
    "The pipe's buffer sizes are set at creation time to accommodate the maximum negotiated "
    "message size."
)
CHUNKED = (
    "If a complete message exceeds agreed_packet_size, it is split into chunks. Each chunk "
    "is sent as a separate pipe write. The receiver reads chunks sequentially."
)
SHM_NEW_SESSION = (
    "If a later reconnect learns larger capacities, it establishes a new session with a new "
    "session_id and therefore a different SHM mapping / event name set."
)
CONCURRENT_CLIENTS = (
    "Named Pipe servers support multiple concurrent clients by creating additional pipe instances."
)
GRACEFUL_CLOSE = (
    "The following Win32 errors indicate peer disconnect and must be treated as graceful "
    "connection close (not protocol violations):"
)
INDEPENDENT_SESSIONS = "Each ConnectNamedPipe completion yields an independent session."
NEW_INSTANCE = (
    "The server must create a new pipe instance before or after accepting each client to "
    "remain available for the next connection."
)

# wire-envelope.md
EXACT_LAYOUT = "Every byte layout below is exact."
RECEIVER_VALIDATES = (
    "magic, version == 1, header_len == 32, kind in {1,2,3}; payload_len not above the "
    "negotiated limit for its direction; item_count not above the negotiated batch-item "
    "limit for its direction; for a batch, the item directory fits in the payload and every "
    "item lies inside the packed area. Any failure is a protocol violation and ends the "
    "session."
)
RESPONSE_ID = "| message_id | chosen by the client; a response carries its request's id |"
BATCH_LAYOUT = (
    "`item_count` directory entries of 8 bytes each: `u32 offset` (from the start of the "
    "packed item area, a multiple of 8) and `u32 length`."
)
BATCH_ANSWERS = "Response item i answers request item i."
SPLIT = (
    "A logical message is `32 + payload_len` bytes. If that exceeds `agreed_packet_size`, "
    "it is split; otherwise it travels as one pipe message with no chunk header."
)
FIRST_PACKET = (
    "First packet: the outer header (payload_len = the WHOLE payload length) followed by "
    "the first `min(budget, payload_len)` payload bytes."
)
CHUNK_COUNT = (
    "chunk_count counts the first packet too: `1 + ceil((payload_len - first_bytes) / "
    "budget)`; continuation indices run 1 .. chunk_count-1."
)
MID_CHUNK_FAILURE = (
    "A failure in the middle (a chunk not sent or not received) breaks the session; partial "
    "data is discarded."
)
ONE_WRITE = "Each packet is one pipe write (one message-mode message)."
NO_INTERLEAVE = "Chunks of two logical messages never interleave on one connection."
CONTINUATION_LAYOUT = (
    "| 8 | 8 | message_id | equal to the first packet's message_id | | 16 | 4 | "
    "total_message_len | 32 + payload_len of the whole message | | 20 | 4 | chunk_index | "
    "0-based position; continuations are >= 1 | | 24 | 4 | chunk_count | > 0; chunk_index < "
    "chunk_count |"
)
CONTINUATION_CHECKS = (
    "A receiver checks magic, message_id, chunk_index (the next expected one) and "
    "chunk_count (consistent with the first packet) on every continuation; any mismatch is "
    "a protocol violation."
)
HELLO_LAYOUT = "### 4.1 HELLO (client to server; CONTROL, code 1; payload 44 bytes)"
ACK_LAYOUT = "### 4.2 HELLO_ACK (server to client; CONTROL, code 2; payload 48 bytes)"
ACK_BATCH_EQUAL = "| 28 | 4 | agreed_max_response_batch_items (must equal the request one) |"
REJECT_LAYOUT_VERSION = "layout_version != 1: reject INCOMPATIBLE."
REJECT_RESERVED = "flags != 0 or padding != 0: reject BAD_ENVELOPE."
REJECT_AUTH = "auth_token != the server's token: reject AUTH_FAILED."
PROFILE_RULE = (
    "intersection = client_supported & server_supported; empty: reject UNSUPPORTED. "
    "selected = highest bit of (intersection & client_preferred & server_preferred), or, if "
    "that is empty, highest bit of intersection."
)
REQUEST_LIMIT_RULE = (
    "max_request_payload_bytes above the server's configured maximum: reject "
    "LIMIT_EXCEEDED; otherwise the accepted value is echoed."
)
BATCH_RULE = (
    "max_request_batch_items: echoed. agreed_max_response_batch_items equals "
    "agreed_max_request_batch_items."
)
RESPONSE_HINT = (
    "max_response_payload_bytes is a hint; the server decides the final value from the "
    "hint, its configuration and its resource policy."
)
PACKET_RULE = "agreed_packet_size = min(client, server); if it is <= 32: reject INCOMPATIBLE."
SESSION_COUNTER = (
    "session_id: a per-server counter starting at 1, +1 per accepted session; unique for the "
    "server's lifetime."
)
SHM_BEFORE_ACK = (
    "If the selected profile is a shared-memory one, the server prepares that session's "
    "shared-memory objects BEFORE it sends a successful HELLO_ACK."
)
REJECTION = (
    "A rejection is a HELLO_ACK with a non-OK transport_status, after which the server "
    "closes the connection."
)
NO_PARTIAL_SUCCESS = "There is no partial success."
CLIENT_OBEYS_ACK = (
    "The client runs the session on the values in HELLO_ACK, not on what it proposed."
)
PROFILE_BITS = (
    "0x01 NAMED_PIPE (baseline, bit 0), 0x02 SHM_HYBRID, 0x04 SHM_BUSYWAIT, 0x08 SHM_WAITADDR."
)

# clauses.md (the project's rows and interpretations)
INTEROPERATE = (
    "All implementations (C native, C MSYS, Rust native, Go native) must follow this "
    "contract to interoperate on the same pipe."
)
NP1_ROW = "The pipe is message-type and read in message mode; boundaries are preserved."
NP5_ROW = "NAMED_PIPE is profile bit 0 (0x01), the Windows baseline."
NP7_ROW = (
    "Client: CreateFileW on the pipe name; connected when the server's ConnectNamedPipe completes."
)
NP8_ROW = (
    "Right after connecting, the client sends HELLO; the server answers HELLO_ACK, both "
    "over the pipe."
)
NP9_ROW = (
    "The handshake fixes profile, directional limits, packet size and session_id for the "
    "whole session; a later reconnect gets a new session_id."
)
NP10_ROW = "With NAMED_PIPE selected, every later message travels on the same pipe."
NP14_ROW = (
    "A message larger than agreed_packet_size is chunked; each chunk is its own pipe write; "
    "the receiver reads chunks in order; chunk headers are validated."
)
NP15_ROW = (
    "SHM kernel objects are `Local\\netipc-{h}-{service}-p{profile}-s{session_id:016x}-"
    "{mapping,req_event,resp_event}`"
)
WE9_ROW = "Responses carry the request's message_id; pipelined requests are answered by id."
WE4_ROW = (
    "First chunk carries as many payload bytes as fit. | SHOULD (a receiver may accept a "
    "shorter first chunk; a sender must not emit one)"
)
WE10_ROW = (
    "A client that receives a response for an id it did not send treats it as a protocol violation."
)
NP17_ROW = (
    "ERROR_BROKEN_PIPE, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED mean the peer left: a "
    "graceful close, not a protocol violation."
)
NP18_ROW = (
    "A server serves many clients at once through extra pipe instances; each connection is "
    "an independent session; a new instance exists before or after each accept so the "
    "service stays reachable."
)
HASH_AS_GIVEN = (
    "The hash covers run_dir's bytes exactly as given (UTF-8 for non-ASCII): no case "
    "folding, no slash conversion, no trailing-separator trimming."
)
UTF8_RUN_DIR = (
    "run_dir is hashed as the UTF-8 bytes of the path as given. A program that reads its "
    "arguments in the ANSI code page hashes other bytes for a non-ASCII run_dir and lands "
    "on another name than a UTF-8 peer: NP-2 FAIL."
)
EMPTY_SERVICE = "An empty service_name is rejected (MUST)."
LONG_PIPE_NAME = (
    "A pipe name longer than Windows accepts (256 characters) must be refused at "
    "initialization with a clear error (SHOULD)."
)
REJECTION_READABLE = (
    'A rejection is "a HELLO_ACK with a non-OK transport_status, after which the server '
    'closes": the client must be able to read that ACK.'
)
SHORT_LAST_CHUNK = (
    "A continuation whose chunk_index is chunk_count - 1 but leaves the payload incomplete "
    "is inconsistent with the in-progress receive (WE-3, MUST): the receiver ends the "
    "session then, not after waiting for a packet that the count says will never come."
)
KIND_AFTER_HANDSHAKE = (
    "The text asks a receiver to check kind in {1,2,3}; it does not say which kinds a "
    "server may receive after the handshake. Ending the session on a RESPONSE- or "
    "CONTROL-kind message from a client is SHOULD (robustness); answering it is NON-STRICT, "
    "not FAIL."
)
HELLO_SIZE = (
    "HELLO is 44 bytes and HELLO_ACK 48. A shorter payload is malformed (MUST reject or "
    "close, never OK). Bytes beyond the layout are not forbidden by a sentence of the text: "
    "rejecting them is SHOULD; accepting is NON-STRICT."
)
BAD_SELECTED_PROFILE = (
    "A client offered an ACK whose selected_profile it did not offer, or that is not one "
    "defined profile bit, SHOULD end the session (the server broke WE-7); going on is "
    "NON-STRICT."
)
