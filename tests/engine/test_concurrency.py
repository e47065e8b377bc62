"""Concurrent writers on one store: every request succeeds, none is lost (both backends)."""

from __future__ import annotations

import asyncio

import httpx

from tests.helpers import participant_body, template_body

WRITERS = 40


async def test_concurrent_creates_and_reads_all_succeed(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/templates", json=template_body())
    assert r.status_code == 201, r.text
    template = r.json()["id"]

    async def create(i: int) -> httpx.Response:
        body = participant_body(email=f"p{i}@example.com", evaluation_template_id=template)
        return await client.post("/v1/participants", json=body)

    async def read() -> httpx.Response:
        return await client.get("/v1/participants", params={"template_id": template})

    responses = await asyncio.gather(*(create(i) for i in range(WRITERS)), *(read() for _ in range(WRITERS)))
    statuses = sorted({r.status_code for r in responses})
    assert statuses == [200, 201], [r.text for r in responses if r.status_code >= 300][:3]

    seen: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"template_id": template, "limit": "15", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/participants", params=params)).json()
        seen |= {p["email"] for p in page["data"]}
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == {f"p{i}@example.com" for i in range(WRITERS)}


async def test_concurrent_duplicate_emails_give_one_201_and_409s(client: httpx.AsyncClient) -> None:
    template = (await client.post("/v1/templates", json=template_body())).json()["id"]
    body = participant_body(evaluation_template_id=template)
    responses = await asyncio.gather(*(client.post("/v1/participants", json=body) for _ in range(10)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 9, [r.text for r in responses]
