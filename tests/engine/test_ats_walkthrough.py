"""docs/api.md's ATS walkthrough, run as an integrator would: subscribe, book with the ATS's own id and an
Idempotency-Key (a retry books nothing twice), find the candidate by that id, receive the signed results
carrying it, rerun the analysis, export, and erase. Against a real receiver on loopback."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from config.settings import Settings
from tests.engine.session_helpers import expect, inline_participant, make_profile, make_stage, make_template
from tests.engine.webhooks.test_delivery import engine, until
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ATS_ID = "ats-88231"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _bodies(receiver: WebhookReceiver, secret: str) -> list[dict[str, Any]]:
    hook = Webhook(secret)
    # Every delivery must verify before it is trusted (the walkthrough's step 1).
    return [hook.verify(r.body, r.headers) for r in list(receiver.received)]


def _of_type(bodies: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [b for b in bodies if b["type"] == kind]


async def test_the_ats_walkthrough_runs_as_documented(settings: Settings, receiver: WebhookReceiver) -> None:
    async with engine(settings) as (_, client):
        # 1. Subscribe.
        kinds = ["session.completed", "analysis.completed", "participant.erased"]
        response = await client.post(
            "/v1/webhook-endpoints",
            json={"url": receiver.url, "event_types": kinds},
            headers={"Idempotency-Key": "ats-setup-1"},
        )
        endpoint = expect(response, 201)
        assert response.headers["location"].endswith(f"/v1/webhook-endpoints/{endpoint['id']}")

        # 2. Book with the ATS's id; the retry after a "timeout" returns the same session.
        profile = await make_profile(client)
        template = await make_template(client)
        stage = await make_stage(client, template["id"], profile["id"])
        body = {
            "stage_id": stage["id"],
            "participant": inline_participant(name="Jane Doe", external_id=ATS_ID),
            "is_test": True,
        }
        key = {"Idempotency-Key": "ats-application-88231-screen"}
        first = await client.post("/v1/sessions", json=body, headers=key)
        session = expect(first, 201)
        again = await client.post("/v1/sessions", json=body, headers=key)
        assert expect(again, 201)["id"] == session["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert session["external_id"] == ATS_ID

        # 3. Find the candidate by the ATS's id.
        found = expect(await client.get("/v1/participants", params={"external_id": ATS_ID}), 200)["data"]
        assert [p["id"] for p in found] == [session["participant_id"]]
        by_q = expect(await client.get("/v1/sessions", params={"q": ATS_ID}), 200)["data"]
        assert [s["id"] for s in by_q] == [session["id"]]

        # 4. The results arrive signed, carrying the ATS's id; the full scorecard is on the session.
        await until(lambda: len(receiver.received) >= 2)
        bodies = _bodies(receiver, endpoint["secret"])
        completed = _of_type(bodies, "analysis.completed")
        assert len(completed) == 1, bodies
        assert completed[0]["data"]["external_id"] == ATS_ID
        assert completed[0]["data"]["analysis"]["version"] == 1
        full = expect(await client.get(f"/v1/sessions/{session['id']}"), 200)
        assert full["analysis"] is not None

        # 6. A rerun sends a second analysis.completed with a higher version.
        expect(await client.post(f"/v1/sessions/{session['id']}/analysis/rerun"), 202)
        await until(lambda: len(_of_type(_bodies(receiver, endpoint["secret"]), "analysis.completed")) >= 2)
        versions = [
            b["data"]["analysis"]["version"]
            for b in _of_type(_bodies(receiver, endpoint["secret"]), "analysis.completed")
        ]
        assert sorted(versions) == [1, 2]
        listed = expect(await client.get(f"/v1/sessions/{session['id']}/analyses"), 200)
        assert len(listed["data"] if isinstance(listed, dict) else listed) == 2

        # 7. Export, then erase: the ATS hears of it by ids only.
        archive = await client.get(f"/v1/participants/{session['participant_id']}/export")
        assert archive.status_code == 200, archive.text
        with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
            assert ATS_ID in files.read("participant.json").decode()
        erased = await client.delete(
            f"/v1/participants/{session['participant_id']}", params={"erase": "true"}
        )
        assert erased.status_code == 204, erased.text
        await until(lambda: _of_type(_bodies(receiver, endpoint["secret"]), "participant.erased") != [])
        (notice,) = _of_type(_bodies(receiver, endpoint["secret"]), "participant.erased")
        assert notice["data"]["participant_id"] == session["participant_id"]
        assert "Jane" not in str(notice)
        assert ATS_ID not in str(notice)
        gone = expect(await client.get("/v1/participants", params={"external_id": ATS_ID}), 200)["data"]
        assert gone == []
        await asyncio.sleep(0.2)
    # Each delivery once (the webhook-id is the receiver's deduplication key).
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids))
