"""The reference peer under Wine, driven byte by byte and peer to peer."""

from __future__ import annotations

import pytest

from netipc_conformance.runtime import programs
from netipc_conformance.runtime.peer_process import PeerProcess

core = pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")
pytestmark = pytest.mark.wine

MIB = 1 << 20


def start_peer(wine, *args: str) -> PeerProcess:
    return PeerProcess(wine.launch(programs.program("ref-peer"), list(args)), "ref-peer")


def config_flags(cfg) -> list[str]:
    return [
        f"--auth-token={cfg.auth_token}",
        f"--supported-profiles={cfg.supported_profiles}",
        f"--preferred-profiles={cfg.preferred_profiles}",
        f"--max-request-payload={cfg.max_request_payload_bytes}",
        f"--max-request-batch={cfg.max_request_batch_items}",
        f"--max-response-payload={cfg.max_response_payload_bytes}",
        f"--max-response-batch={cfg.max_response_batch_items}",
        f"--packet-size={cfg.packet_size}",
    ]


def test_handshake_byte_by_byte_with_the_reference_server(wine, agent):
    run_dir, service = wine.unique_run_dir("hs"), "hs-bytes"
    server_cfg = core.ServerConfig(
        auth_token=0xDEADBEEFCAFEBABE,
        packet_size=4096,
        max_request_payload_bytes=2048,
        max_response_payload_bytes=512,
    )
    peer = start_peer(
        wine,
        "server",
        f"--run-dir={run_dir}",
        f"--service={service}",
        "--sessions=1",
        *config_flags(server_cfg),
    )
    try:
        ready = peer.wait_event("ready", 30)
        assert ready is not None, peer.finish(5).describe()
        name = core.pipe_name(run_dir, service)
        assert ready["pipe_name"] == name
        client = agent.connect(name, deadline_ms=5000)
        assert client.ok, client.describe()
        hello = core.Hello(
            auth_token=0xDEADBEEFCAFEBABE,
            packet_size=65536,
            max_request_payload_bytes=2048,
            max_response_payload_bytes=1024,
            max_request_batch_items=3,
            max_response_batch_items=9,
        )
        assert agent.write(client["handle"], core.hello_message(hello, message_id=7)).ok
        reply = agent.read(client["handle"], deadline_ms=5000)
        assert reply.ok, reply.describe()
        status, ack = core.parse_hello_ack_message(reply.data)
        expected = core.decide_handshake(server_cfg, hello, core.SessionCounter(1))
        assert status == "OK"
        for field in core.HelloAck.FIELDS:
            assert getattr(ack, field) == getattr(expected.ack, field), field
        # Within the agreed response limit (min(512, 1024)), so it can be echoed.
        payload = bytes(i % 251 for i in range(ack.agreed_max_response_payload_bytes))
        request = core.OuterHeader(
            kind=core.KIND_REQUEST, code=3, payload_len=len(payload), message_id=11
        )
        message = core.encode_outer_header(request) + payload
        for packet in core.plan_chunks(message, ack.agreed_packet_size):
            assert agent.write(client["handle"], packet).ok
        echo = agent.read(client["handle"], deadline_ms=5000)
        response = core.decode_outer_header(echo.data)
        assert (response.kind, response.transport_status, response.message_id) == (
            core.KIND_RESPONSE,
            0,
            11,
        )
        assert echo.data[32:] == payload
        agent.close_handle(client["handle"])
        ending = peer.finish(30)
        assert not ending.crashed, ending.describe()
        close = next(e for e in ending.events if e.get("event") == "close")
        assert close["reason"] == "disconnected"
    finally:
        peer.kill()


def test_one_mib_echo_between_reference_peers_at_packet_size_64(wine):
    run_dir, service = wine.unique_run_dir("mib"), "mib-echo"
    limits = ["--packet-size=64", f"--max-request-payload={MIB}", f"--max-response-payload={MIB}"]
    server = start_peer(
        wine, "server", f"--run-dir={run_dir}", f"--service={service}", "--sessions=1", *limits
    )
    client = None
    try:
        assert server.wait_event("ready", 30) is not None, server.finish(5).describe()
        client = start_peer(
            wine,
            "client",
            f"--run-dir={run_dir}",
            f"--service={service}",
            f"--payload-size={MIB}",
            "--messages=1",
            "--deadline-ms=60000",
            *limits,
        )
        ending = client.finish(120)
        assert (ending.crashed, ending.code) == (False, 0), ending.describe() + ending.stderr
        echoes = [e for e in ending.events if e.get("event") == "echo"]
        assert [(e["payload_len"], e["ok"]) for e in echoes] == [(MIB, True)]
        handshake = next(e for e in ending.events if e.get("event") == "handshake")
        assert handshake["ack"]["agreed_packet_size"] == 64
        assert server.finish(30).code == 0
    finally:
        server.kill()
        if client:
            client.kill()


def test_minimal_form_prints_ready_and_pass(wine):
    run_dir, service = wine.unique_run_dir("minimal"), "minimal"
    server = start_peer(wine, "server", run_dir, service)
    client = None
    try:
        assert server.wait_line("READY", 30) is not None, server.finish(5).describe()
        client = start_peer(wine, "client", run_dir, service)
        assert client.wait_line("PASS", 30) is not None, client.finish(5).describe()
        assert client.finish(30).status == 0
        assert server.finish(30).status == 0
    finally:
        server.kill()
        if client:
            client.kill()


@pytest.mark.parametrize("role", ["server", "client"])
def test_invalid_service_name_exits_2_before_any_pipe(wine, agent, role):
    run_dir = wine.unique_run_dir("bad-name")
    peer = start_peer(wine, role, f"--run-dir={run_dir}", "--service=bad name")
    ending = peer.finish(30)
    assert (ending.crashed, ending.code) == (False, 2), ending.describe()
    assert "' '" in ending.stderr or "space" in ending.stderr, ending.stderr
    assert not agent.exists(core.pipe_name(run_dir, "bad_name"))
