"""The agent reports what Win32 pipes do, verbatim (under Wine)."""

from __future__ import annotations

import pytest

from netipc_conformance.runtime.agent import Agent, AgentError

pytestmark = pytest.mark.wine


def pipe(wine, label: str) -> str:
    return "\\\\.\\pipe\\netipc-test-" + wine.unique_run_dir(label).rsplit("\\", 1)[-1]


def connected_pair(agent, name: str) -> tuple[int, int]:
    server = agent.listen(name)
    client = agent.connect(name, deadline_ms=2000)
    assert client.ok, client.describe()
    assert agent.accept(server, deadline_ms=2000).ok
    return server, client["handle"]


def test_ping_names_the_agent_process(agent):
    assert agent.ping()["pid"] > 0


def test_messages_keep_their_boundaries_both_ways(agent, wine):
    server, client = connected_pair(agent, pipe(wine, "boundaries"))
    # One agent writes then reads, so a message must fit the 64 KiB pipe buffer.
    for data in (b"\x00\x01", b"", b"x" * 60000):
        assert agent.write(client, data).ok
    assert [agent.read(server).data for _ in range(3)] == [b"\x00\x01", b"", b"x" * 60000]
    assert agent.write(server, b"back").ok
    assert agent.read(client).data == b"back"


def test_two_agents_talk_over_one_pipe(agent, wine):
    name = pipe(wine, "two")
    server = agent.listen(name)
    with Agent(wine, name="other") as other:
        client = other.connect(name, deadline_ms=2000)
        assert agent.accept(server).ok
        assert other.write(client["handle"], b"hello").ok
        assert agent.read(server).data == b"hello"


def test_read_deadline_fires_as_a_timeout(agent, wine):
    server, _client = connected_pair(agent, pipe(wine, "deadline"))
    reply = agent.read(server, deadline_ms=150)
    assert reply.timeout and not reply.ok


def test_read_after_the_other_side_closes_is_a_disconnect(agent, wine):
    server, client = connected_pair(agent, pipe(wine, "close"))
    assert agent.close_handle(client).ok
    reply = agent.read(server)
    assert (reply.win32_name, reply.disconnect) == ("ERROR_BROKEN_PIPE", True)


def test_missing_name_is_reported_not_found(agent, wine):
    name = pipe(wine, "missing")
    assert agent.exists(name) is False
    reply = agent.connect(name, deadline_ms=100)
    assert reply.win32_name == "ERROR_FILE_NOT_FOUND"
    agent.listen(name)
    assert agent.exists(name) is True


def test_pipe_info_says_message_type(agent, wine):
    _server, client = connected_pair(agent, pipe(wine, "info"))
    info = agent.pipe_info(client)
    assert info["message_type"] and info["read_mode_message"] and not info["server_end"]


def test_missing_kernel_objects_are_reported(agent):
    assert agent.open_mapping("Local\\netipc-no-such-mapping")["exists"] is False
    assert agent.open_event("Local\\netipc-no-such-event")["exists"] is False


def test_bad_request_is_an_error_naming_it(agent):
    with pytest.raises(AgentError, match="unknown handle 999"):
        agent.read(999)


def test_observers_see_every_message(agent, wine):
    seen = []
    agent.observers.append(lambda direction, handle, data, reply: seen.append((direction, data)))
    server, client = connected_pair(agent, pipe(wine, "observe"))
    agent.write(client, b"abc")
    agent.read(server)
    assert seen == [("sent", b"abc"), ("received", b"abc")]
