"""Loopback ports for the servers tests start.

`free_port()` finds a port and lets it go: between that and a server binding it, any other process on
the machine (another xdist worker's server, say) may be handed the same port by the kernel, and a
health check then reaches the wrong server. `reserved_port()` closes that gap: it keeps the port bound
(with SO_REUSEADDR, not listening) while the block runs. The kernel never hands a bound port to anyone
else's bind to port 0, and a server that sets SO_REUSEADDR itself (uvicorn through asyncio, werkzeug,
aiosmtpd and PostgreSQL all do) can still bind and listen on it, since nothing listens there yet."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HOST", "free_port", "reserved_port"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on at this moment: for addresses that must refuse connections, or servers
    that retry on another port themselves. For a server to start there, use `reserved_port()`."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def reserved_port() -> Iterator[int]:
    """A port no other bind to port 0 can be given until the block ends, for a server started in it."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        yield port
