"""/v1/participants (and /bulk) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.engine import collect_pages, created, field_error, make_profile, make_template
from tests.helpers import ApiClients, participant_body

URL = "/v1/participants"


def full_participant(template_id: str) -> dict[str, Any]:
    return {
        "name": "Jane Smith",
        "email": "jane@example.com",
        "phone": "+49 (30) 123-4567",
        "evaluation_template_id": template_id,
        "external_id": "greenhouse-8821",
        "profile": {
            "title": "Software Engineer",
            "organization": "Initech",
            "experienceLevel": "senior",
            "location": "Berlin",
        },
        "background": {
            "skills": ["Go", "Kafka"],
            "education": "BSc Computer Science",
            "languages": ["en", "de"],
        },
        "resume_url": "https://files.example.com/jane-resume.pdf",
        "tags": ["senior", "backend"],
        "gdpr_expiry_date": "2027-06-30",
    }


async def _events(client: httpx.AsyncClient, event_type: str) -> list[dict[str, Any]]:
    return await collect_pages(client, "/v1/events", {"type": event_type}, limit=200)


async def test_create_echoes_every_field(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    body = full_participant(template["id"])
    person = created(await client.post(URL, json=body))
    uuid.UUID(person["id"])
    for key, value in body.items():
        assert person[key] == value, key
    assert set(person) == set(body) | {"id", "created_at", "updated_at", "resume"}
    assert person["resume"] is None  # no resume file kept (tests/engine/test_resume_files.py)
    assert (await client.get(f"{URL}/{person['id']}")).json() == person


async def test_email_is_lower_cased_and_tags_deduplicated(client: httpx.AsyncClient) -> None:
    person = created(
        await client.post(URL, json=participant_body(email="  Jane.Smith@Example.COM ", tags=["a", "b", "a"]))
    )
    assert person["email"] == "jane.smith@example.com"
    assert person["tags"] == ["a", "b"]
    assert person["evaluation_template_id"] is None
    assert person["background"] == {"skills": [], "education": None, "languages": []}


async def test_same_email_same_template_is_409_with_the_existing_id(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    other_template = await make_template(client, name="Other")
    first = created(await client.post(URL, json=participant_body(evaluation_template_id=template["id"])))
    again = participant_body(
        evaluation_template_id=template["id"], email="JANE@example.com", name="Jane Again"
    )
    response = await client.post(URL, json=again)
    error = field_error(response, 409)
    assert error["path"] == "email"
    assert response.json()["error"]["details"]["existing_id"] == first["id"]
    second = created(
        await client.post(URL, json=participant_body(evaluation_template_id=other_template["id"]))
    )
    assert second["id"] != first["id"]
    # without a template the email is unique among template-less participants
    loose = created(await client.post(URL, json=participant_body()))
    response = await client.post(URL, json=participant_body())
    assert response.status_code == 409
    assert response.json()["error"]["details"]["existing_id"] == loose["id"]
    # deleting frees the email
    assert (await client.delete(f"{URL}/{first['id']}")).status_code == 204
    created(await client.post(URL, json=again))


async def test_the_template_must_exist_in_the_company(api: ApiClients, client: httpx.AsyncClient) -> None:
    other = await api.client("globex")
    theirs = await make_template(other)
    response = await client.post(URL, json=participant_body(evaluation_template_id=theirs["id"]))
    assert field_error(response, 403)["path"] == "evaluation_template_id"
    missing = participant_body(evaluation_template_id=str(uuid.uuid4()))
    assert field_error(await client.post(URL, json=missing))["path"] == "evaluation_template_id"
    assert (await client.get(URL)).json()["data"] == []


async def test_bad_input_is_422_with_the_field_path(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (participant_body(email="not-an-email"), "email"),
        (participant_body(tags=["ok", ""]), "tags[1]"),
        (participant_body(resume_url="javascript:alert(1)"), "resume_url"),
        (participant_body(profile={"experienceLevel": "senior", "age": 40}), "profile.age"),
        (participant_body(background={"languages": "en"}), "background.languages"),
        (participant_body(gdpr_expiry_date="tomorrow"), "gdpr_expiry_date"),
        (participant_body(evaluation_template_id="123"), "evaluation_template_id"),
        (participant_body(name="Jane\x00"), "name"),
        (participant_body(phone="+1 555"), "phone"),  # four digits
        (participant_body(phone="call me"), "phone"),
        (participant_body(phone="+1 555 0100 ext. 12"), "phone"),
        (participant_body(phone="1" * 33), "phone"),
        (participant_body(phone=4930123456), "phone"),
        ({"email": "a@example.com"}, "name"),
    ]
    for body, path in cases:
        error = field_error(await client.post(URL, json=body))
        assert error["path"] == path, (body, error)


async def test_list_pages_newest_first_with_each_participant_once(client: httpx.AsyncClient) -> None:
    ids = [
        created(await client.post(URL, json=participant_body(email=f"p{i}@example.com")))["id"]
        for i in range(5)
    ]
    items = await collect_pages(client, URL, limit=2)
    assert [p["id"] for p in items] == ids[::-1]


async def test_list_filters(client: httpx.AsyncClient) -> None:
    backend = await make_template(client, name="Backend")
    frontend = await make_template(client, name="Frontend")

    async def add(email: str, template: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
        template_id = template["id"] if template else None
        return created(
            await client.post(
                URL, json=participant_body(email=email, evaluation_template_id=template_id, **extra)
            )
        )

    ann = await add("ann@example.com", backend, tags=["senior", "remote"], external_id="ats-1")
    bob = await add("bob@example.com", backend, tags=["junior"], external_id="ats-2")
    ann_front = await add("Ann@Example.com", frontend, tags=["remote"], external_id="ats-3")
    cid = await add("cid@example.com", None, tags=[], external_id="ats-1")

    async def ids(**params: Any) -> list[str]:
        response = await client.get(URL, params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert await ids(template_id=backend["id"]) == [bob["id"], ann["id"]]
    assert await ids(template_id=frontend["id"]) == [ann_front["id"]]
    assert await ids(tag="remote") == [ann_front["id"], ann["id"]]
    assert await ids(tag="remote", template_id=backend["id"]) == [ann["id"]]
    assert await ids(tag="Remote") == []
    assert await ids(email="ANN@example.COM") == [ann_front["id"], ann["id"]]
    assert await ids(email=" ann@example.com ") == [ann_front["id"], ann["id"]]
    assert await ids(external_id="ats-1") == [cid["id"], ann["id"]]
    assert await ids(external_id="ats-9") == []
    assert await ids(created_after=bob["created_at"]) == [cid["id"], ann_front["id"], bob["id"]]
    assert await ids(created_before=bob["created_at"]) == [ann["id"]]
    assert await ids(created_after=bob["created_at"], created_before=cid["created_at"]) == [
        ann_front["id"],
        bob["id"],
    ]
    later = (datetime.fromisoformat(cid["created_at"]) + timedelta(seconds=1)).isoformat()
    assert await ids(created_after=later) == []
    assert (await client.get(URL, params={"template_id": "nope"})).status_code == 422


async def test_patch_changes_only_what_is_sent(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    person = created(await client.post(URL, json=full_participant(template["id"])))
    url = f"{URL}/{person['id']}"
    response = await client.patch(url, json={"tags": ["staff"], "email": "Jane.S@Example.com"})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["tags"], patched["email"]) == (["staff"], "jane.s@example.com")
    for key in (
        "name",
        "phone",
        "profile",
        "background",
        "resume_url",
        "external_id",
        "evaluation_template_id",
        "created_at",
    ):
        assert patched[key] == person[key], key
    assert patched["updated_at"] > person["updated_at"]
    assert (await client.get(url)).json() == patched
    assert [p["id"] for p in (await client.get(URL, params={"tag": "staff"})).json()["data"]] == [
        person["id"]
    ]
    assert (await client.get(URL, params={"tag": "senior"})).json()["data"] == []
    assert (await client.get(URL, params={"email": "jane@example.com"})).json()["data"] == []


async def test_phone_is_optional_trimmed_and_can_be_changed_or_cleared(client: httpx.AsyncClient) -> None:
    person = created(await client.post(URL, json=participant_body(phone="  +44  20 7946 0958 ")))
    assert person["phone"] == "+44 20 7946 0958"
    url = f"{URL}/{person['id']}"
    patched = (await client.patch(url, json={"phone": "030.1234567"})).json()
    assert (patched["phone"], patched["name"]) == ("030.1234567", person["name"])
    assert field_error(await client.patch(url, json={"phone": "12-34"}))["path"] == "phone"
    assert (await client.patch(url, json={"name": "Jane S."})).json()["phone"] == "030.1234567"
    cleared = (await client.patch(url, json={"phone": None})).json()
    assert cleared["phone"] is None
    assert (await client.get(url)).json() == cleared
    plain = created(await client.post(URL, json=participant_body(email="no-phone@example.com")))
    assert plain["phone"] is None
    bulk = await client.post(
        f"{URL}/bulk", json={"participants": [participant_body(email="b@example.com", phone="0049 1234")]}
    )
    assert bulk.status_code == 200, bulk.text
    (row,) = bulk.json()["results"]
    assert (await client.get(f"{URL}/{row['id']}")).json()["phone"] == "0049 1234"


async def test_patch_is_validated(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    other_template = await make_template(client, name="Other")
    jane = created(await client.post(URL, json=participant_body(evaluation_template_id=template["id"])))
    john = created(
        await client.post(
            URL, json=participant_body(email="john@example.com", evaluation_template_id=template["id"])
        )
    )
    url = f"{URL}/{john['id']}"
    response = await client.patch(url, json={"email": "JANE@example.com"})
    assert field_error(response, 409)["path"] == "email"
    assert response.json()["error"]["details"]["existing_id"] == jane["id"]
    assert field_error(await client.patch(url, json={"email": "nope"}))["path"] == "email"
    assert field_error(await client.patch(url, json={"name": None}))["path"] == "name"
    assert field_error(await client.patch(url, json={"tags": [""]}))["path"] == "tags[0]"
    assert field_error(await client.patch(url, json={"status": "hired"}))["path"] == "status"
    missing = {"evaluation_template_id": str(uuid.uuid4())}
    assert field_error(await client.patch(url, json=missing))["path"] == "evaluation_template_id"
    assert (await client.get(url)).json() == john
    # the same email is fine under another template
    response = await client.patch(
        url, json={"email": "jane@example.com", "evaluation_template_id": other_template["id"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["evaluation_template_id"] == other_template["id"]


async def test_delete_participant(client: httpx.AsyncClient) -> None:
    keep = created(await client.post(URL, json=participant_body(email="keep@example.com")))
    drop = created(await client.post(URL, json=participant_body(email="drop@example.com", tags=["gone"])))
    response = await client.delete(f"{URL}/{drop['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"{URL}/{drop['id']}")).status_code == 404
    assert (await client.patch(f"{URL}/{drop['id']}", json={"name": "x"})).status_code == 404
    assert (await client.delete(f"{URL}/{drop['id']}")).status_code == 404
    assert [p["id"] for p in (await client.get(URL)).json()["data"]] == [keep["id"]]
    assert (await client.get(URL, params={"tag": "gone"})).json()["data"] == []
    assert (await client.get(URL, params={"email": "drop@example.com"})).json()["data"] == []


async def test_other_companies_participants_are_403_and_unlisted(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    other = await api.client("globex")
    theirs = created(await other.post(URL, json=participant_body(tags=["shared-tag"])))
    mine = created(await client.post(URL, json=participant_body(tags=["shared-tag"])))
    url = f"{URL}/{theirs['id']}"
    for response in (
        await client.get(url),
        await client.patch(url, json={"name": "hijacked"}),
        await client.delete(url),
    ):
        assert response.status_code == 403, response.text
    assert [p["id"] for p in (await client.get(URL)).json()["data"]] == [mine["id"]]
    assert [p["id"] for p in (await client.get(URL, params={"tag": "shared-tag"})).json()["data"]] == [
        mine["id"]
    ]
    assert (await other.get(url)).json()["name"] == "Jane Smith"


async def test_bulk_reports_each_row(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    stored = created(
        await client.post(
            URL, json=participant_body(email="stored@example.com", evaluation_template_id=template["id"])
        )
    )
    rows = [
        participant_body(email="new@example.com", evaluation_template_id=template["id"], tags=["bulk"]),
        participant_body(email="NEW@example.com", evaluation_template_id=template["id"], name="Twin"),
        participant_body(email="Stored@Example.com", evaluation_template_id=template["id"]),
    ]
    response = await client.post(f"{URL}/bulk", json={"participants": rows})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["skipped"]) == (1, 2)
    first, twin, again = result["results"]
    assert (first["index"], first["status"], first["reason"]) == (0, "created", None)
    assert (twin["index"], twin["status"], twin["id"]) == (1, "skipped", first["id"])
    assert "row 0" in twin["reason"]
    assert (again["index"], again["status"], again["id"]) == (2, "skipped", stored["id"])
    assert "already exists" in again["reason"]
    person = (await client.get(f"{URL}/{first['id']}")).json()
    assert (person["email"], person["name"], person["tags"]) == ("new@example.com", "Jane Smith", ["bulk"])
    listed = (await client.get(URL, params={"template_id": template["id"]})).json()["data"]
    assert sorted(p["id"] for p in listed) == sorted([first["id"], stored["id"]])
    assert [p["id"] for p in (await client.get(URL, params={"tag": "bulk"})).json()["data"]] == [first["id"]]
    # running the same import again skips every row
    again_result = (await client.post(f"{URL}/bulk", json={"participants": rows})).json()
    assert (again_result["created"], again_result["skipped"]) == (0, 3)
    assert [r["id"] for r in again_result["results"]] == [first["id"], first["id"], stored["id"]]


async def test_bulk_size_limits(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    rows = [
        participant_body(
            email=f"person{i}@example.com", external_id=f"ext-{i}", evaluation_template_id=template["id"]
        )
        for i in range(501)
    ]
    error = field_error(await client.post(f"{URL}/bulk", json={"participants": rows}))
    assert error["path"] == "participants"
    assert (await client.get(URL)).json()["data"] == []
    assert field_error(await client.post(f"{URL}/bulk", json={"participants": []}))["path"] == "participants"
    started = time.perf_counter()
    response = await client.post(f"{URL}/bulk", json={"participants": rows[:500]})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["skipped"]) == (500, 0)
    assert elapsed < 10, f"500-row import took {elapsed:.1f}s"
    everyone = await collect_pages(client, URL, {"template_id": template["id"]}, limit=200)
    assert len(everyone) == 500
    assert len({p["id"] for p in everyone}) == 500
    assert {p["external_id"] for p in everyone} == {f"ext-{i}" for i in range(500)}
    events = await _events(client, "participant.created")
    assert len(events) == 500


async def test_bulk_rejects_a_bad_row_or_foreign_template_as_a_whole(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    rows = [participant_body(email="ok@example.com"), participant_body(email="broken")]
    assert (
        field_error(await client.post(f"{URL}/bulk", json={"participants": rows}))["path"]
        == "participants[1].email"
    )
    other = await api.client("globex")
    theirs = await make_template(other)
    rows = [participant_body(email="ok@example.com"), participant_body(evaluation_template_id=theirs["id"])]
    response = await client.post(f"{URL}/bulk", json={"participants": rows})
    assert field_error(response, 403)["path"] == "participants[1].evaluation_template_id"
    missing = [participant_body(evaluation_template_id=str(uuid.uuid4()))]
    error = field_error(await client.post(f"{URL}/bulk", json={"participants": missing}))
    assert error["path"] == "participants[0].evaluation_template_id"
    assert (await client.get(URL)).json()["data"] == []


async def test_participant_created_events(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    single = created(await client.post(URL, json=participant_body(evaluation_template_id=template["id"])))
    bulk = await client.post(
        f"{URL}/bulk",
        json={
            "participants": [
                participant_body(email="b1@example.com", external_id="ext-b1"),
                participant_body(),
            ]
        },
    )
    assert bulk.status_code == 200, bulk.text
    bulk_id = bulk.json()["results"][0]["id"]
    events = await _events(client, "participant.created")
    assert len(events) == 3
    by_participant = {e["data"]["participant_id"]: e for e in events}
    assert set(by_participant) == {single["id"], bulk_id, bulk.json()["results"][1]["id"]}
    first = by_participant[single["id"]]
    assert first["type"] == "participant.created"
    assert first["id"].startswith("evt_")
    assert first["data"] == {
        "participant_id": single["id"],
        "external_id": "greenhouse-8821",
        "template_id": template["id"],
    }
    assert first["timestamp"] == single["created_at"]
    assert by_participant[bulk_id]["data"] == {
        "participant_id": bulk_id,
        "external_id": "ext-b1",
        "template_id": None,
    }
    # a refused create records nothing
    assert (
        await client.post(URL, json=participant_body(evaluation_template_id=template["id"]))
    ).status_code == 409
    assert len(await _events(client, "participant.created")) == 3


async def test_events_are_per_company(api: ApiClients, client: httpx.AsyncClient) -> None:
    other = await api.client("globex")
    created(await other.post(URL, json=participant_body()))
    assert await _events(client, "participant.created") == []
    assert len(await _events(other, "participant.created")) == 1


async def test_sessions_tie_a_participant_to_its_template(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    other_template = await make_template(client, name="Other")
    profile = await make_profile(client)
    person = created(await client.post(URL, json=participant_body(evaluation_template_id=template["id"])))
    booking = {"participant_id": person["id"], "agent_profile_id": profile["id"]}
    session = created(await client.post("/v1/sessions", json=booking))
    assert session["template_id"] == template["id"]
    url = f"{URL}/{person['id']}"
    response = await client.delete(url)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["session_ids"] == [session["id"]]
    for target in (other_template["id"], None):
        response = await client.patch(url, json={"evaluation_template_id": target})
        assert field_error(response, 409)["path"] == "evaluation_template_id"
        assert response.json()["error"]["details"]["session_ids"] == [session["id"]]
    # other changes stay possible
    response = await client.patch(url, json={"name": "Jane S.", "evaluation_template_id": template["id"]})
    assert response.status_code == 200, response.text
    assert (await client.post(f"/v1/sessions/{session['id']}/cancel")).status_code == 200
    assert (await client.get(url)).json()["evaluation_template_id"] == template["id"]
    assert (await client.delete(url)).status_code == 204
