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

import httpx

__all__ = ["GuardedTransport", "UnsafeUrl", "check_url", "check_url_shape", "is_public_address"]


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
    assert parts.hostname is not None
    await _public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


async def _public_address(host: str, port: int) -> str:
    """The first address `host` resolves to, when every one of them is public; UnsafeUrl otherwise."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {host}: {exc.strerror or exc}") from None
    except (UnicodeError, ValueError) as exc:  # a host name IDNA cannot encode
        raise UnsafeUrl(f"has an invalid host name: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise UnsafeUrl("points at a private address")
    return str(addresses[0])


class GuardedTransport(httpx.AsyncBaseTransport):
    """Connects to the very address it checked: each request's host is resolved once, every address
    checked (`is_public_address`), and the connection made to the first one by IP, with the original
    Host header and TLS server name (so certificates are still verified against the name). A name that
    resolved to a public address for `check_url` and to an internal one a moment later (DNS rebinding)
    cannot slip in between the check and the connection. Refusals are `httpx.ConnectError`s."""

    def __init__(self, *, allow_private: bool, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._allow_private = allow_private
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._allow_private:
            return await self._inner.handle_async_request(request)
        url = request.url
        try:
            address = await _public_address(url.host, url.port or (443 if url.scheme == "https" else 80))
        except UnsafeUrl as exc:
            raise httpx.ConnectError(f"{url.host} {exc}", request=request) from None
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions=extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()


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
