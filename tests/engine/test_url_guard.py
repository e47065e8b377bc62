"""The outbound address guard: only globally reachable addresses, including what an IPv6 address embeds."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx
import pytest

from engine.url_guard import GuardedTransport, UnsafeUrl, check_url, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # cloud metadata, link-local
        "100.64.0.1",  # carrier-grade NAT (shared address space)
        "100.100.100.200",  # a cloud metadata address inside it
        "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "224.0.0.1",  # multicast
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:127.0.0.1",
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo whose client is 10.0.0.1 (obfuscated)
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::6464:64c8",  # NAT64 of 100.100.100.200
        "ff02::1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:0808:0808::1", "64:ff9b::808:808", "::ffff:8.8.8.8"],
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://[::1]/x",
        "http://100.100.100.200/latest/meta-data",
        "http://[2002:a9fe:a9fe::]/x",
        "http://[::ffff:169.254.169.254]/x",
        "http://localhost/x",
    ],
)
async def test_urls_that_lead_inside_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="private address"):
        await check_url(url, allow_private=False)


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return httpx.Response(204)


def resolving(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """The loop's resolver answers `answers` in turn (the last one from then on); returns the names asked."""
    asked: list[str] = []
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: int, **_: object) -> list[tuple[Any, ...]]:
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


async def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving(monkeypatch, "93.184.216.34")
    inner = Recorder()
    async with httpx.AsyncClient(transport=GuardedTransport(allow_private=False, inner=inner)) as client:
        response = await client.post("https://hooks.example.org:8443/in?x=1", content=b"{}")
    assert response.status_code == 204
    sent = inner.requests[0]
    assert (sent.url.host, sent.url.port, sent.url.path, sent.url.query) == (
        "93.184.216.34",
        8443,
        "/in",
        b"x=1",
    )
    assert sent.headers["host"] == "hooks.example.org:8443"  # the name, not the address
    assert sent.extensions["sni_hostname"] == "hooks.example.org"  # certificates checked against it
    assert sent.content == b"{}"


async def test_a_name_that_turns_inside_after_the_check_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = resolving(monkeypatch, "93.184.216.34", "169.254.169.254")
    inner = Recorder()
    await check_url("http://rebind.example.org/x", allow_private=False)  # public when checked...
    async with httpx.AsyncClient(transport=GuardedTransport(allow_private=False, inner=inner)) as client:
        with pytest.raises(httpx.ConnectError, match="private address"):
            await client.get("http://rebind.example.org/x")  # ...internal when connecting
    assert asked == ["rebind.example.org", "rebind.example.org"]
    assert inner.requests == []


async def test_private_addresses_allowed_pass_through_untouched() -> None:
    inner = Recorder()
    async with httpx.AsyncClient(transport=GuardedTransport(allow_private=True, inner=inner)) as client:
        await client.get("http://127.0.0.1:9/x")
    assert str(inner.requests[0].url) == "http://127.0.0.1:9/x"
