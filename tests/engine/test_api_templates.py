"""/v1/templates over HTTP, including presets and the public link, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.engine import collect_pages, created, field_error, make_profile, make_template
from tests.helpers import ApiClients, participant_body, template_body

URL = "/v1/templates"
PUBLIC_PREFIX = "https://interviews.example.test/public/"


def full_template() -> dict[str, Any]:
    return {
        "name": "Graduate Programme 2026",
        "use_case": "custom",
        "objective": "Decide who joins the programme.",
        "success_outcome": "custom",
        "custom_outcome_labels": {"positive": "shortlist", "negative": "decline"},
        "skills": ["Python", "SQL"],
        "traits": ["Curiosity"],
        "pass_criteria": "Explains one project end to end.",
        "duration_minutes": 45,
        "depth": "advanced",
        "default_session_mode": "async_interview",
    }


async def test_create_echoes_every_field(client: httpx.AsyncClient) -> None:
    body = full_template()
    template = created(await client.post(URL, json=body))
    uuid.UUID(template["id"])
    for key, value in body.items():
        assert template[key] == value, key
    assert template["public_link"] == {"enabled": False, "url": None, "email_verification": False}
    assert set(template) == set(body) | {"id", "created_at", "updated_at", "public_link"}
    assert (await client.get(f"{URL}/{template['id']}")).json() == template


async def test_create_with_preset_fills_only_what_is_left_out(client: httpx.AsyncClient) -> None:
    template = created(await client.post(URL, json=template_body(preset="mock", duration_minutes=20)))
    assert template["use_case"] == "training"
    assert template["success_outcome"] == "pass_fail"
    assert template["default_session_mode"] == "practice_session"
    assert template["objective"] == "Assess whether the candidate can own backend system design."
    assert template["duration_minutes"] == 20
    assert template["depth"] == "intermediate"
    assert "preset" not in template
    training = created(await client.post(URL, json={"name": "Support", "preset": "training"}))
    assert training["objective"] == "Are they ready to perform?"
    assert training["default_session_mode"] == "roleplay_simulation"
    own_use_case = created(
        await client.post(URL, json={"name": "Uni", "preset": "hiring", "use_case": "admissions"})
    )
    assert own_use_case["success_outcome"] == "admit_reject"
    assert field_error(await client.post(URL, json=template_body(preset="internship")))["path"] == "preset"


async def test_presets_endpoint_lists_the_seed_table(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{URL}/presets")
    assert response.status_code == 200
    assert response.json() == [
        {
            "name": "hiring",
            "use_case": "hiring",
            "objective": "Can they do the job?",
            "success_outcome": "hire_no_hire",
            "default_session_mode": "live_ai_interview",
        },
        {
            "name": "training",
            "use_case": "training",
            "objective": "Are they ready to perform?",
            "success_outcome": "ready_needs_training",
            "default_session_mode": "roleplay_simulation",
        },
        {
            "name": "mock",
            "use_case": "training",
            "objective": "Are they ready for the real thing?",
            "success_outcome": "pass_fail",
            "default_session_mode": "practice_session",
        },
    ]


async def test_outcome_is_derived_for_each_use_case(client: httpx.AsyncClient) -> None:
    expected = {
        "hiring": "hire_no_hire",
        "training": "ready_needs_training",
        "admissions": "admit_reject",
        "assessment": "pass_fail",
        "certification": "certified_not_certified",
    }
    for use_case, outcome in expected.items():
        template = await make_template(client, name=use_case, use_case=use_case)
        assert template["success_outcome"] == outcome
        assert template["custom_outcome_labels"] is None
    error = field_error(await client.post(URL, json={"name": "c", "use_case": "custom"}))
    assert error["path"] == "custom_outcome_labels"


async def test_bad_input_is_422_with_the_field_path(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (template_body(skills=["Go", "go"]), "skills"),
        (template_body(traits=["Grit", ""]), "traits[1]"),
        (template_body(duration_minutes=300), "duration_minutes"),
        (template_body(depth="bottomless"), "depth"),
        (template_body(default_session_mode="phone"), "default_session_mode"),
        (
            template_body(use_case="hiring", custom_outcome_labels={"positive": "a", "negative": "b"}),
            "custom_outcome_labels",
        ),
        (template_body(success_outcome="custom"), "custom_outcome_labels"),
        (template_body(success_outcome="maybe"), "success_outcome"),
        (template_body(objective="\x00"), "objective"),
        (template_body(owner="me"), "owner"),
        ({"objective": "no name"}, "name"),
    ]
    for body, path in cases:
        error = field_error(await client.post(URL, json=body))
        assert error["path"] == path, (body, error)
    assert (await client.get(URL)).json()["data"] == []


async def test_list_pages_newest_first_with_each_template_once(client: httpx.AsyncClient) -> None:
    ids = [(await make_template(client, name=f"T{i}"))["id"] for i in range(5)]
    items = await collect_pages(client, URL, limit=2)
    assert [t["id"] for t in items] == ids[::-1]


async def test_list_filters(client: httpx.AsyncClient) -> None:
    hiring = await make_template(client, name="Backend", use_case="hiring")
    training = await make_template(client, name="Support", use_case="training")
    backend_again = await make_template(client, name="Backend", use_case="assessment")
    last = await make_template(client, name="Frontend")

    async def ids(**params: Any) -> list[str]:
        response = await client.get(URL, params=params)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["data"]]

    assert await ids(use_case="training") == [training["id"]]
    assert await ids(use_case="hiring") == [last["id"], hiring["id"]]
    assert await ids(use_case="custom") == []
    assert await ids(name="Backend") == [backend_again["id"], hiring["id"]]
    assert await ids(name="Backend", use_case="assessment") == [backend_again["id"]]
    # created_after is inclusive, created_before exclusive
    assert await ids(created_after=training["created_at"]) == [
        last["id"],
        backend_again["id"],
        training["id"],
    ]
    assert await ids(created_before=training["created_at"]) == [hiring["id"]]
    assert await ids(created_after=training["created_at"], created_before=last["created_at"]) == [
        backend_again["id"],
        training["id"],
    ]
    later = (datetime.fromisoformat(last["created_at"]) + timedelta(days=1)).isoformat()
    assert await ids(created_after=later) == []
    offset = (
        datetime.fromisoformat(training["created_at"]).astimezone(timezone(timedelta(hours=2))).isoformat()
    )
    assert offset.endswith("+02:00")
    assert await ids(created_before=offset) == [hiring["id"]]
    naive = await client.get(URL, params={"created_after": "2026-03-02T09:00:00"})
    assert naive.status_code == 422
    assert naive.json()["error"]["details"]["fields"][0]["in"] == "query"
    assert (await client.get(URL, params={"use_case": "fun"})).status_code == 422


async def test_patch_changes_only_what_is_sent(client: httpx.AsyncClient) -> None:
    template = await make_template(client, **template_body())
    url = f"{URL}/{template['id']}"
    response = await client.patch(url, json={"skills": ["Rust"], "duration_minutes": 60})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["skills"], patched["duration_minutes"]) == (["Rust"], 60)
    for key in ("name", "objective", "traits", "use_case", "success_outcome", "public_link", "created_at"):
        assert patched[key] == template[key], key
    assert patched["updated_at"] > template["updated_at"]
    assert (await client.get(url)).json() == patched


async def test_patch_use_case_rederives_the_outcome(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    url = f"{URL}/{template['id']}"
    assert template["success_outcome"] == "hire_no_hire"
    response = await client.patch(url, json={"use_case": "certification"})
    assert response.status_code == 200, response.text
    assert response.json()["success_outcome"] == "certified_not_certified"
    error = field_error(await client.patch(url, json={"use_case": "custom"}))
    assert error["path"] == "custom_outcome_labels"
    labels = {"positive": "go", "negative": "no-go"}
    response = await client.patch(url, json={"use_case": "custom", "custom_outcome_labels": labels})
    assert response.status_code == 200, response.text
    assert (response.json()["success_outcome"], response.json()["custom_outcome_labels"]) == (
        "custom",
        labels,
    )
    # leaving custom drops the labels, which only a custom outcome may carry
    response = await client.patch(url, json={"use_case": "admissions"})
    assert response.status_code == 200, response.text
    assert response.json()["success_outcome"] == "admit_reject"
    assert response.json()["custom_outcome_labels"] is None
    response = await client.patch(url, json={"use_case": "training", "success_outcome": "pass_fail"})
    assert response.status_code == 200, response.text
    assert (response.json()["use_case"], response.json()["success_outcome"]) == ("training", "pass_fail")
    # re-sending the same use case keeps an explicitly chosen outcome
    response = await client.patch(url, json={"use_case": "training", "name": "Renamed"})
    assert response.status_code == 200, response.text
    assert (response.json()["success_outcome"], response.json()["name"]) == ("pass_fail", "Renamed")


async def test_patch_outcome_away_from_custom_drops_the_labels(client: httpx.AsyncClient) -> None:
    template = created(await client.post(URL, json=full_template()))
    url = f"{URL}/{template['id']}"
    response = await client.patch(url, json={"success_outcome": "pass_fail"})
    assert response.status_code == 200, response.text
    assert (response.json()["success_outcome"], response.json()["custom_outcome_labels"]) == (
        "pass_fail",
        None,
    )
    # back to the outcome derived from use_case custom: the labels are needed again
    error = field_error(await client.patch(url, json={"success_outcome": None}))
    assert error["path"] == "custom_outcome_labels"
    labels = {"positive": "in", "negative": "out"}
    response = await client.patch(url, json={"success_outcome": None, "custom_outcome_labels": labels})
    assert response.status_code == 200, response.text
    assert (response.json()["success_outcome"], response.json()["custom_outcome_labels"]) == (
        "custom",
        labels,
    )


async def test_patch_is_revalidated_as_a_whole(client: httpx.AsyncClient) -> None:
    template = await make_template(client, **template_body())
    url = f"{URL}/{template['id']}"
    assert (
        field_error(await client.patch(url, json={"success_outcome": "custom"}))["path"]
        == "custom_outcome_labels"
    )
    labels = {"custom_outcome_labels": {"positive": "a", "negative": "b"}}
    assert field_error(await client.patch(url, json=labels))["path"] == "custom_outcome_labels"
    assert field_error(await client.patch(url, json={"skills": ["SQL", "sql"]}))["path"] == "skills"
    assert field_error(await client.patch(url, json={"name": None}))["path"] == "name"
    assert field_error(await client.patch(url, json={"preset": "mock"}))["path"] == "preset"
    assert (
        field_error(await client.patch(url, json={"public_link": {"enabled": True}}))["path"] == "public_link"
    )
    assert (await client.get(url)).json() == template


async def test_public_link_lifecycle(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    url = f"{URL}/{template['id']}/public-link"
    assert (await client.get(url)).json() == {"enabled": False, "url": None, "email_verification": False}
    response = await client.put(url, json={"enabled": True})
    assert response.status_code == 200, response.text
    link = response.json()
    assert link["enabled"] is True
    assert link["url"].startswith(PUBLIC_PREFIX)
    token = link["url"].removeprefix(PUBLIC_PREFIX)
    assert len(token) >= 43
    assert token.replace("-", "").replace("_", "").isalnum()
    assert (await client.get(url)).json() == link
    assert (await client.get(f"{URL}/{template['id']}")).json()["public_link"] == link
    disabled = (await client.put(url, json={"enabled": False})).json()
    assert disabled == {"enabled": False, "url": link["url"], "email_verification": False}
    assert (await client.put(url, json={"enabled": True})).json() == link
    assert (await client.put(url, json={"enabled": True})).json() == link
    other = await make_template(client, name="Other")
    other_link = (await client.put(f"{URL}/{other['id']}/public-link", json={"enabled": True})).json()
    assert other_link["url"] != link["url"]
    assert field_error(await client.put(url, json={}))["path"] == "enabled"
    assert field_error(await client.put(url, json={"enabled": True, "url": "x"}))["path"] == "url"


async def test_delete_template(client: httpx.AsyncClient) -> None:
    keep = await make_template(client, name="Keep")
    drop = await make_template(client, name="Drop")
    profile = await make_profile(client)
    stage = created(
        await client.post(f"{URL}/{drop['id']}/stages", json={"name": "S", "agent_profile_id": profile["id"]})
    )
    response = await client.delete(f"{URL}/{drop['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"{URL}/{drop['id']}")).status_code == 404
    assert (await client.get(f"{URL}/{drop['id']}/public-link")).status_code == 404
    assert (await client.get(f"/v1/stages/{stage['id']}")).status_code == 404
    assert [t["id"] for t in (await client.get(URL)).json()["data"]] == [keep["id"]]
    assert (await client.delete(f"{URL}/{drop['id']}")).status_code == 404
    # its stages went with it, so the profile is free again
    assert (await client.delete(f"/v1/agent-profiles/{profile['id']}")).status_code == 204


async def test_template_with_participants_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    person = created(
        await client.post("/v1/participants", json=participant_body(evaluation_template_id=template["id"]))
    )
    response = await client.delete(f"{URL}/{template['id']}")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["participant_ids"] == [person["id"]]
    assert (await client.get(f"{URL}/{template['id']}")).status_code == 200
    assert (await client.delete(f"/v1/participants/{person['id']}")).status_code == 204
    assert (await client.delete(f"{URL}/{template['id']}")).status_code == 204


async def test_other_companies_templates_are_403_and_unlisted(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    other = await api.client("globex")
    theirs = await make_template(other, name="Theirs")
    mine = await make_template(client, name="Mine")
    url = f"{URL}/{theirs['id']}"
    for response in (
        await client.get(url),
        await client.patch(url, json={"objective": "x"}),
        await client.delete(url),
        await client.get(f"{url}/public-link"),
        await client.put(f"{url}/public-link", json={"enabled": True}),
        await client.get(f"{url}/stages"),
    ):
        assert response.status_code == 403, response.text
    assert [t["id"] for t in (await client.get(URL)).json()["data"]] == [mine["id"]]
    assert (await other.get(f"{url}/public-link")).json() == {
        "enabled": False,
        "url": None,
        "email_verification": False,
    }
