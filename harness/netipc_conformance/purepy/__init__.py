"""An independent pure-Python model of the contract's rules.

Written from wire-envelope.md and docs/core-interface.md, not from the C++
reference, and exposing the same interface, so the golden vectors are
checked by two implementations and a bug cannot hide by sitting in one.
"""

from .batch import build_batch, extract_batch
from .chunking import Message, Reassembler, check_response_id, chunk_count, plan_chunks
from .errors import RULE_CLAUSES, ContractError
from .handshake import Decision, ServerConfig, SessionCounter, check_hello_ack, decide_handshake
from .names import ShmNames, fnv1a64, pipe_name, shm_hash_input, shm_names, validate_service_name
from .wire import (
    CHUNK_MAGIC,
    CODE_HELLO,
    CODE_HELLO_ACK,
    FLAG_BATCH,
    HEADER_LEN,
    HELLO_ACK_PAYLOAD_LEN,
    HELLO_PAYLOAD_LEN,
    KIND_CONTROL,
    KIND_REQUEST,
    KIND_RESPONSE,
    MAGIC,
    PROFILE_NAMED_PIPE,
    PROFILE_SHM_BUSYWAIT,
    PROFILE_SHM_HYBRID,
    PROFILE_SHM_WAITADDR,
    STATUS_NAMES,
    VERSION,
    ContinuationHeader,
    Hello,
    HelloAck,
    Limits,
    OuterHeader,
    check_continuation_header,
    check_outer_header,
    decode_continuation_header,
    decode_hello,
    decode_hello_ack,
    decode_outer_header,
    encode_continuation_header,
    encode_hello,
    encode_hello_ack,
    encode_outer_header,
    hello_ack_message,
    hello_message,
    parse_hello_ack_message,
    parse_hello_message,
)

__all__ = [name for name in dir() if not name.startswith("_")]
