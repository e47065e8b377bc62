"""The join link's page, state and offer endpoint, including hostile offers (over both databases)."""

from __future__ import annotations

import asyncio
import gc
import re
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from fastapi import FastAPI

from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import (
    book,
    error_paths,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients


async def real_offer() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("events")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


def peer_connections() -> int:
    return sum(
        1
        for obj in gc.get_objects()
        if isinstance(obj, RTCPeerConnection) and obj.connectionState != "closed"
    )


async def test_join_page_and_assets_are_served(api: ApiClients) -> None:
    client = await api.client()
    _, token = await booked_session(client)
    raw = api.raw_client()
    page = await raw.get(f"/join/{token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/assets/join/main.js">' in page.text
    assert page.headers["cache-control"] == "no-store"
    # The page is ES modules: every module main.js imports, directly or not, is served as JavaScript.
    sources: dict[str, str] = {}
    pending = ["main.js"]
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        script = await raw.get(f"/assets/join/{name}")
        assert script.status_code == 200, name
        # A module script must come with a JavaScript MIME type, or the browser refuses to run it.
        kind = script.headers["content-type"].split(";")[0]
        assert kind in ("text/javascript", "application/javascript"), name
        sources[name] = script.text
        pending += re.findall(r"from '\./([\w-]+\.js)';$", script.text, re.MULTILINE)
    assert len(sources) > 1
    assert any("RTCPeerConnection" in text for text in sources.values())
    assert any("window.interviewDebug = " in text for text in sources.values())
    await raw.aclose()


async def test_state_of_a_fresh_link(api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    state = expect(await raw.get(f"/join/{token}/state"), 200)
    assert state["session_id"] == session_id
    assert (state["status"], state["joinable"], state["resume"]) == ("scheduled", True, False)
    assert state["interview_title"] == "Senior Backend Engineer"
    assert state["interviewer_name"] == "Senior Engineering Interviewer"
    assert "recorded" in state["recording_notice"]
    assert state["ice_servers"] == []
    assert state["duration_minutes"] == 5  # the template's: the plan fills it
    await raw.aclose()


async def test_state_says_how_long_the_interview_really_is(api: ApiClients) -> None:
    # An hour on one dimension, with no skills or traits to ask about: the plan's questions run out
    # long before the hour does, and the page says the plan's length, as the interviewer will.
    client = await api.client()
    profile = await make_profile(client, rubric=[{"name": "Communication", "weight": 100}])
    template = await make_template(client, skills=[], traits=[], duration_minutes=60)
    stage = await make_stage(client, template["id"], profile["id"])
    session = await book(client, stage_id=stage["id"], participant=inline_participant())
    token = str(session["join_url"]).rsplit("/", 1)[1]
    raw = api.raw_client()
    minutes = expect(await raw.get(f"/join/{token}/state"), 200)["duration_minutes"]
    assert 10 < minutes < 30
    # A stage's own duration is the plan's budget.
    expect(await client.patch(f"/v1/stages/{stage['id']}", json={"duration_minutes": 10}), 200)
    assert expect(await raw.get(f"/join/{token}/state"), 200)["duration_minutes"] == 10
    await raw.aclose()


async def test_unknown_and_cancelled_links(api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    for bad in ("x" * 43, "short", token[:-1] + ("A" if token[-1] != "A" else "B")):
        response = await raw.get(f"/join/{bad}/state")
        assert response.status_code == 404, bad
        assert "not valid" in response.json()["error"]["message"]
    expect(await client.post(f"/v1/sessions/{session_id}/cancel"), 200)
    state = expect(await raw.get(f"/join/{token}/state"), 200)
    assert (state["status"], state["joinable"]) == ("cancelled", False)
    assert "cancelled" in state["message"]
    pc, sdp = await real_offer()
    try:
        refused = await raw.post(f"/join/{token}/offer", json={"sdp": sdp, "type": "offer", "consent": True})
    finally:
        await pc.close()
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["error"]["message"]
    await raw.aclose()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"sdp": "hello", "type": "offer", "consent": True}, 422, "sdp"),
        ({"sdp": "v=0\r\n", "type": "offer", "consent": True}, 422, "sdp"),
        (
            {
                "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
                "type": "offer",
                "consent": True,
            },
            422,
            "sdp",
        ),
        (
            {"sdp": "v=0\r\nm=audio x y z\r\na=rtpmap:zz\r\n" * 50, "type": "offer", "consent": True},
            422,
            "sdp",
        ),
        ({"sdp": "v=0", "type": "answer", "consent": True}, 422, "type"),
        ({"sdp": "v=0", "type": "offer", "consent": False}, 403, "consent"),
        ({"sdp": "v=0", "type": "offer"}, 422, "consent"),
        ({"sdp": "v=0" + "a" * 70_000, "type": "offer", "consent": True}, 422, "sdp"),
        ({"sdp": 5, "type": "offer", "consent": True}, 422, "sdp"),
    ],
)
async def test_bad_offers_get_a_4xx_naming_the_field(
    api: ApiClients, body: dict[str, Any], status: int, field: str
) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    before = peer_connections()
    response = await raw.post(f"/join/{token}/offer", json=body)
    assert response.status_code == status, response.text
    assert field in error_paths(response)
    assert peer_connections() == before
    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "scheduled"
    await raw.aclose()


async def test_offer_without_audio_or_with_a_broken_fingerprint(api: ApiClients) -> None:
    client = await api.client()
    _, token = await booked_session(client)
    raw = api.raw_client()
    pc = RTCPeerConnection()
    pc.createDataChannel("events")
    await pc.setLocalDescription(await pc.createOffer())
    no_audio = pc.localDescription.sdp
    await pc.close()
    response = await raw.post(
        f"/join/{token}/offer", json={"sdp": no_audio, "type": "offer", "consent": True}
    )
    assert response.status_code == 422
    assert "audio" in response.json()["error"]["message"]

    pc, sdp = await real_offer()
    await pc.close()
    broken = "\r\n".join(
        line if not line.startswith("a=fingerprint") else "a=fingerprint:sha-256 zz"
        for line in sdp.split("\r\n")
    )
    before = peer_connections()
    response = await raw.post(f"/join/{token}/offer", json={"sdp": broken, "type": "offer", "consent": True})
    assert response.status_code == 422, response.text
    await asyncio.sleep(0)
    assert peer_connections() == before
    await raw.aclose()


async def test_malformed_json_is_a_400(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    _, token = await booked_session(client)
    raw = api.raw_client()
    response = await raw.post(
        f"/join/{token}/offer", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    await raw.aclose()
