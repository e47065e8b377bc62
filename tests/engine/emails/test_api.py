"""The email API without an SMTP server: the company's email templates (defaults, save, reset, unknown
placeholders refused naming the field, scopes) and the email lists, each company seeing only its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from engine.auth import ALL_SCOPES
from tests.engine.emails.helpers import settled
from tests.engine.session_helpers import (
    book,
    error_paths,
    expect,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

KINDS = ["invitation", "reminder", "cancellation", "reschedule"]
GOOD = {"subject": "Hi $participant_name", "html": "<p>${join_url}</p>", "text": "Go to $join_url"}


async def booked(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"])
    person = await make_participant(client, evaluation_template_id=template["id"])
    return await book(client, participant_id=person["id"], stage_id=stage["id"]), person


async def test_templates_default_save_and_reset(client: httpx.AsyncClient) -> None:
    listed = expect(await client.get("/v1/email-templates"), 200)["data"]
    assert [t["kind"] for t in listed] == KINDS
    assert all(t["is_default"] and t["updated_at"] is None for t in listed)
    assert set(listed[0]["placeholders"]) == {
        "participant_name",
        "interview_title",
        "stage_name",
        "company_name",
        "join_url",
        "scheduled_time",
    }
    assert "$join_url" in listed[0]["html"]
    assert "$join_url" in listed[0]["text"]

    saved = expect(await client.put("/v1/email-templates/reminder", json=GOOD), 200)
    assert (saved["subject"], saved["is_default"]) == (GOOD["subject"], False)
    assert saved["updated_at"] is not None
    again = expect(await client.put("/v1/email-templates/reminder", json={**GOOD, "text": "Later"}), 200)
    assert again["text"] == "Later"
    shown = expect(await client.get("/v1/email-templates/reminder"), 200)
    assert shown == again
    assert expect(await client.get("/v1/email-templates/invitation"), 200)["is_default"]

    assert (await client.delete("/v1/email-templates/reminder")).status_code == 204
    assert expect(await client.get("/v1/email-templates/reminder"), 200)["is_default"]
    assert (await client.delete("/v1/email-templates/reminder")).status_code == 204  # already default


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("subject", "Hello $candidate", "unknown placeholder $candidate"),
        ("html", "<p>${participant_name.__class__}</p>", "a '$' that starts no placeholder"),
        (
            "html",
            "<p>{participant_name}</p><p>$Participant_Name</p>",
            "unknown placeholder $Participant_Name",
        ),
        ("text", "Costs $5", "line 1: a '$' that starts no placeholder"),
        ("text", "ok\nthen ${nope}", "unknown placeholder $nope"),
        ("subject", "two\nlines", "one line"),
        ("subject", "", "at least 1 character"),
    ],
)
async def test_a_bad_template_is_a_422_naming_the_field(
    client: httpx.AsyncClient, field: str, value: str, words: str
) -> None:
    r = await client.put("/v1/email-templates/invitation", json={**GOOD, field: value})
    assert r.status_code == 422, r.text
    assert error_paths(r) == {field}
    assert words in r.text
    assert expect(await client.get("/v1/email-templates/invitation"), 200)["is_default"]


async def test_unknown_kinds_and_missing_scopes(api: ApiClients, client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/email-templates/welcome")).status_code == 422
    assert (await client.put("/v1/email-templates/welcome", json=GOOD)).status_code == 422
    reader = await api.client("acme", scopes=["read:templates"])
    expect(await reader.get("/v1/email-templates/invitation"), 200)
    r = await reader.put("/v1/email-templates/invitation", json=GOOD)
    assert r.status_code == 403
    assert r.json()["error"]["details"]["missing_scopes"] == ["write:templates"]
    assert (await reader.delete("/v1/email-templates/invitation")).status_code == 403
    no_templates = await api.client("acme", scopes=[s for s in ALL_SCOPES if not s.endswith(":templates")])
    assert (await no_templates.get("/v1/email-templates")).status_code == 403
    session, _ = await booked(client)
    no_sessions = await api.client("acme", scopes=["read:participants"])
    assert (await no_sessions.get(f"/v1/sessions/{session['id']}/emails")).status_code == 403


async def test_each_company_sees_its_own_emails_and_templates(api: ApiClients) -> None:
    acme, globex = await api.client("acme"), await api.client("globex")
    expect(await acme.put("/v1/email-templates/invitation", json=GOOD), 200)
    a_session, a_person = await booked(acme)
    b_session, b_person = await booked(globex)
    (a_email,) = await settled(acme, a_session["id"], 1)
    (b_email,) = await settled(globex, b_session["id"], 1)
    assert a_email["subject"] == f"Hi {a_person['name']}"  # acme's own template
    assert b_email["subject"].startswith("Your interview with globex")  # globex keeps the default
    assert expect(await globex.get("/v1/email-templates/invitation"), 200)["is_default"]

    for path in (f"/v1/sessions/{a_session['id']}/emails", f"/v1/participants/{a_person['id']}/emails"):
        r = await globex.get(path)
        assert r.status_code == 403, path
        assert "another company" in r.json()["error"]["message"]
        assert a_person["email"] not in r.text
    mine = expect(await globex.get(f"/v1/participants/{b_person['id']}/emails"), 200)["data"]
    assert [e["id"] for e in mine] == [b_email["id"]]
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await globex.get(f"/v1/sessions/{missing}/emails")).status_code == 404
