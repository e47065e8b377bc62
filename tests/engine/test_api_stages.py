"""Stages over HTTP (/v1/templates/{id}/stages and /v1/stages/{id}), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.engine import created, field_error, make_profile, make_template
from tests.helpers import ApiClients


async def _setup(client: httpx.AsyncClient) -> tuple[str, str]:
    """A template and a profile of the client's company: (template id, profile id)."""
    template = await make_template(client)
    profile = await make_profile(client)
    return template["id"], profile["id"]


async def _add(client: httpx.AsyncClient, template_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/templates/{template_id}/stages", json={"name": "Stage", **body})


async def _pipeline(client: httpx.AsyncClient, template_id: str) -> list[tuple[str, int]]:
    response = await client.get(f"/v1/templates/{template_id}/stages")
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [(s["name"], s["order"]) for s in response.json()["data"]]


async def test_create_echoes_every_field(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    body = {
        "name": "Technical Screen",
        "type": "roleplay_simulation",
        "agent_profile_id": profile_id,
        "order": 3,
        "pass_threshold": 72.5,
        "allow_retry": True,
        "on_complete": "human_approval",
        "embedded_scorer_decides": True,
        "duration_minutes": 50,
    }
    stage = created(await client.post(f"/v1/templates/{template_id}/stages", json=body))
    uuid.UUID(stage["id"])
    for key, value in body.items():
        assert stage[key] == value, key
    assert stage["template_id"] == template_id
    assert set(stage) == set(body) | {"id", "template_id", "created_at", "updated_at"}
    response = await client.get(f"/v1/stages/{stage['id']}")
    assert response.status_code == 200
    assert response.json() == stage


async def test_defaults(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    stage = created(await _add(client, template_id, agent_profile_id=profile_id.upper()))
    assert stage["agent_profile_id"] == profile_id
    assert (stage["type"], stage["order"], stage["pass_threshold"]) == ("ai_interview", 0, 60)
    assert (stage["allow_retry"], stage["on_complete"], stage["duration_minutes"]) == (
        False,
        "auto_advance",
        None,
    )
    # The embedded scorer's verdicts wait for a person unless a stage says otherwise.
    assert stage["embedded_scorer_decides"] is False


async def test_default_order_is_the_next_free_position(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    ids = []
    for name in ("Phone", "Technical", "Final"):
        ids.append(created(await _add(client, template_id, name=name, agent_profile_id=profile_id))["id"])
    assert await _pipeline(client, template_id) == [("Phone", 0), ("Technical", 1), ("Final", 2)]
    assert (await client.delete(f"/v1/stages/{ids[1]}")).status_code == 204
    created(await _add(client, template_id, name="Extra", agent_profile_id=profile_id))
    created(await _add(client, template_id, name="Gap", agent_profile_id=profile_id, order=1))
    assert await _pipeline(client, template_id) == [("Phone", 0), ("Gap", 1), ("Final", 2), ("Extra", 3)]
    # each template counts its own positions
    other_template = await make_template(client, name="Other")
    assert created(await _add(client, other_template["id"], agent_profile_id=profile_id))["order"] == 0


async def test_a_taken_order_is_409(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    first = created(await _add(client, template_id, name="A", agent_profile_id=profile_id))
    second = created(await _add(client, template_id, name="B", agent_profile_id=profile_id))
    error = field_error(await _add(client, template_id, name="C", agent_profile_id=profile_id, order=0), 409)
    assert error["path"] == "order"
    assert (
        field_error(await client.patch(f"/v1/stages/{second['id']}", json={"order": 0}), 409)["path"]
        == "order"
    )
    assert await _pipeline(client, template_id) == [("A", 0), ("B", 1)]
    # a deleted stage frees its position
    assert (await client.delete(f"/v1/stages/{first['id']}")).status_code == 204
    response = await client.patch(f"/v1/stages/{second['id']}", json={"order": 0})
    assert response.status_code == 200, response.text
    assert await _pipeline(client, template_id) == [("B", 0)]


async def test_a_full_pipeline_refuses_a_default_order(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    created(await _add(client, template_id, name="Last", agent_profile_id=profile_id, order=99))
    error = field_error(await _add(client, template_id, name="After", agent_profile_id=profile_id), 409)
    assert error["path"] == "order"
    created(await _add(client, template_id, name="First", agent_profile_id=profile_id, order=0))
    assert (
        field_error(await _add(client, template_id, agent_profile_id=profile_id, order=100))["path"]
        == "order"
    )


async def test_reorder_the_whole_pipeline(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    ids = [
        created(await _add(client, template_id, name=name, agent_profile_id=profile_id))["id"]
        for name in ("A", "B", "C")
    ]
    url = f"/v1/templates/{template_id}/stages/order"
    response = await client.put(url, json={"stage_ids": [ids[2], ids[0], ids[1]]})
    assert response.status_code == 200, response.text
    assert [(s["id"], s["order"]) for s in response.json()["data"]] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]
    assert await _pipeline(client, template_id) == [("C", 0), ("A", 1), ("B", 2)]
    assert (await client.get(f"/v1/stages/{ids[1]}")).json()["order"] == 2
    for bad in (
        [ids[0], ids[1]],
        [ids[0], ids[1], ids[1]],
        [*ids, str(uuid.uuid4())],
        [ids[0], ids[1], str(uuid.uuid4())],
    ):
        assert field_error(await client.put(url, json={"stage_ids": bad}))["path"] == "stage_ids"
    assert field_error(await client.put(url, json={"stage_ids": []}))["path"] == "stage_ids"
    assert await _pipeline(client, template_id) == [("C", 0), ("A", 1), ("B", 2)]
    # a stage of another template does not belong in this pipeline
    other = await make_template(client, name="Other")
    foreign = created(await _add(client, other["id"], agent_profile_id=profile_id))["id"]
    assert (
        field_error(await client.put(url, json={"stage_ids": [ids[0], ids[1], foreign]}))["path"]
        == "stage_ids"
    )
    # after a delete the remaining stages close the gap
    assert (await client.delete(f"/v1/stages/{ids[0]}")).status_code == 204
    response = await client.put(url, json={"stage_ids": [ids[1], ids[2]]})
    assert response.status_code == 200, response.text
    assert await _pipeline(client, template_id) == [("B", 0), ("C", 1)]


async def test_ai_stage_types_need_a_profile_and_human_ones_do_not(client: httpx.AsyncClient) -> None:
    template_id, _ = await _setup(client)
    for stage_type in ("ai_interview", "roleplay_simulation", "practice_session", "async_assessment"):
        error = field_error(await _add(client, template_id, type=stage_type))
        assert error["path"] == "agent_profile_id", stage_type
    manual = created(await _add(client, template_id, name="Manual", type="manual_review"))
    assert manual["agent_profile_id"] is None
    final = created(
        await _add(client, template_id, name="Final", type="final_review", on_complete="human_approval")
    )
    assert (final["agent_profile_id"], final["order"]) == (None, 1)


async def test_the_profile_must_be_a_live_non_generic_one_of_the_company(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    template_id, _ = await _setup(client)
    other = await api.client("globex")
    foreign = await make_profile(other)
    response = await _add(client, template_id, agent_profile_id=foreign["id"])
    assert field_error(response, 403)["path"] == "agent_profile_id"
    assert field_error(await _add(client, template_id, agent_profile_id=str(uuid.uuid4())))["path"] == (
        "agent_profile_id"
    )
    generic = await make_profile(client, name="Generic", focus="generic")
    error = field_error(await _add(client, template_id, agent_profile_id=generic["id"]))
    assert error["path"] == "agent_profile_id"
    assert "generic" in error["message"]
    # a human stage that names a profile gets the same checks
    assert field_error(await _add(client, template_id, type="manual_review", agent_profile_id=generic["id"]))
    deleted = await make_profile(client, name="Deleted")
    assert (await client.delete(f"/v1/agent-profiles/{deleted['id']}")).status_code == 204
    assert (
        field_error(await _add(client, template_id, agent_profile_id=deleted["id"]))["path"]
        == "agent_profile_id"
    )
    assert await _pipeline(client, template_id) == []


async def test_patch_is_partial_and_revalidated(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    stage = created(await _add(client, template_id, name="Manual", type="manual_review", pass_threshold=50))
    url = f"/v1/stages/{stage['id']}"
    response = await client.patch(url, json={"allow_retry": True, "name": "Manual check"})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["allow_retry"], patched["name"], patched["pass_threshold"]) == (True, "Manual check", 50)
    assert (patched["type"], patched["order"], patched["created_at"]) == (
        "manual_review",
        0,
        stage["created_at"],
    )
    assert patched["updated_at"] > stage["updated_at"]
    # becoming an AI stage needs a profile, in the same patch or already stored
    assert field_error(await client.patch(url, json={"type": "ai_interview"}))["path"] == "agent_profile_id"
    response = await client.patch(url, json={"type": "ai_interview", "agent_profile_id": profile_id})
    assert response.status_code == 200, response.text
    assert field_error(await client.patch(url, json={"agent_profile_id": None}))["path"] == "agent_profile_id"
    generic = await make_profile(client, name="Generic", focus="generic")
    assert (
        field_error(await client.patch(url, json={"agent_profile_id": generic["id"]}))["path"]
        == "agent_profile_id"
    )
    assert field_error(await client.patch(url, json={"pass_threshold": 101}))["path"] == "pass_threshold"
    assert field_error(await client.patch(url, json={"template_id": template_id}))["path"] == "template_id"
    assert field_error(await client.patch(url, json={"on_complete": "maybe"}))["path"] == "on_complete"
    final = (await client.get(url)).json()
    assert (final["type"], final["agent_profile_id"], final["pass_threshold"]) == (
        "ai_interview",
        profile_id,
        50,
    )
    response = await client.patch(url, json={"order": 7})
    assert response.status_code == 200, response.text
    assert await _pipeline(client, template_id) == [("Manual check", 7)]


async def test_delete_stage(client: httpx.AsyncClient) -> None:
    template_id, profile_id = await _setup(client)
    keep = created(await _add(client, template_id, name="Keep", agent_profile_id=profile_id))
    drop = created(await _add(client, template_id, name="Drop", agent_profile_id=profile_id))
    response = await client.delete(f"/v1/stages/{drop['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/v1/stages/{drop['id']}")).status_code == 404
    assert (await client.patch(f"/v1/stages/{drop['id']}", json={"name": "x"})).status_code == 404
    assert (await client.delete(f"/v1/stages/{drop['id']}")).status_code == 404
    assert await _pipeline(client, template_id) == [("Keep", 0)]
    assert (await client.get(f"/v1/stages/{keep['id']}")).status_code == 200


async def test_other_companies_stages_and_templates_are_403(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    other = await api.client("globex")
    their_template = await make_template(other)
    their_profile = await make_profile(other)
    their_stage = created(await _add(other, their_template["id"], agent_profile_id=their_profile["id"]))
    mine = await make_profile(client)
    for response in (
        await client.get(f"/v1/stages/{their_stage['id']}"),
        await client.patch(f"/v1/stages/{their_stage['id']}", json={"name": "x"}),
        await client.delete(f"/v1/stages/{their_stage['id']}"),
        await _add(client, their_template["id"], agent_profile_id=mine["id"]),
        await client.get(f"/v1/templates/{their_template['id']}/stages"),
        await client.put(
            f"/v1/templates/{their_template['id']}/stages/order", json={"stage_ids": [their_stage["id"]]}
        ),
    ):
        assert response.status_code == 403, response.text
    assert (await other.get(f"/v1/stages/{their_stage['id']}")).json() == their_stage


async def test_missing_template_is_404(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client)
    missing = str(uuid.uuid4())
    assert (await _add(client, missing, agent_profile_id=profile["id"])).status_code == 404
    assert (await client.get(f"/v1/templates/{missing}/stages")).status_code == 404
    assert (await client.get(f"/v1/stages/{missing}")).status_code == 404
    assert (await client.get("/v1/stages/NOT-AN-ID")).status_code == 422
