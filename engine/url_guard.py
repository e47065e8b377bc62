"""Outbound requests to URLs a customer gave us (a resume, a webhook endpoint) must not reach the
engine's own network: only http(s), and by default no private, loopback, link-local or reserved
address (checked after DNS resolution, so a public name pointing inside is refused too)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["UnsafeUrl", "check_url", "check_url_shape"]


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
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise UnsafeUrl("points at a private address")
