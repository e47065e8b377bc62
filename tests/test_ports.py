"""The port reservation the tests' servers start on (tests.ports)."""

from __future__ import annotations

import socket

import pytest

from tests.ports import HOST, reserved_port


def test_a_reserved_port_is_never_handed_to_another_bind_yet_a_server_can_listen_on_it() -> None:
    with reserved_port() as port:
        handed: set[int] = set()
        for _ in range(3000):
            with socket.socket() as other:
                other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                other.bind((HOST, 0))
                handed.add(other.getsockname()[1])
        assert port not in handed
        with socket.socket() as plain, pytest.raises(OSError, match="in use"):
            plain.bind((HOST, port))
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((HOST, port))
            server.listen()
            with socket.create_connection((HOST, port), timeout=5):
                pass
