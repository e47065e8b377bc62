"""Recruiters watching a live interview over /v1/sessions/{id}/live: a real call (a scripted aiortc
candidate) and a real WebSocket client (the `websockets` package) against the engine served by uvicorn
in the test's own event loop. The watcher gets the interviewer's lines and the candidate's words as they
are spoken, and the interviewer's state; another company's recruiter, a cross-site page and one watcher
too many are refused; a session with nothing live gets `not_live`."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.api import live_view
from engine.services.live_view import ViewState
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import ANSWERS, booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients
from tests.speech import synthesize

JSON = dict[str, Any]
PASSWORD = "correct horse battery staple"


class _InLoop(uvicorn.Server):
    """uvicorn in the test's loop (the app's lifespan is the fixture's): no signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on 127.0.0.1 over TCP; yields "host:port"."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None, access_log=False)
    server = _InLoop(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:  # noqa: ASYNC110 (uvicorn has no event for it)
            await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def recruiter_cookie(api: ApiClients, admin: httpx.AsyncClient, email: str) -> str:
    """A recruiter of the admin's company, signed in: the value of their sign-in cookie."""
    body = {"email": email, "name": email.split("@")[0].title(), "password": PASSWORD, "scopes": None}
    expect(await admin.post("/v1/recruiters", json=body), 201)
    response = await api.raw_client().post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    expect(response, 200)
    header = response.headers["set-cookie"]
    name, _, rest = header.partition("=")
    assert name == "ie_session"
    return rest.split(";", 1)[0]


def watch(
    host: str,
    session_id: str,
    *,
    cookie: str | None = None,
    key: str | None = None,
    origin: str | None = None,
) -> Any:
    headers = {"Cookie": f"ie_session={cookie}"} if cookie else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return connect(
        f"ws://{host}/v1/sessions/{session_id}/live",
        additional_headers=headers,
        origin=origin or f"http://{host}",  # type: ignore[arg-type]
        open_timeout=10,
    )


async def refused(socket: ClientConnection) -> tuple[int, str]:
    """The close code and reason of a socket that must be closed before sending anything."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def not_live(host: str, session_id: str, key: str) -> JSON:
    async with watch(host, session_id, key=key) as socket:
        message: JSON = json.loads(await asyncio.wait_for(socket.recv(), 10))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        assert socket.close_code == 1000
    assert message["type"] == "not_live"
    return message


async def collect(socket: ClientConnection, into: list[tuple[float, JSON]]) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(ConnectionClosed):
        async for raw in socket:
            into.append((loop.time(), json.loads(raw)))


async def until(condition: Any, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (a condition on what several tasks append)
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_recruiter_watches_the_interview_as_it_is_spoken(
    app: FastAPI, api: ApiClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_key = await api.key("acme")
    admin = api.raw_client({"Authorization": f"Bearer {admin_key}"})
    session_id, token = await booked_session(admin, skills=["Go"])
    ria = await recruiter_cookie(api, admin, "ria@acme.com")
    stranger = await recruiter_cookie(api, await api.client("globex"), "sam@globex.com")
    async with served(app) as host:
        # Before the call: nothing to watch, said plainly (here with an API key holding read:sessions).
        early = await not_live(host, session_id, admin_key)
        assert (early["status"], early["reason"]) == ("scheduled", "not_started")

        candidate = ScriptedCandidate([synthesize(ANSWERS[0])])
        seen: list[tuple[float, JSON]] = []
        answering: asyncio.Task[object] | None = None
        try:
            await candidate.connect(offer_poster(api.raw_client(), token))
            # The candidate answers the first question once it is asked (several seconds from now).
            answering = asyncio.create_task(candidate.run(limit_s=90))
            await candidate.wait_for_sound(timeout_s=20)
            # Another company's recruiter, and a page of another site riding the cookie, learn nothing.
            # (As GET /v1/sessions/{id} answers: 403 for another company's session, 404 for none.)
            async with watch(host, session_id, cookie=stranger) as socket:
                assert await refused(socket) == (1008, f"session {session_id} belongs to another company")
            missing = "00000000-0000-4000-8000-000000000000"
            async with watch(host, missing, cookie=ria) as socket:
                assert await refused(socket) == (1008, f"session {missing} not found")
            async with watch(host, session_id, cookie=ria, origin="https://evil.example") as socket:
                code, reason = await refused(socket)
                assert code == 1008
                assert "Origin" in reason

            async with watch(host, session_id, cookie=ria) as socket:
                collecting = asyncio.create_task(collect(socket, seen))
                await until(lambda: bool(seen), 10)
                # One watcher too many (the cap lowered to the one watching) is told to come back later.
                monkeypatch.setattr(live_view, "MAX_WATCHERS", 1)
                async with watch(host, session_id, key=admin_key) as crowd:
                    code, _reason = await refused(crowd)
                    assert code == 1013
                monkeypatch.undo()

                # The answer is heard, and the interviewer replies to it.
                await until(lambda: _replied(seen), 60)
                candidate.hang_up()
                await asyncio.wait_for(collecting, 20)
            assert socket.close_code == 1000
        finally:
            if answering is not None:
                answering.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await answering
            await candidate.close()
        await app.state.services.live.wait_closed(session_id)
        # Once over, a late watcher is told so, with the session's status.
        late = await not_live(host, session_id, admin_key)
        assert (late["status"], late["reason"]) == ("completed", "over")

    messages = [m for _, m in seen]
    first = messages[0]
    assert first["type"] == "snapshot"
    assert first["session"]["id"] == session_id
    assert first["session"]["status"] == "in_progress"
    assert first["session"]["transport"] == "webrtc"
    assert messages[-1] == {"type": "ended", "reason": "hangup"}
    lines = [(line["speaker"], line["text"]) for line in first["lines"]] + [
        (m["speaker"], m["text"]) for m in messages if m["type"] == "line" and m["final"]
    ]
    report = candidate.report
    # Every line the candidate heard and said, in the same words, nothing more...
    assert [t for s, t in lines if s == "interviewer"] == report.captions()
    assert [t for s, t in lines if s == "candidate"] == report.finals()
    assert report.finals(), "the answer was not transcribed"
    # ...as they were spoken: each streamed line reached the watcher about when the candidate's page got it.
    page_at = {
        m["text"]: m["received_at"] for m in report.messages if m.get("type") in ("caption", "transcript")
    }
    for at, message in seen:
        if message["type"] == "line" and message["final"]:
            assert abs(at - page_at[message["text"]]) < 0.5, message
    answer_at = next(i for i, m in enumerate(messages) if m["type"] == "line" and m["speaker"] == "candidate")
    states = [m["state"] for m in messages if m["type"] == "state"]
    after_answer = [m["state"] for m in messages[answer_at:] if m["type"] == "state"]
    # The interviewer worked out its reply after the answer, then spoke it.
    assert after_answer[:2] == ["thinking", "speaking"], states
    assert "listening" in states
    # Nothing the watcher gets is of a kind the candidate's page speaks, and the page got none of them.
    assert {m["type"] for m in messages} <= {"snapshot", "line", "state", "ended", "keepalive"}
    assert not {m.get("type") for m in report.messages} & {"snapshot", "line", "not_live", "keepalive"}
    # Watching is a view of the transcript, in the audit trail like any other.
    audit = expect(await admin.get("/v1/audit-events", params={"action": "transcript.viewed"}), 200)
    assert [(e["target_id"], e["detail"]) for e in audit["data"]] == [(session_id, {"live": True})]


def _replied(seen: list[tuple[float, JSON]]) -> bool:
    """The candidate's final words arrived, and the interviewer has said a line after them."""
    messages = [m for _, m in seen]
    finals = [
        i
        for i, m in enumerate(messages)
        if m.get("type") == "line" and m["speaker"] == "candidate" and m["final"]
    ]
    return bool(finals) and any(
        m.get("type") == "line" and m["speaker"] == "interviewer" for m in messages[finals[0] :]
    )


def test_thinking_is_read_from_the_order_of_the_messages() -> None:
    view = ViewState()
    said = [
        view.apply({"type": "state", "state": "speaking"}),
        view.apply({"type": "caption", "speaker": "interviewer", "text": "Tell me more.", "final": True}),
        view.apply({"type": "state", "state": "listening"}),
        view.apply({"type": "transcript", "speaker": "candidate", "text": "I", "final": False}),
        view.apply({"type": "transcript", "speaker": "candidate", "text": "I led it.", "final": True}),
        # More words: the interviewer was waiting for them, not thinking.
        view.apply({"type": "transcript", "speaker": "candidate", "text": "And", "final": False}),
        view.apply({"type": "transcript", "speaker": "candidate", "text": "And shipped.", "final": True}),
        view.apply({"type": "state", "state": "speaking"}),
        view.apply({"type": "debug", "secret": "not for watchers"}),
        view.apply({"type": "ended", "reason": "completed", "message": "Thank you!"}),
    ]
    states = [m["state"] for out in said for m in out if m["type"] == "state"]
    assert states == ["speaking", "listening", "thinking", "listening", "thinking", "speaking"]
    assert said[8] == []
    assert said[9] == [{"type": "ended", "reason": "completed"}]
