"""POST /v1/email-templates/{kind}/preview: a template rendered by the sender's own renderer with sample
values (markup in a value escaped in the HTML part, one line in the subject, as it is when sent), checked
as a save is (a 422 naming the field), saving nothing; without a body, the template in use."""

from __future__ import annotations

import httpx
import pytest

from config.emails import PLACEHOLDERS
from tests.engine.session_helpers import error_paths, expect
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HOSTILE_COMPANY = 'Acme <img src=x onerror="alert(1)"> & Co\nBcc: x@evil.example'
TEMPLATE = {
    "subject": "Hi ${participant_name} from $company_name",
    "html": '<p>$participant_name, $company_name</p><a href="$join_url">Join</a> $$5 <b>$stage_name</b>',
    "text": "$company_name\n$scheduled_time\n$interview_title",
}
PATH = "/v1/email-templates/invitation/preview"


async def test_a_preview_renders_like_the_sender_and_escapes_values(api: ApiClients) -> None:
    client = await api.client(HOSTILE_COMPANY)
    shown = expect(await client.post(PATH, json=TEMPLATE), 200)

    values = shown["values"]
    assert list(values) == list(PLACEHOLDERS)
    assert values["participant_name"] == "Alex Example"
    assert values["company_name"] == HOSTILE_COMPANY  # the company's own name
    assert values["join_url"] == "https://interviews.example.test/join/sample-link"
    assert values["scheduled_time"] == "Tuesday 3 March 2026, 09:00 UTC"  # the clock's next day, 09:00

    # The HTML part: the template's own markup kept, the value's escaped; `$$` is a dollar sign.
    assert shown["html"] == (
        "<p>Alex Example, Acme &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co\nBcc: x@evil.example</p>"
        '<a href="https://interviews.example.test/join/sample-link">Join</a> $5 <b>First interview</b>'
    )
    assert "<img" not in shown["html"]
    # The subject: one line, no header can be smuggled in; the text part takes the value as it is.
    assert (
        shown["subject"]
        == 'Hi Alex Example from Acme <img src=x onerror="alert(1)"> & Co Bcc: x@evil.example'
    )
    assert "\n" not in shown["subject"]
    assert shown["text"] == f"{HOSTILE_COMPANY}\nTuesday 3 March 2026, 09:00 UTC\nCustomer support interview"

    # Nothing was saved.
    assert expect(await client.get("/v1/email-templates/invitation"), 200)["is_default"]


async def test_without_a_body_the_template_in_use_is_previewed(client: httpx.AsyncClient) -> None:
    built_in = expect(await client.post("/v1/email-templates/reminder/preview"), 200)
    assert built_in["subject"] == "Reminder: your interview with acme opens Tuesday 3 March 2026, 09:00 UTC"
    assert "Hello Alex Example," in built_in["html"]
    assert "$" not in built_in["html"] + built_in["text"]

    own = {"subject": "Soon: $interview_title", "html": "<p>$participant_name</p>", "text": "$join_url"}
    expect(await client.put("/v1/email-templates/reminder", json=own), 200)
    mine = expect(await client.post("/v1/email-templates/reminder/preview"), 200)
    assert (mine["subject"], mine["html"], mine["text"]) == (
        "Soon: Customer support interview",
        "<p>Alex Example</p>",
        "https://interviews.example.test/join/sample-link",
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("subject", "Hello $candidate", "unknown placeholder $candidate"),
        ("html", "<p>${participant_name.__class__}</p>", "a '$' that starts no placeholder"),
        ("text", "Costs $5", "line 1: a '$' that starts no placeholder"),
        ("subject", "two\nlines", "one line"),
        ("html", "", "at least 1 character"),
    ],
)
async def test_a_bad_template_is_a_422_naming_the_field(
    client: httpx.AsyncClient, field: str, value: str, words: str
) -> None:
    r = await client.post(PATH, json={**TEMPLATE, field: value})
    assert r.status_code == 422, r.text
    assert error_paths(r) == {field}
    assert words in r.text


async def test_reading_templates_is_enough_and_needed(api: ApiClients) -> None:
    reader = await api.client("acme", scopes=["read:templates"])
    expect(await reader.post(PATH, json=TEMPLATE), 200)
    other = await api.client("acme", scopes=["read:sessions"])
    r = await other.post(PATH, json=TEMPLATE)
    assert r.status_code == 403
    assert r.json()["error"]["details"]["missing_scopes"] == ["read:templates"]
    assert (await reader.post("/v1/email-templates/welcome/preview", json=TEMPLATE)).status_code == 422
