"""Outbound requests to URLs a customer gave us (a resume, a webhook endpoint) must not reach the
engine's own network: only http(s), and by default only globally reachable addresses (checked after
DNS resolution, so a public name pointing inside is refused too).

"Globally reachable" is the standard library's `is_global` (the IANA special-purpose registries:
private, loopback, link-local, shared carrier-grade NAT space 100.64.0.0/10 with cloud metadata
addresses such as 100.100.100.200, benchmarking, documentation, reserved, ...), less multicast, and
applied also to the IPv4 address an IPv6 one carries: IPv4-mapped (::ffff:a.b.c.d), 6to4
(2002:AABB:CCDD::), Teredo's client and server, and NAT64 (64:ff9b::/96), each of which would reach
that IPv4 address through a translator."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["UnsafeUrl", "check_url", "check_url_shape", "is_public_address"]


class UnsafeUrl(ValueError):
    """The URL is not http(s), or it leads to a private address."""


def check_url_shape(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("must be an http(s) URL with a host")


async def check_url(url: str, *, allow_private: bool) -> None:
    check_url_shape(url)
    if allow_private:
        return
    parts = urlsplit(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {parts.hostname}: {exc.strerror or exc}") from None
    except (UnicodeError, ValueError) as exc:  # a host name IDNA cannot encode
        raise UnsafeUrl(f"has an invalid host name: {exc}") from None
    for info in infos:
        if not is_public_address(ipaddress.ip_address(info[4][0])):
            raise UnsafeUrl("points at a private address")


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable unicast, and so is every IPv4 address it embeds (see the module docstring)."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(is_public_address(inner) for inner in embedded)
