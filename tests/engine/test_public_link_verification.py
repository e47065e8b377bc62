"""Email verification on a template's public link, on SQLite and PostgreSQL, with a real SMTP server on
loopback: a sign-up books nothing and sends one email; the link in it books exactly once (twice
followed, or twice at once) and lands on the join page; an expired, used or unknown link gets a plain
page; the address's history is never revealed; an address gets at most its hourly share of emails;
an erasure and the retention job remove the pending sign-ups; with verification off nothing changes."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from config.email_settings import EmailSettings
from config.settings import Settings
from engine.api.context import Services
from engine.services import public_link_verification
from engine.services.erasure_files import FileStores
from engine.services.retention import run_pass
from engine.store.tables import PublicLinkSignUpRow
from tests.engine.emails.helpers import arrivals, smtp_settings, until
from tests.engine.session_helpers import JSON, error_paths, expect, listed, make_participant
from tests.engine.test_public_links import BASE_URL, Link, make_link
from tests.helpers import ApiClients, StepClock
from tests.smtp_receiver import Arrived, SmtpReceiver

NAME = "Jane <b>O'Neil</b> & Co"
ESCAPED = "Jane &lt;b&gt;O&#x27;Neil&lt;/b&gt; &amp; Co"
EMAIL = "jane.oneil@example.com"
VERIFY = re.compile(re.escape(BASE_URL) + r"/public/verify/([A-Za-z0-9_-]{43})")
FAST = EmailSettings(poll_s=0.05, retry_schedule_s=[0, 0.3, 0.3], verification_ttl_s=3600)


@pytest.fixture
def per_address() -> str:
    """IE_RATE__PUBLIC_PER_ADDRESS; a test parametrizes it to reach the limit."""
    return "10/minute"


@pytest.fixture
def settings(settings: Settings, smtp: SmtpReceiver, per_address: str) -> Settings:
    rate = settings.rate.model_copy(update={"public_per_address": per_address})
    return settings.model_copy(
        update={"smtp": smtp_settings(smtp.port, login=None), "email": FAST, "rate": rate}
    )


async def verified_link(api: ApiClients, client: httpx.AsyncClient) -> Link:
    link = await make_link(api, client)
    url = f"/v1/templates/{link.template['id']}/public-link"
    body = expect(await client.put(url, json={"enabled": True, "email_verification": True}), 200)
    assert body == {"enabled": True, "url": link.url, "email_verification": True}
    return link


@pytest.fixture
async def link(api: ApiClients, client: httpx.AsyncClient) -> Link:
    return await verified_link(api, client)


def token_in(mail: Arrived) -> str:
    found = VERIFY.search(mail.text)
    assert found is not None, mail.text
    assert found.group(0) in mail.html
    return found.group(1)


def path_of(token: str) -> str:
    return f"/public/verify/{token}"


async def sign_ups(app: FastAPI) -> list[PublicLinkSignUpRow]:
    services: Services = app.state.services
    async with services.database.transaction() as db:
        return list(await db.scalars(select(PublicLinkSignUpRow).order_by(PublicLinkSignUpRow.created_at)))


async def sessions_of(link: Link) -> list[JSON]:
    return await listed(link.owner, "/v1/sessions", template_id=link.template["id"])


async def sent_and_sealed_cleared(app: FastAPI, count: int) -> list[PublicLinkSignUpRow]:
    rows: list[PublicLinkSignUpRow] = []

    async def done() -> bool:
        nonlocal rows
        rows = await sign_ups(app)
        return len(rows) == count and all(r.email_status == "sent" for r in rows)

    await until(done, what=f"{count} verification email(s) recorded as sent")
    return rows


async def test_sign_up_sends_one_email_and_the_link_books_exactly_once(
    link: Link, app: FastAPI, smtp: SmtpReceiver
) -> None:
    r = await link.start(name=NAME, email=" Jane.ONeil@Example.com ")
    assert r.status_code == 202, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["verification_required"] is True
    assert body["email"] == EMAIL
    assert "join_url" not in body
    assert "session_id" not in body

    (mail,) = await arrivals(smtp, 1)
    assert mail.rcpt_tos == [EMAIL]
    assert "Senior Backend Engineer" in mail.subject
    assert ESCAPED in mail.html
    assert NAME not in mail.html
    assert NAME in mail.text
    token = token_in(mail)

    # Nothing is booked before the link is followed; the database holds only the token's SHA-256.
    assert await sessions_of(link) == []
    assert await listed(link.owner, "/v1/participants") == []
    (row,) = await sent_and_sealed_cleared(app, 1)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.sealed_token is None  # the encrypted copy goes once the server took the email
    assert row.used_at is None
    assert row.email == EMAIL

    first = await link.anyone.get(path_of(token), follow_redirects=False)
    assert first.status_code == 303, first.text
    join_url = first.headers["location"]
    assert join_url.startswith(f"{BASE_URL}/join/")
    assert first.headers["referrer-policy"] == "no-referrer"
    (session,) = await sessions_of(link)
    assert session["join_url"] == join_url
    assert session["stage_id"] == link.stage["id"]
    assert session["status"] == "scheduled"
    person = expect(await link.owner.get(f"/v1/participants/{session['participant_id']}"), 200)
    assert (person["name"], person["email"]) == (NAME, EMAIL)

    # Followed again (a mail scanner opened it first, or the candidate clicks twice): the same session.
    again = await link.anyone.get(path_of(token), follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, join_url)
    assert len(await sessions_of(link)) == 1
    (row,) = await sign_ups(app)
    assert (row.name, row.email, row.session_id) == ("", "", session["id"])  # the participant holds them now
    assert len(smtp.messages()) == 1  # no invitation: the candidate is on their way to the join page

    # Once that session is over, the link is spent: a page that says so, not a booking.
    expect(await link.owner.post(f"/v1/sessions/{session['id']}/cancel", json={}), 200)
    spent = await link.anyone.get(path_of(token), follow_redirects=False)
    assert spent.status_code == 410
    assert spent.headers["content-type"].startswith("text/html")
    assert "already been used" in spent.text
    assert len(await sessions_of(link)) == 1


async def test_two_clicks_at_once_book_one_session(link: Link, smtp: SmtpReceiver) -> None:
    expect(await link.start(name="Kim Lee", email="kim@example.com"), 202)
    token = token_in((await arrivals(smtp, 1))[0])
    first, second = await asyncio.gather(
        link.anyone.get(path_of(token), follow_redirects=False),
        link.anyone.get(path_of(token), follow_redirects=False),
    )
    assert (first.status_code, second.status_code) == (303, 303), (first.text, second.text)
    assert first.headers["location"] == second.headers["location"]
    assert len(await sessions_of(link)) == 1
    assert len(await listed(link.owner, "/v1/participants")) == 1


async def test_expired_link_is_refused_and_later_purged(
    link: Link, app: FastAPI, smtp: SmtpReceiver, clock: StepClock
) -> None:
    expect(await link.start(name="Ola Nordmann", email="ola@example.com"), 202)
    token = token_in((await arrivals(smtp, 1))[0])
    await sent_and_sealed_cleared(app, 1)
    clock.advance(timedelta(seconds=FAST.verification_ttl_s + 1))

    r = await link.anyone.get(path_of(token), follow_redirects=False)
    assert r.status_code == 410
    assert r.headers["content-type"].startswith("text/html")
    assert "expired" in r.text
    assert await sessions_of(link) == []
    assert await listed(link.owner, "/v1/participants") == []

    # The retention job deletes it a day after its expiry; the link is then simply unknown.
    services: Services = app.state.services
    clock.advance(public_link_verification.PURGE_GRACE)
    await run_pass(services.database, FileStores.of(services.settings), clock, services.settings.retention)
    assert await sign_ups(app) == []
    gone = await link.anyone.get(path_of(token), follow_redirects=False)
    assert gone.status_code == 404
    assert "not valid" in gone.text


async def test_the_answer_never_depends_on_the_address_and_emails_are_capped(
    link: Link, app: FastAPI, smtp: SmtpReceiver
) -> None:
    def shape(r: httpx.Response) -> tuple[int, frozenset[str]]:
        return r.status_code, frozenset(r.json())

    fresh = shape(await link.start(name="New Person", email="new@example.com"))
    # Sam is a participant of this template already: the answer is the same, and stays so past the cap.
    await make_participant(
        link.owner, name="Sam", email="sam@example.com", evaluation_template_id=link.template["id"]
    )
    capped = FAST.verification_max_per_hour
    answers = {shape(await link.start(name="Sam", email="sam@example.com")) for _ in range(capped + 2)}
    assert answers == {fresh} == {(202, frozenset({"verification_required", "email", "expires_at"}))}
    await arrivals(smtp, 1 + capped)
    await asyncio.sleep(0.3)  # the worker looks every 50 ms: nothing more is coming
    assert len(smtp.messages()) == 1 + capped
    assert (
        sorted(m.rcpt_tos[0] for m in smtp.messages()) == ["new@example.com"] + ["sam@example.com"] * capped
    )
    assert len(await sign_ups(app)) == 1 + capped


async def test_unknown_links_and_a_link_turned_off_get_plain_pages(link: Link, smtp: SmtpReceiver) -> None:
    for token in ("x" * 43, "short", "bad%00token"):
        r = await link.anyone.get(path_of(token), follow_redirects=False)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "<script" not in r.text
    expect(await link.start(name="Kim", email="kim@example.com"), 202)
    token = token_in((await arrivals(smtp, 1))[0])
    # Turning the link off keeps the setting; a pending confirmation books nothing while it is off.
    off = expect(
        await link.owner.put(f"/v1/templates/{link.template['id']}/public-link", json={"enabled": False}), 200
    )
    assert off["email_verification"] is True
    r = await link.anyone.get(path_of(token), follow_redirects=False)
    assert r.status_code == 404
    assert "no longer active" in r.text
    assert await sessions_of(link) == []


async def test_erasing_the_participant_forgets_their_pending_sign_ups(
    link: Link, app: FastAPI, smtp: SmtpReceiver
) -> None:
    expect(await link.start(name="Eve", email="eve@example.com"), 202)
    token = token_in((await arrivals(smtp, 1))[0])
    expect_redirect = await link.anyone.get(path_of(token), follow_redirects=False)
    assert expect_redirect.status_code == 303
    (session,) = await sessions_of(link)
    expect(await link.owner.post(f"/v1/sessions/{session['id']}/cancel", json={}), 200)
    expect(await link.start(name="Eve", email="eve@example.com"), 202)  # a second sign-up, never confirmed
    await sent_and_sealed_cleared(app, 2)
    assert [r.email for r in await sign_ups(app)] == ["", "eve@example.com"]

    r = await link.owner.delete(f"/v1/participants/{session['participant_id']}", params={"erase": "true"})
    assert r.status_code == 204, r.text
    remaining = await sign_ups(app)
    assert [r.email for r in remaining] == [""]  # the used one holds no personal data any more


async def test_verification_off_books_at_once_and_sends_nothing(
    api: ApiClients, client: httpx.AsyncClient, app: FastAPI, smtp: SmtpReceiver
) -> None:
    link = await make_link(api, client)
    assert (
        expect(await client.get(f"/v1/templates/{link.template['id']}/public-link"), 200)[
            "email_verification"
        ]
        is False
    )
    started = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    assert started["join_url"].startswith(f"{BASE_URL}/join/")
    assert len(await sessions_of(link)) == 1
    await asyncio.sleep(0.3)
    assert smtp.messages() == []
    assert await sign_ups(app) == []


async def test_setting_is_validated_kept_and_documented(link: Link, app: FastAPI) -> None:
    url = f"/v1/templates/{link.template['id']}/public-link"
    r = await link.owner.put(url, json={"enabled": True, "email_verification": "yes"})
    assert r.status_code == 422
    assert "email_verification" in error_paths(r)
    # Omitted: the current setting stays.
    assert expect(await link.owner.put(url, json={"enabled": True}), 200)["email_verification"] is True
    assert (
        expect(await link.owner.put(url, json={"enabled": True, "email_verification": False}), 200)[
            "email_verification"
        ]
        is False
    )
    expect(await link.start(name="Jo", email="jo@example.com"), 201)

    schema = app.openapi()
    link_schema = schema["components"]["schemas"]["PublicLink"]
    assert "email_verification" in link_schema["required"]
    assert link_schema["properties"]["email_verification"]["description"]
    responses = schema["paths"]["/public/{token}/sessions"]["post"]["responses"]
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PublicVerificationSent"
    }


@pytest.mark.parametrize("per_address", ["2/minute"])
async def test_opening_confirmation_links_is_rate_limited_per_address(link: Link, smtp: SmtpReceiver) -> None:
    expect(await link.start(name="Kim", email="kim@example.com"), 202)
    token = token_in((await arrivals(smtp, 1))[0])
    guesses = [await link.anyone.get(path_of("g" * 43), follow_redirects=False) for _ in range(2)]
    assert [r.status_code for r in guesses] == [404, 404]
    r = await link.anyone.get(path_of(token), follow_redirects=False)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("text/html")
    assert int(r.headers["retry-after"]) >= 1
    assert "too many confirmation links" in r.text
    assert await sessions_of(link) == []
    # The sign-ups have their own count: a second one from the same address is still taken.
    expect(await link.start(name="Kim", email="kim@example.com"), 202)
