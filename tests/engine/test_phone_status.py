"""The telephony provider's call status callbacks (engine/api/phone_status.py): calls that never reached
their stream are logged as call attempts (busy, no answer, failed), once; Twilio's signature is checked
when an auth token is set; bad callbacks get a 4xx naming the field and log nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from config.settings import Settings
from engine.api.phone_status import twilio_signature
from engine.app import create_app
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AUTH_TOKEN = "twilio-auth-token-for-tests-0123456789"
CALL = "CA" + "0" * 31 + "1"


async def stream_for(client: httpx.AsyncClient) -> tuple[str, str]:
    """A booked session and the status callback path of a new stream URL for it."""
    session_id, _ = await booked_session(client)
    stream = expect(await client.get(f"/v1/sessions/{session_id}/phone-stream"), 200)
    callback = urlsplit(stream["status_callback_url"])
    assert (callback.scheme, callback.netloc) == ("https", "interviews.example.test"), stream
    assert callback.path == urlsplit(stream["url"]).path + "/status"
    return session_id, callback.path


def accepted(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b""


async def attempts(client: httpx.AsyncClient, session_id: str) -> list[dict[str, object]]:
    body = expect(await client.get(f"/v1/sessions/{session_id}/call-attempts"), 200)
    return list(body["call_attempts"])


async def test_calls_that_never_reached_the_interview_are_logged_once(api: ApiClients) -> None:
    client = await api.client()
    session_id, path = await stream_for(client)
    async with api.raw_client() as provider:
        # Still ringing: nothing to log yet.
        for status in ("queued", "initiated", "ringing"):
            response = await provider.post(
                path, content=urlencode({"CallSid": CALL, "CallStatus": status}), headers=FORM
            )
            assert response.status_code == 204, response.text
        assert await attempts(client, session_id) == []
        # Busy, reported twice (a provider retries): one attempt.
        for _ in range(2):
            busy = await provider.post(
                path, content=urlencode({"CallSid": CALL, "CallStatus": "busy"}), headers=FORM
            )
            assert busy.status_code == 204, busy.text
        # A second call nobody answered, with the fields Twilio adds (ignored).
        other = "CA" + "f" * 32
        body = {"CallSid": other, "CallStatus": "no-answer", "AccountSid": "AC1", "Direction": "outbound-api"}
        accepted(await provider.post(path, content=urlencode(body), headers=FORM))
        # A call answered whose stream never came (its TwiML was wrong): failed, with its length.
        third = "CA" + "e" * 32
        body = {"CallSid": third, "CallStatus": "completed", "CallDuration": "7"}
        accepted(await provider.post(path, content=urlencode(body), headers=FORM))

    logged = await attempts(client, session_id)
    assert sorted((a["call_sid"], a["outcome"]) for a in logged) == sorted(
        [(CALL, "busy"), (other, "no_answer"), (third, "failed")]
    )
    by_sid = {a["call_sid"]: a for a in logged}
    assert by_sid[CALL]["duration_seconds"] == 0
    assert by_sid[CALL]["ended_at"] is not None
    assert by_sid[third]["duration_seconds"] == 7
    # The session itself is untouched: still waiting for its candidate.
    assert expect(await client.get(f"/v1/sessions/{session_id}"), 200)["status"] == "scheduled"
    # Another company sees none of it.
    other_company = await api.client("globex")
    assert (await other_company.get(f"/v1/sessions/{session_id}/call-attempts")).status_code in (403, 404)


async def test_bad_callbacks_are_refused_with_the_field_named_and_log_nothing(api: ApiClients) -> None:
    client = await api.client()
    session_id, path = await stream_for(client)
    cases = [
        ({"CallStatus": "busy"}, 400, "CallSid"),
        ({"CallSid": CALL}, 400, "CallStatus"),
        ({"CallSid": CALL, "CallStatus": "exploded"}, 400, "CallStatus"),
        ({"CallSid": "CA<script>", "CallStatus": "busy"}, 400, "CallSid"),
        ({"CallSid": CALL, "CallStatus": "completed", "CallDuration": "-3"}, 400, "CallDuration"),
    ]
    async with api.raw_client() as provider:
        for body, status, field in cases:
            response = await provider.post(path, content=urlencode(body), headers=FORM)
            assert response.status_code == status, (body, response.text)
            assert field in response.text, (body, response.text)
        # JSON is not what providers send.
        response = await provider.post(path, json={"CallSid": CALL, "CallStatus": "busy"})
        assert response.status_code == 400
        assert "content-type" in response.text
        # Not UTF-8, and too large.
        response = await provider.post(path, content=b"CallSid=\xff\xfe", headers=FORM)
        assert response.status_code == 400, response.text
        response = await provider.post(path, content=b"CallSid=" + b"A" * 20_000, headers=FORM)
        assert response.status_code == 413, response.text
        # A token nobody issued.
        forged = path.rsplit("/", 2)[0] + "/" + "x" * 43 + "/status"
        response = await provider.post(
            forged, content=urlencode({"CallSid": CALL, "CallStatus": "busy"}), headers=FORM
        )
        assert response.status_code == 404, response.text
    assert await attempts(client, session_id) == []


@pytest.fixture
async def signed_app(settings: Settings, clock: StepClock) -> AsyncIterator[FastAPI]:
    application = create_app(
        settings.model_copy(
            update={"phone": settings.phone.model_copy(update={"twilio_auth_token": SecretStr(AUTH_TOKEN)})}
        ),
        clock=clock,
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_with_an_auth_token_only_twilios_signature_is_accepted(
    signed_app: FastAPI, clock: StepClock
) -> None:
    api = ApiClients(signed_app, clock)
    try:
        client = await api.client()
        session_id, path = await stream_for(client)
        fields = {"CallSid": CALL, "CallStatus": "no-answer", "AccountSid": "AC0123", "To": "+15550100"}
        body = urlencode(fields)
        # Twilio signs the URL it was given: the engine's public address.
        url = "https://interviews.example.test" + path
        good = twilio_signature(AUTH_TOKEN, url, list(fields.items()))
        async with api.raw_client() as provider:
            for signature in (
                None,
                "",
                good[:-4] + "AAA=",
                twilio_signature("another-token", url, list(fields.items())),
            ):
                headers = dict(FORM) if signature is None else {**FORM, "X-Twilio-Signature": signature}
                response = await provider.post(path, content=body, headers=headers)
                assert response.status_code == 403, (signature, response.text)
            assert await attempts(client, session_id) == []
            # The same fields, signed for a different field value, do not pass either.
            tampered = urlencode({**fields, "CallStatus": "busy"})
            response = await provider.post(
                path, content=tampered, headers={**FORM, "X-Twilio-Signature": good}
            )
            assert response.status_code == 403
            accepted(await provider.post(path, content=body, headers={**FORM, "X-Twilio-Signature": good}))
        assert [(a["call_sid"], a["outcome"]) for a in await attempts(client, session_id)] == [
            (CALL, "no_answer")
        ]
    finally:
        await api.aclose()


def test_the_signature_is_twilios_documented_scheme() -> None:
    # Twilio's documentation example (auth token 12345, its URL and parameters, and the signature it
    # gives for them): the scheme, not this module's own output, is what is checked.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675310"),
        ("Digits", "1234"),
        ("From", "+14158675310"),
        ("To", "+18005551212"),
    ]
    assert twilio_signature("12345", url, fields) == "GvWf1cFY/Q7PnoempGyD5oXAezc="
