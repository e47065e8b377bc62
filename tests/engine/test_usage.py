"""Interview minutes per month (GET /v1/usage) and the company's monthly limit (PATCH /v1/company), on
SQLite and PostgreSQL with the tests' clock (2026-03-02 09:00 UTC at the start).

Sessions are booked through the API; that an interview was held (its start and end) is written to the
rows directly, as the live engine would, since the API cannot set past start times."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
from fastapi import FastAPI

from engine.api.context import Services
from engine.store.tables import SessionRow
from tests.engine.session_helpers import (
    JSON,
    book,
    error_paths,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock

LIMIT = "monthly_interview_minutes_limit"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Company:
    """One company's profile and 30-minute template, and a way to book real or test sessions."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.profile: JSON = {}
        self.template: JSON = {}

    async def build(self) -> Company:
        self.profile = await make_profile(self.client)
        self.template = await make_template(self.client, duration_minutes=30)
        return self

    def body(self, **extra: Any) -> JSON:
        return {
            "participant": inline_participant(),
            "template_id": self.template["id"],
            "agent_profile_id": self.profile["id"],
            **extra,
        }

    async def book(self, **extra: Any) -> JSON:
        return await book(self.client, **self.body(**extra))

    async def try_book(self, **extra: Any) -> httpx.Response:
        return await self.client.post("/v1/sessions", json=self.body(**extra))

    async def usage(self, **params: str) -> JSON:
        return expect(await self.client.get("/v1/usage", params=params), 200)


async def hold(
    app: FastAPI, session_id: str, started: datetime, seconds: int | None, status: str = "completed"
) -> None:
    """What the live engine records: the interview started at `started` and lasted `seconds` (None: still
    in progress)."""
    services: Services = app.state.services
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        row.status = status
        row.started_at = started
        if seconds is not None:
            row.completed_at = started + timedelta(seconds=seconds)
            row.duration_seconds = seconds


async def set_limit(client: httpx.AsyncClient, minutes: int | None) -> JSON:
    return expect(await client.patch("/v1/company", json={LIMIT: minutes}), 200)


async def test_minutes_per_month_across_a_boundary_without_tests_or_other_companies(
    app: FastAPI, api: ApiClients, client: httpx.AsyncClient, clock: StepClock
) -> None:
    acme = await Company(client).build()
    other = await Company(await api.client("globex")).build()

    short = await acme.book()  # 10 minutes on March 2
    late = await acme.book()  # 25 minutes from 23:50 on March 31: all of it counts in March
    april = await acme.book()  # 90 seconds on April 1: rounded up to 2 minutes
    await hold(app, short["id"], at("2026-03-02T10:00:00"), 600)
    await hold(app, late["id"], at("2026-03-31T23:50:00"), 25 * 60)
    await hold(app, april["id"], at("2026-04-01T00:10:00"), 90)
    test = await acme.book(is_test=True)  # completed at once, five minutes long: never counts
    assert test["status"] == "completed"
    assert test["duration_seconds"] == 300
    elsewhere = await other.book()
    await hold(app, elsewhere["id"], at("2026-03-03T09:00:00"), 45 * 60)
    pending = await acme.book()  # booked, not held: reserves its planned 30 minutes in March

    march = await acme.usage(month="2026-03")
    assert march == {
        "month": "2026-03",
        "period_start": "2026-03-01T00:00:00Z",
        "period_end": "2026-04-01T00:00:00Z",
        "minutes_used": 35,
        "sessions_counted": 2,
        "minutes_reserved": 30,
        "sessions_reserved": 1,
        "limit": None,
        "remaining": None,
        "days": [
            {"date": "2026-03-02", "minutes": 10, "sessions": 1},
            {"date": "2026-03-31", "minutes": 25, "sessions": 1},
        ],
    }
    assert await acme.usage() == march  # the current month by default
    got = await acme.usage(month="2026-04")
    assert (got["minutes_used"], got["sessions_counted"], got["minutes_reserved"]) == (2, 1, 0)
    assert got["days"] == [{"date": "2026-04-01", "minutes": 2, "sessions": 1}]
    assert (await other.usage(month="2026-03"))["minutes_used"] == 45
    assert (await acme.usage(month="2026-02"))["minutes_used"] == 0

    # In progress for 7 minutes: those count now, the rest of its 30 stays reserved.
    await hold(app, pending["id"], clock.now() - timedelta(minutes=7), None, status="in_progress")
    got = await acme.usage()
    assert (got["minutes_used"], got["sessions_counted"], got["minutes_reserved"]) == (42, 3, 23)
    # Deleting a held session does not give its minutes back.
    expect(await client.patch(f"/v1/sessions/{pending['id']}", json={"status": "completed"}), 200)
    assert (await client.delete(f"/v1/sessions/{short['id']}")).status_code == 204
    got = await acme.usage()
    assert (got["minutes_used"], got["minutes_reserved"]) == (42, 0)


async def test_limit_refuses_new_sessions_before_it_is_passed_until_the_month_rolls_over(
    app: FastAPI, api: ApiClients, client: httpx.AsyncClient, clock: StepClock
) -> None:
    acme = await Company(client).build()
    assert expect(await client.get("/v1/company"), 200)[LIMIT] is None
    # Reviewers cannot change what the company may spend.
    reviewer = await api.client("acme", scopes=["read:sessions", "write:sessions"])
    refused = await reviewer.patch("/v1/company", json={LIMIT: 1000})
    assert refused.status_code == 403, refused.text
    assert (await set_limit(client, 70))[LIMIT] == 70

    first = await acme.book()
    await hold(app, first["id"], at("2026-03-02T09:30:00"), 10 * 60 + 1)  # 11 minutes
    second = await acme.book()  # 11 used + 30 planned = 41
    r = await acme.try_book()  # 11 + 30 reserved + 30 planned = 71 > 70
    assert r.status_code == 402, r.text
    error = r.json()["error"]
    assert error["code"] == "usage_limit_reached"
    assert "70 minutes" in error["message"]
    assert "2026-04-01T00:00:00Z" in error["message"]
    assert error["details"] == {
        "limit": 70,
        "month": "2026-03",
        "minutes_used": 11,
        "minutes_reserved": 30,
        "minutes_requested": 30,
        "remaining": 29,
        "resets_at": "2026-04-01T00:00:00Z",
    }
    usage = await acme.usage()
    assert (usage["limit"], usage["remaining"]) == (70, 29)
    # Nothing of the refused booking was kept, not even its inline participant.
    assert len(expect(await client.get("/v1/sessions"), 200)["data"]) == 2
    assert len(expect(await client.get("/v1/participants"), 200)["data"]) == 2

    # Test sessions never count, so they are never refused; a retake is a new session and is.
    expect(await client.post("/v1/sessions", json=acme.body(is_test=True)), 201)
    retake = await client.post(f"/v1/sessions/{first['id']}/retake", json={})
    assert retake.status_code == 402, retake.text
    # A session scheduled in April counts against April, which is empty.
    april = await acme.book(schedule_time="2026-04-01T08:00:00Z")
    assert (await acme.usage(month="2026-04"))["minutes_reserved"] == 30
    # Cancelling a session not yet held frees its reservation.
    expect(await client.post(f"/v1/sessions/{second['id']}/cancel"), 200)
    third = await acme.book()  # 11 + 30 = 41
    await hold(app, third["id"], at("2026-03-20T09:00:00"), 40 * 60)  # 51 used
    assert (await acme.try_book()).status_code == 402  # 51 + 30 > 70

    # April: March's minutes no longer count; April's booking reserves 30 of its 70.
    clock.advance(at("2026-04-01T01:00:00") - clock.now())
    fourth = await acme.book()
    assert fourth["status"] == "scheduled"
    assert (await acme.try_book()).status_code == 402  # 30 (april) + 30 (fourth) + 30 > 70
    await hold(app, april["id"], at("2026-04-01T00:05:00"), 60)

    # No limit: nothing is refused.
    assert (await set_limit(client, None))[LIMIT] is None
    for _ in range(3):
        await acme.book()
    usage = await acme.usage()
    assert (usage["limit"], usage["remaining"], usage["minutes_used"]) == (None, None, 1)


async def test_public_link_sign_up_is_refused_plainly_when_the_limit_is_reached(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    profile = await make_profile(client)
    template = await make_template(client, duration_minutes=30)
    await make_stage(client, template["id"], profile["id"])
    link = expect(
        await client.put(f"/v1/templates/{template['id']}/public-link", json={"enabled": True}), 200
    )
    path = "/public/" + link["url"].rsplit("/", 1)[1] + "/sessions"
    anyone = api.raw_client()
    await set_limit(client, 40)
    first = await anyone.post(path, json={"name": "Ana Silva", "email": "ana@example.com"})
    assert first.status_code == 201, first.text
    r = await anyone.post(path, json={"name": "Ben Okafor", "email": "ben@example.com"})
    assert r.status_code == 402, r.text
    error = r.json()["error"]
    assert error["code"] == "usage_limit_reached"
    assert "not available right now" in error["message"]
    assert "40" not in error["message"]
    assert error["details"] == {}
    # Ana's unfinished session is hers to resume: no new session, so no limit in the way.
    again = await anyone.post(path, json={"name": "Ana Silva", "email": "ana@example.com"})
    assert again.status_code == 201
    assert again.json()["resumed"] is True
    # Ben was not kept as a participant.
    people = expect(await client.get("/v1/participants"), 200)["data"]
    assert [p["email"] for p in people] == ["ana@example.com"]


def workbook(people: list[tuple[str, str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "email"])
    for person in people:
        sheet.append(list(person))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_import_that_would_pass_the_limit_imports_nobody(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client)
    template = await make_template(client, duration_minutes=30)
    await make_stage(client, template["id"], profile["id"])
    await set_limit(client, 70)
    people = [("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com"), ("Cy Dunn", "cy@example.com")]

    async def upload(rows: list[tuple[str, str]]) -> httpx.Response:
        files = {"file": ("people.xlsx", workbook(rows), "application/octet-stream")}
        data = {"template_id": template["id"], "invite": "true"}
        return await client.post("/v1/participants/import", files=files, data=data)

    r = await upload(people)  # 30 + 30 fit in 70; the third row's 30 would not
    assert r.status_code == 402, r.text
    error = r.json()["error"]
    assert error["code"] == "usage_limit_reached"
    assert error["message"].startswith("row 4: ")  # the sheet's row, under the header
    assert error["details"]["row"] == 4
    assert error["details"]["minutes_reserved"] == 60
    assert expect(await client.get("/v1/participants"), 200)["data"] == []  # all or nothing
    body = expect(await upload(people[:2]), 200)
    assert [row["status"] for row in body["results"]] == ["created", "created"]
    assert (await client.get("/v1/usage")).json()["minutes_reserved"] == 60


async def test_bad_month_and_bad_limit_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    for month in ("2026-13", "2026-00", "March", "2026-3", "202603", "1999-12", ""):
        r = await client.get("/v1/usage", params={"month": month})
        assert r.status_code == 422, (month, r.text)
        assert error_paths(r) == {"month"}, month
        assert "YYYY-MM" in r.json()["error"]["message"]
    for bad in (0, -5, "lots", 10_000_001, 1.5):
        r = await client.patch("/v1/company", json={LIMIT: bad})
        assert r.status_code == 422, (bad, r.text)
        assert error_paths(r) == {LIMIT}, bad
    r = await client.patch("/v1/company", json={"name": "Renamed"})
    assert r.status_code == 422
    assert error_paths(r) == {"name"}
    # An empty PATCH changes nothing.
    assert expect(await client.patch("/v1/company", json={}), 200)[LIMIT] is None


async def test_concurrent_bookings_of_one_company_all_succeed_and_respect_the_limit(
    client: httpx.AsyncClient,
) -> None:
    # Each booking inserts its inline participant (on PostgreSQL a key-share lock on the company row)
    # before it locks the company for the limit check; a lock that conflicts with key-share deadlocked
    # two such bookings (CI). With room for 5 of 8 thirty-minute sessions: exactly 5 are booked.
    acme = await Company(client).build()
    await set_limit(client, 150)
    replies = await asyncio.gather(*(acme.try_book() for _ in range(8)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201] * 5 + [402] * 3, [r.text for r in replies if r.status_code not in (201, 402)]
    assert (await acme.usage())["minutes_reserved"] == 150
