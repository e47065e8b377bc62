"""Erasure on request (`DELETE /v1/participants/{id}?erase=true`): nothing that identifies the person is
left in any table, on disk or in the bucket; another candidate is untouched; a `participant.erased`
event without personal data is sent; the anonymous facts of the sessions stay; interviews in progress
are refused; the plain delete stays soft and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from config.settings import Settings
from engine.services.common import new_id
from engine.store.tables import (
    CallAttemptRow,
    OutboxEventRow,
    PhoneStreamTokenRow,
    RecordingRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from tests.engine.erasure_helpers import BARNABY, ZEPHYRINE, booked, files_named, interviewed, leftovers
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients


async def erased_events(client: httpx.AsyncClient) -> list[dict[str, object]]:
    data: list[dict[str, object]] = expect(await client.get("/v1/events?type=participant.erased"), 200)[
        "data"
    ]
    return data


async def deliveries_of_every_event(app: FastAPI, company_id: str) -> None:
    """Each event as a webhook delivery, as the dispatcher leaves them (to a disabled endpoint, already
    failed, so nothing is sent meanwhile)."""
    services = app.state.services
    now = services.clock.now()
    async with services.database.transaction() as db:
        endpoint = WebhookEndpointRow(
            id=new_id(),
            company_id=company_id,
            url="https://hooks.example.com/in",
            description="",
            event_types=[],
            enabled=False,
            secret="whsec_dGVzdA==",
            created_at=now,
            updated_at=now,
        )
        db.add(endpoint)
        for event in await db.scalars(select(OutboxEventRow).where(OutboxEventRow.company_id == company_id)):
            db.add(
                WebhookDeliveryRow(
                    id=new_id(),
                    company_id=company_id,
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    event_type=event.type,
                    payload=event.payload,
                    status="failed",
                    attempts=1,
                    created_at=now,
                    updated_at=now,
                )
            )


async def phoned(app: FastAPI, session_id: str, company_id: str) -> None:
    """What a phone call leaves: an attempt with the provider's call id, and a stream link."""
    now = datetime.now(UTC)
    async with app.state.services.database.transaction() as db:
        db.add(
            CallAttemptRow(
                id=new_id(),
                company_id=company_id,
                session_id=session_id,
                call_sid="CA0123456789abcdef",
                started_at=now,
                ended_at=now,
                duration_seconds=60,
                outcome="completed",
            )
        )
        db.add(
            PhoneStreamTokenRow(
                id=new_id(),
                company_id=company_id,
                session_id=session_id,
                token_hash="0" * 64,
                created_at=now,
                expires_at=now + timedelta(minutes=15),
            )
        )


async def test_erasure_leaves_nothing_behind_and_spares_the_others(
    app: FastAPI, api: ApiClients, settings: Settings
) -> None:
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE)
    kept = await interviewed(app, client, BARNABY)
    await deliveries_of_every_event(app, gone.company_id)
    database = app.state.services.database
    # The search finds them before: it would find what an erasure left.
    assert len(await leftovers(database, ZEPHYRINE.needles)) > 10
    assert files_named(settings.data_dir / "resumes", [""])  # both resume files are on disk
    before = expect(await client.get(f"/v1/sessions/{gone.session_id}"), 200)
    await phoned(app, gone.session_id, gone.company_id)

    response = await client.delete(f"/v1/participants/{gone.participant_id}", params={"erase": "true"})
    assert response.status_code == 204, response.text

    assert await leftovers(database, ZEPHYRINE.needles) == []
    assert files_named(settings.recordings_dir, [gone.session_id]) == []
    # Barnaby's resume is the one file left of the two.
    assert len(files_named(settings.data_dir / "resumes", [""])) == 1
    # The other candidate keeps everything.
    assert kept.recording.exists()
    assert kept.recording.with_suffix(".opus").exists()
    assert len(await leftovers(database, BARNABY.needles)) > 10
    other = expect(await client.get(f"/v1/participants/{kept.participant_id}"), 200)
    assert other["name"] == BARNABY.name
    assert other["resume"] is not None
    transcript = await client.get(f"/v1/sessions/{kept.session_id}/transcript")
    assert BARNABY.phrase in transcript.text

    # Gone from the API; the session's anonymous facts stay, so counts still add up.
    assert (await client.get(f"/v1/participants/{gone.participant_id}")).status_code == 404
    after = expect(await client.get(f"/v1/sessions/{gone.session_id}"), 200)
    for key in ("status", "duration_seconds", "created_at", "stage_id", "template_id", "analysis_status"):
        assert after[key] == before[key], key
    assert after["analysis"] is None
    assert (await client.get(f"/v1/sessions/{gone.session_id}/recording")).status_code == 404
    async with database.transaction() as db:
        assert await db.get(RecordingRow, gone.session_id) is None
        # A phone call's attempt stays as an anonymous count; its stream link is gone.
        attempts = (
            await db.scalars(select(CallAttemptRow).where(CallAttemptRow.session_id == gone.session_id))
        ).all()
        assert [(a.call_sid, a.outcome) for a in attempts] == [("", "completed")]
        tokens = select(PhoneStreamTokenRow).where(PhoneStreamTokenRow.session_id == gone.session_id)
        assert (await db.scalars(tokens)).all() == []

    # Their earlier events are still listed (typed), without their external_id.
    listed = expect(await client.get("/v1/events", params={"limit": 200}), 200)["data"]
    mine = [e for e in listed if e["data"].get("participant_id") == gone.participant_id]
    assert len(mine) > 3
    assert all(e["data"].get("external_id") is None for e in mine)
    [event] = await erased_events(client)
    assert event["data"] == {
        "participant_id": gone.participant_id,
        "session_ids": [gone.session_id],
        "reason": "request",
    }
    # Erasing again is a no-op: 204, no second event; another company gets the usual 403.
    again = await client.delete(f"/v1/participants/{gone.participant_id}", params={"erase": "true"})
    assert again.status_code == 204
    assert len(await erased_events(client)) == 1
    stranger = await api.client("globex")
    refused = await stranger.delete(f"/v1/participants/{kept.participant_id}", params={"erase": "true"})
    assert refused.status_code == 403
    assert (await client.get(f"/v1/participants/{kept.participant_id}")).status_code == 200


async def test_interview_in_progress_is_refused_and_scheduled_ones_are_cancelled(
    app: FastAPI, api: ApiClients
) -> None:
    client = await api.client("acme")
    session = await booked(client, ZEPHYRINE)
    participant_id = session["participant_id"]
    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "in_progress"}), 200)
    refused = await client.delete(f"/v1/participants/{participant_id}", params={"erase": "true"})
    assert refused.status_code == 409, refused.text
    assert "in progress" in refused.json()["error"]["message"]
    assert refused.json()["error"]["details"]["session_ids"] == [session["id"]]
    assert (await client.get(f"/v1/participants/{participant_id}")).status_code == 200

    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "completed"}), 200)
    later = await booked(client, BARNABY)
    response = await client.delete(f"/v1/participants/{later['participant_id']}", params={"erase": "true"})
    assert response.status_code == 204, response.text
    assert expect(await client.get(f"/v1/sessions/{later['id']}"), 200)["status"] == "cancelled"
    assert await leftovers(app.state.services.database, BARNABY.needles) == []


async def test_erasure_needs_the_delete_scopes_and_plain_delete_stays_soft(
    app: FastAPI, api: ApiClients
) -> None:
    client = await api.client("acme")
    session = await booked(client, ZEPHYRINE)
    participant_id = session["participant_id"]
    narrow = await api.client("acme", scopes=["read:participants", "delete:participants"])
    refused = await narrow.delete(f"/v1/participants/{participant_id}", params={"erase": "true"})
    assert refused.status_code == 403
    assert "delete:sessions" in refused.json()["error"]["message"]

    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "cancelled"}), 200)
    assert (await narrow.delete(f"/v1/participants/{participant_id}")).status_code == 204
    # Soft: the data is still there, and can be erased afterwards.
    assert await leftovers(app.state.services.database, [ZEPHYRINE.email, ZEPHYRINE.external_id])
    assert (await client.delete(f"/v1/participants/{participant_id}?erase=true")).status_code == 204
    assert await leftovers(app.state.services.database, ZEPHYRINE.needles) == []

    operation = app.openapi()["paths"]["/v1/participants/{participant_id}"]["delete"]
    assert "soft" in operation["description"]
    assert "erase=true" in operation["description"]
    assert any(p["name"] == "erase" for p in operation["parameters"])
