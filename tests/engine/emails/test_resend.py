"""POST /v1/sessions/{id}/invitation: the invitation emailed again through the outbox, read as it arrives
on a real SMTP server on loopback; a repeat within seconds gives the same email back; the reminder is
planned once; final, running and test sessions refuse with 409."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from config.settings import Settings
from tests.engine.emails.helpers import FAST, arrivals, settled, smtp_settings
from tests.engine.session_helpers import (
    book,
    expect,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock
from tests.smtp_receiver import SmtpReceiver

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


@pytest.fixture
def settings(settings: Settings, smtp: SmtpReceiver) -> Settings:
    return settings.model_copy(update={"smtp": smtp_settings(smtp.port), "email": FAST})


async def test_the_invitation_is_sent_again_once_with_one_reminder(
    api: ApiClients, client: httpx.AsyncClient, smtp: SmtpReceiver, clock: StepClock
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"])
    person = await make_participant(client, evaluation_template_id=template["id"])
    start = (clock.now() + timedelta(days=3)).replace(microsecond=0).isoformat()
    session = await book(client, participant_id=person["id"], stage_id=stage["id"], schedule_time=start)
    url = f"/v1/sessions/{session['id']}/invitation"
    await arrivals(smtp, 1)
    first, _reminder = await settled(client, session["id"], 2)

    # Seconds after the first: that one comes back, nothing new is queued.
    assert expect(await client.post(url), 202)["id"] == first["id"]
    clock.advance(timedelta(minutes=5))
    again = expect(await client.post(url), 202)
    assert again["id"] != first["id"]
    assert (again["kind"], again["to"], again["session_id"]) == ("invitation", person["email"], session["id"])
    assert again["status"] == "queued"
    assert expect(await client.post(url), 202)["id"] == again["id"]  # a double click

    mails = await arrivals(smtp, 2)
    assert mails[1].rcpt_tos == [person["email"]]
    assert session["join_url"] in mails[1].text
    assert mails[1].subject == mails[0].subject
    emails = await settled(client, session["id"], 4)
    assert [(e["kind"], e["status"]) for e in emails] == [
        ("invitation", "sent"),
        ("reminder", "not_sent"),  # withdrawn: the invitation sent again planned its own
        ("invitation", "sent"),
        ("reminder", "queued"),
    ]
    assert emails[1]["last_error"] == "the invitation was sent again"
    assert len(smtp.messages()) == 2

    reader = await api.client("acme", scopes=["read:sessions"])
    assert (await reader.post(url)).status_code == 403
    other = await api.client("globex")
    assert (await other.post(url)).status_code == 403
    assert (
        await client.post("/v1/sessions/00000000-0000-4000-8000-000000000000/invitation")
    ).status_code == 404

    expect(await client.post(f"/v1/sessions/{session['id']}/cancel"), 200)
    refused = expect(await client.post(url), 409)
    assert refused["error"]["message"].startswith("session is cancelled")
    test_run = await book(client, participant_id=person["id"], stage_id=stage["id"], is_test=True)
    assert (await client.post(f"/v1/sessions/{test_run['id']}/invitation")).status_code == 409
    live = await book(client, participant_id=person["id"], stage_id=stage["id"])
    expect(await client.patch(f"/v1/sessions/{live['id']}", json={"status": "in_progress"}), 200)
    assert (
        "joined already"
        in expect(await client.post(f"/v1/sessions/{live['id']}/invitation"), 409)["error"]["message"]
    )
