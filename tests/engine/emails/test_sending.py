"""Emails to participants through a real SMTP server on loopback (aiosmtpd), read as they arrived: the
invitation with the join link when a session is booked (over the API and by the stage pipeline), the
reminder before the scheduled time (the engine's clock moved by the test), the notices when a session
is moved or cancelled, the company's own template, and a participant's name escaped in the HTML part."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.engine.analysis_helpers import STRONG, analysed, complete_with
from tests.engine.emails.helpers import (
    FAST,
    FROM,
    LOGIN,
    arrivals,
    emails_of,
    settled,
    smtp_settings,
    until,
)
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import StepClock
from tests.smtp_receiver import SmtpReceiver

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    # Loopback: the server takes the login over plain SMTP, which aiosmtpd warns about.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

NAME = "Jane <script>alert('x')</script> O'Neil & Co"
ESCAPED = "Jane &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; O&#x27;Neil &amp; Co"


@pytest.fixture
def settings(settings: Settings, smtp: SmtpReceiver) -> Settings:
    return settings.model_copy(update={"smtp": smtp_settings(smtp.port), "email": FAST})


async def _stage(client: httpx.AsyncClient, **template: str) -> dict[str, str]:
    profile = await make_profile(client)
    made = await make_template(client, **template)
    stage = await make_stage(client, made["id"], profile["id"])
    return {"template": made["id"], "stage": stage["id"]}


def _at(clock: StepClock, days: int) -> str:
    start = clock.now().replace(minute=0, second=0, microsecond=0)
    return (start + timedelta(days=days)).isoformat()


async def test_booking_emails_the_invitation_with_the_link_and_the_name_escaped(
    client: httpx.AsyncClient, smtp: SmtpReceiver, clock: StepClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ids = await _stage(client, name="Backend <Engineer>")
    person = inline_participant(name=NAME)
    session = await book(client, stage_id=ids["stage"], participant=person, schedule_time=_at(clock, 3))
    (mail,) = await arrivals(smtp, 1)
    email, reminder = await settled(client, session["id"], 2)
    assert (reminder["kind"], reminder["status"]) == ("reminder", "queued")  # due in two days

    assert mail.mail_from == "interviews@acme.example"
    assert mail.rcpt_tos == [person["email"]]
    assert smtp.logins == [LOGIN]
    assert mail.message["From"] == FROM
    assert mail.message["To"].addresses[0].addr_spec == person["email"]
    assert mail.subject == "Your interview with acme: Backend <Engineer>"
    assert mail.message["Message-ID"] == f"<{email['id']}@acme.example>"
    # The text part carries the values as they are; the HTML part escapes every one.
    assert f"Hello {NAME}," in mail.text
    assert session["join_url"] in mail.text
    assert "Thursday 5 March 2026, 09:00 UTC" in mail.text
    assert f"Hello {ESCAPED}," in mail.html
    assert "<script>" not in mail.html
    assert "Backend &lt;Engineer&gt;" in mail.html
    assert f'href="{session["join_url"]}"' in mail.html

    assert email["kind"] == "invitation"
    assert (email["status"], email["attempts"], email["last_error"]) == ("sent", 1, None)
    assert email["to"] == person["email"]
    assert email["subject"] == mail.subject
    assert email["sent_at"] is not None
    assert LOGIN[1] not in caplog.text  # the SMTP password is never logged


async def test_a_reminder_goes_out_a_day_before_the_scheduled_time(
    app: FastAPI, client: httpx.AsyncClient, smtp: SmtpReceiver, clock: StepClock
) -> None:
    ids = await _stage(client)
    session = await book(
        client, stage_id=ids["stage"], participant=inline_participant(), schedule_time=_at(clock, 3)
    )
    await arrivals(smtp, 1)
    _invitation, reminder = await settled(client, session["id"], 2)
    assert (reminder["kind"], reminder["status"]) == ("reminder", "queued")
    due = datetime.fromisoformat(reminder["next_attempt_at"])
    assert due == datetime.fromisoformat(session["schedule_time"]) - timedelta(days=1)

    worker = app.state.services.emails
    clock.advance(timedelta(days=1))  # still a day before it is due
    worker.wake()
    await settled(client, session["id"], 2)
    assert len(smtp.messages()) == 1
    clock.advance(timedelta(days=1, minutes=1))
    worker.wake()
    _first, second = await arrivals(smtp, 2)
    assert second.subject == "Reminder: your interview with acme opens Thursday 5 March 2026, 09:00 UTC"
    assert session["join_url"] in second.text

    # The message reaches the receiver before the worker records it as sent: wait for the record.
    async def both_sent() -> bool:
        emails = await emails_of(client, session["id"])
        return [(e["kind"], e["status"]) for e in emails] == [("invitation", "sent"), ("reminder", "sent")]

    await until(both_sent, what="the invitation and the reminder recorded as sent")


async def test_moving_and_cancelling_notify_the_participant_and_a_retake_invites_again(
    client: httpx.AsyncClient, smtp: SmtpReceiver, clock: StepClock
) -> None:
    ids = await _stage(client)
    person = await make_participant(client, evaluation_template_id=ids["template"])
    session = await book(
        client, participant_id=person["id"], stage_id=ids["stage"], schedule_time=_at(clock, 3)
    )
    await arrivals(smtp, 1)
    await settled(client, session["id"], 2)  # the invitation went out; its reminder waits

    moved = expect(
        await client.patch(f"/v1/sessions/{session['id']}", json={"schedule_time": _at(clock, 5)}), 200
    )
    notice = (await arrivals(smtp, 2))[1]
    assert notice.subject == "New time for your interview with acme"
    assert "Saturday 7 March 2026, 09:00 UTC" in notice.text
    assert moved["join_url"] in notice.text
    await settled(client, session["id"], 4)

    expect(await client.post(f"/v1/sessions/{session['id']}/cancel"), 200)
    cancelled = (await arrivals(smtp, 3))[2]
    assert cancelled.subject == "Your interview with acme has been cancelled"
    assert cancelled.rcpt_tos == [person["email"]]
    emails = await settled(client, session["id"], 5)
    assert [(e["kind"], e["status"], e["last_error"]) for e in emails] == [
        ("invitation", "sent", None),
        ("reminder", "not_sent", "the session was moved"),
        ("reschedule", "sent", None),
        ("reminder", "not_sent", "the session was cancelled"),
        ("cancellation", "sent", None),
    ]

    retake = expect(await client.post(f"/v1/sessions/{session['id']}/retake"), 201)
    invited = (await arrivals(smtp, 4))[3]
    assert retake["join_url"] in invited.text
    assert session["join_url"] not in invited.text
    assert [e["kind"] for e in await settled(client, retake["id"], 1)] == ["invitation"]
    assert len(smtp.messages()) == 4  # nothing twice


async def test_the_pipeline_invites_to_the_next_stage(
    app: FastAPI, client: httpx.AsyncClient, smtp: SmtpReceiver
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    screen = await make_stage(
        client, template["id"], profile["id"], name="Screen", pass_threshold=60, embedded_scorer_decides=True
    )
    await make_stage(client, template["id"], profile["id"], name="Final")
    person = await make_participant(client, evaluation_template_id=template["id"])
    first = await book(client, participant_id=person["id"], stage_id=screen["id"])
    await arrivals(smtp, 1)
    await complete_with(app, client, first["id"], STRONG)
    await analysed(app, client, first["id"])
    decided = expect(await client.get(f"/v1/sessions/{first['id']}"), 200)["stage_result"]
    assert decided["outcome"] == "advanced"
    nxt = expect(await client.get(f"/v1/sessions/{decided['nextSessionId']}"), 200)
    _, invitation = await arrivals(smtp, 2)
    assert invitation.rcpt_tos == [person["email"]]
    assert nxt["join_url"] in invitation.text
    assert first["join_url"] not in invitation.text
    (email,) = await settled(client, nxt["id"], 1)
    assert (email["kind"], email["status"]) == ("invitation", "sent")


async def test_the_companys_own_template_is_used_with_values_escaped(
    client: httpx.AsyncClient, smtp: SmtpReceiver, clock: StepClock
) -> None:
    template = {
        "subject": "$participant_name, your $interview_title interview (costs $$0)",
        "html": '<p>Dear <b>${participant_name}</b>,</p><p><a href="$join_url">Start</a> at $scheduled_time '
        "for $company_name, stage $stage_name</p>",
        "text": "Dear $participant_name, start at $join_url",
    }
    expect(await client.put("/v1/email-templates/invitation", json=template), 200)
    ids = await _stage(client, name="Data & <AI>")
    session = await book(client, stage_id=ids["stage"], participant=inline_participant(name=NAME))
    (mail,) = await arrivals(smtp, 1)
    assert mail.subject == f"{NAME}, your Data & <AI> interview (costs $0)"
    assert mail.html.strip() == (
        f'<p>Dear <b>{ESCAPED}</b>,</p><p><a href="{session["join_url"]}">Start</a> at '
        "Monday 2 March 2026, 09:00 UTC for acme, stage Technical Screen</p>"
    )
    assert mail.text.strip() == f"Dear {NAME}, start at {session['join_url']}"


async def test_a_test_session_and_a_public_link_candidate_get_no_email(
    client: httpx.AsyncClient, smtp: SmtpReceiver
) -> None:
    ids = await _stage(client)
    test = await book(client, stage_id=ids["stage"], participant=inline_participant(), is_test=True)
    link = expect(
        await client.put(f"/v1/templates/{ids['template']}/public-link", json={"enabled": True}), 200
    )
    token = link["url"].rsplit("/", 1)[1]
    started = await client.post(
        f"/public/{token}/sessions", json={"name": "Walk In", "email": "walk@example.com"}
    )
    assert started.status_code in (200, 201), started.text
    real = await book(client, stage_id=ids["stage"], participant=inline_participant())
    await arrivals(smtp, 1)
    await settled(client, real["id"], 1)
    assert await emails_of(client, test["id"]) == []
    walk_in = expect(await client.get("/v1/sessions", params={"q": "walk@example.com"}), 200)["data"]
    assert len(walk_in) == 1
    assert await emails_of(client, walk_in[0]["id"]) == []
    assert len(smtp.messages()) == 1
