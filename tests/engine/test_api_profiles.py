"""/v1/agent-profiles over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.engine import collect_pages, created, field_error, make_profile, make_template
from tests.helpers import ApiClients, participant_body, profile_body

URL = "/v1/agent-profiles"


def full_profile() -> dict[str, Any]:
    return profile_body(
        name="Retail Roleplay Coach",
        intro="Sam, a store manager at Acme.",
        use_case="training",
        focus="outreach",
        rubric=[
            {"name": "Empathy", "description": "Acknowledges the customer", "weight": 33.33},
            {"name": "Resolution", "description": "Solves the problem", "weight": 33.33},
            {"name": "Policy", "description": "Stays within policy", "weight": 33.34},
        ],
        behavior={"tone": "challenging", "style": "adaptive", "difficulty": "hard", "probingDepth": "high"},
        scoring={"scale": "0-5", "scoringMethod": "rule_based", "recommendationLogic": "all >= 4 -> ready"},
        grounding={
            "organizationContext": "Acme sells outdoor gear.",
            "domainContext": "Retail returns.",
            "scenarioContext": "An angry customer wants a refund.",
        },
        scorecard={
            "includeTranscript": False,
            "includeScoreBreakdown": True,
            "includeRecommendation": False,
            "includeImprovementFeedback": True,
        },
        voice={"engine": "espeak", "name": "en-gb-x-rp+f3", "rate": 150, "pitch": 60},
    )


async def test_create_echoes_every_field_with_camel_case_aliases(client: httpx.AsyncClient) -> None:
    body = full_profile()
    profile = created(await client.post(URL, json=body))
    uuid.UUID(profile["id"])
    assert profile["created_at"] == profile["updated_at"]
    for key, value in body.items():
        assert profile[key] == value, key
    assert set(profile) == set(body) | {"id", "created_at", "updated_at"}
    fetched = await client.get(f"{URL}/{profile['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == profile


async def test_create_fills_defaults(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client, name="  Padded Name  ")
    assert profile["name"] == "Padded Name"
    assert profile["intro"] == ""
    assert (profile["use_case"], profile["focus"]) == ("hiring", "screening")
    assert profile["behavior"] == {
        "tone": "professional",
        "style": "structured",
        "difficulty": "medium",
        "probingDepth": "medium",
    }
    assert profile["scoring"] == {
        "scale": "0-10",
        "scoringMethod": "weighted_average",
        "recommendationLogic": None,
    }
    assert profile["scorecard"] == {
        "includeTranscript": True,
        "includeScoreBreakdown": True,
        "includeRecommendation": True,
        "includeImprovementFeedback": True,
    }
    assert profile["grounding"] == {
        "organizationContext": None,
        "domainContext": None,
        "scenarioContext": None,
    }
    assert [d["description"] for d in profile["rubric"]] == ["", ""]
    # No engine: the server's IE_TTS__ENGINE speaks.
    assert profile["voice"] == {"engine": None, "name": "en-us", "rate": 170, "pitch": 50}


async def test_list_pages_newest_first_with_each_profile_once(client: httpx.AsyncClient) -> None:
    ids = [(await make_profile(client, name=f"P{i}"))["id"] for i in range(5)]
    items = await collect_pages(client, URL, limit=2)
    assert [p["id"] for p in items] == ids[::-1]
    first = (await client.get(URL, params={"limit": 2})).json()
    assert len(first["data"]) == 2
    assert first["next_cursor"]
    everything = (await client.get(URL)).json()
    assert [p["id"] for p in everything["data"]] == ids[::-1]
    assert everything["next_cursor"] is None


async def test_list_filters_by_focus_and_name(client: httpx.AsyncClient) -> None:
    screening = await make_profile(client, name="Screener")
    generic = await make_profile(client, name="Generic", focus="generic")
    language = await make_profile(client, name="Linguist", focus="language_test")
    twin = await make_profile(client, name="Linguist")

    async def ids(**params: Any) -> list[str]:
        response = await client.get(URL, params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert await ids(focus="generic") == [generic["id"]]
    assert await ids(focus="screening") == [twin["id"], screening["id"]]
    assert await ids(focus="outreach") == []
    assert await ids(name="Linguist") == [twin["id"], language["id"]]
    assert await ids(name="Linguist", focus="language_test") == [language["id"]]
    assert await ids(name="linguist") == []
    assert (await client.get(URL, params={"focus": "chatty"})).status_code == 422


async def test_patch_changes_only_what_is_sent(client: httpx.AsyncClient) -> None:
    profile = created(await client.post(URL, json=full_profile()))
    response = await client.patch(
        f"{URL}/{profile['id']}", json={"intro": "Riley, a shift lead.", "behavior": {"probingDepth": "low"}}
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["intro"] == "Riley, a shift lead."
    # a nested object is replaced whole: what it leaves out takes its default
    assert patched["behavior"] == {
        "tone": "professional",
        "style": "structured",
        "difficulty": "medium",
        "probingDepth": "low",
    }
    for key in ("name", "rubric", "scoring", "grounding", "scorecard", "focus", "use_case", "created_at"):
        assert patched[key] == profile[key], key
    assert patched["updated_at"] > profile["updated_at"]
    assert (await client.get(f"{URL}/{profile['id']}")).json() == patched

    rubric = [{"name": "Only", "weight": 100}]
    response = await client.patch(f"{URL}/{profile['id']}", json={"rubric": rubric, "focus": "screening"})
    assert response.status_code == 200, response.text
    assert response.json()["rubric"] == [{"name": "Only", "description": "", "weight": 100.0}]
    assert response.json()["focus"] == "screening"
    assert response.json()["behavior"]["probingDepth"] == "low"


async def test_patch_is_validated_and_names_the_field(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client)
    url = f"{URL}/{profile['id']}"
    bad_weight = {"rubric": [{"name": "A", "weight": 50}, {"name": "B", "weight": 50.005}]}
    assert field_error(await client.patch(url, json=bad_weight))["path"] == "rubric[1].weight"
    wrong_sum = {"rubric": [{"name": "A", "weight": 50}, {"name": "B", "weight": 49.99}]}
    error = field_error(await client.patch(url, json=wrong_sum))
    assert error["path"] == "rubric"
    assert "sum to exactly 100" in error["message"]
    rule_based = {"scoring": {"scoringMethod": "rule_based"}}
    assert field_error(await client.patch(url, json=rule_based))["path"] == "scoring.recommendationLogic"
    assert field_error(await client.patch(url, json={"name": None}))["path"] == "name"
    assert field_error(await client.patch(url, json={"rubric": None}))["path"] == "rubric"
    assert field_error(await client.patch(url, json={"behaviour": {}}))["path"] == "behaviour"
    # nothing of the refused patches was stored
    assert (await client.get(url)).json() == profile


async def test_bad_input_is_422_with_the_field_path(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (
            profile_body(rubric=[{"name": "A", "weight": 50}, {"name": "B", "weight": 33.333}]),
            "rubric[1].weight",
        ),
        (profile_body(rubric=[{"name": "A", "weight": 50}, {"name": "a", "weight": 50}]), "rubric"),
        (profile_body(rubric=[{"name": "A", "weight": "100"}]), "rubric[0].weight"),
        (profile_body(rubric=[]), "rubric"),
        (profile_body(behavior={"probingDepth": "bottomless"}), "behavior.probingDepth"),
        (
            profile_body(scoring={"scoringMethod": "rule_based", "recommendationLogic": " "}),
            "scoring.recommendationLogic",
        ),
        (profile_body(scoring={"scale": "1-7"}), "scoring.scale"),
        (profile_body(focus="sales"), "focus"),
        (profile_body(name=""), "name"),
        (profile_body(intro="hello\x00"), "intro"),
        (profile_body(colour="blue"), "colour"),
        (profile_body(scorecard={"includeTranscript": True, "includeVideo": True}), "scorecard.includeVideo"),
        (profile_body(voice={"engine": "festival"}), "voice.engine"),
    ]
    for body, path in cases:
        error = field_error(await client.post(URL, json=body))
        assert error["path"] == path, (body, error)
        assert error["in"] == "body"
    missing = field_error(await client.post(URL, json={"name": "x"}))
    assert (missing["path"], missing["type"]) == ("rubric", "missing")
    assert (await client.get(URL)).json()["data"] == []


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, content=b'{"name": "x", ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    response = await client.post(URL, json=[1, 2])
    assert response.status_code == 422
    # JSON may spell a lone surrogate, and Python's parser also takes NaN: neither can be stored
    for raw, path in (
        (b'{"name": "\\ud800", "rubric": [{"name": "A", "weight": 100}]}', "name"),
        (b'{"name": "x", "rubric": [{"name": "A", "weight": NaN}]}', "rubric[0].weight"),
        (b'{"name": "x", "rubric": [{"name": "A", "weight": 1e400}]}', "rubric[0].weight"),
    ):
        response = await client.post(URL, content=raw, headers={"content-type": "application/json"})
        assert field_error(response)["path"] == path, raw
    assert (await client.get(URL)).json()["data"] == []


async def test_delete_then_gone_everywhere(client: httpx.AsyncClient) -> None:
    keep = await make_profile(client, name="Keep")
    drop = await make_profile(client, name="Drop")
    response = await client.delete(f"{URL}/{drop['id']}")
    assert response.status_code == 204
    assert response.content == b""
    missing = await client.get(f"{URL}/{drop['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert [p["id"] for p in (await client.get(URL)).json()["data"]] == [keep["id"]]
    assert (await client.get(URL, params={"name": "Drop"})).json()["data"] == []
    assert (await client.delete(f"{URL}/{drop['id']}")).status_code == 404
    assert (await client.patch(f"{URL}/{drop['id']}", json={"intro": "x"})).status_code == 404


async def test_profile_used_by_a_stage_cannot_be_deleted_until_the_stage_goes(
    client: httpx.AsyncClient,
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = created(
        await client.post(
            f"/v1/templates/{template['id']}/stages",
            json={"name": "Screen", "agent_profile_id": profile["id"]},
        )
    )
    response = await client.delete(f"{URL}/{profile['id']}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"]["stage_ids"] == [stage["id"]]
    assert (await client.get(f"{URL}/{profile['id']}")).status_code == 200
    assert (await client.delete(f"/v1/stages/{stage['id']}")).status_code == 204
    assert (await client.delete(f"{URL}/{profile['id']}")).status_code == 204


async def test_profile_used_by_a_stage_cannot_turn_generic(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    stage_body = {"name": "Screen", "agent_profile_id": profile["id"]}
    created(await client.post(f"/v1/templates/{template['id']}/stages", json=stage_body))
    response = await client.patch(f"{URL}/{profile['id']}", json={"focus": "generic"})
    error = field_error(response, 409)
    assert error["path"] == "focus"
    assert (await client.get(f"{URL}/{profile['id']}")).json()["focus"] == "screening"
    unused = await make_profile(client, name="Unused")
    response = await client.patch(f"{URL}/{unused['id']}", json={"focus": "generic"})
    assert response.status_code == 200, response.text
    assert response.json()["focus"] == "generic"


async def test_other_companies_profiles_are_403_and_unlisted(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    other = await api.client("globex")
    theirs = await make_profile(other, name="Theirs")
    mine = await make_profile(client, name="Mine")
    url = f"{URL}/{theirs['id']}"
    for response in (
        await client.get(url),
        await client.patch(url, json={"intro": "hijacked"}),
        await client.delete(url),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert [p["id"] for p in (await client.get(URL)).json()["data"]] == [mine["id"]]
    assert (await other.get(url)).json()["intro"] == theirs["intro"]


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{URL}/{uuid.uuid4()}")
    assert response.status_code == 404
    response = await client.get(f"{URL}/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["in"] == "path"
    response = await client.get(URL, params={"cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 400


async def test_scopes_are_enforced(api: ApiClients) -> None:
    reader = await api.client("acme", scopes=["read:agent_profiles"])
    writer = await api.client("acme", scopes=["write:agent_profiles"])
    response = await reader.post(URL, json=profile_body())
    assert response.status_code == 403
    assert response.json()["error"]["details"]["missing_scopes"] == ["write:agent_profiles"]
    profile = created(await writer.post(URL, json=profile_body()))
    assert (await writer.get(URL)).status_code == 403
    assert (await writer.delete(f"{URL}/{profile['id']}")).status_code == 403
    assert (await reader.get(f"{URL}/{profile['id']}")).status_code == 200
    assert (await api.raw_client().get(URL)).status_code == 401


async def test_profile_with_open_sessions_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    person = created(
        await client.post("/v1/participants", json=participant_body(evaluation_template_id=template["id"]))
    )
    booking = {"participant_id": person["id"], "agent_profile_id": profile["id"]}
    session = created(await client.post("/v1/sessions", json=booking))
    response = await client.delete(f"{URL}/{profile['id']}")
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"stage_ids": [], "session_ids": [session["id"]]}
    assert (await client.post(f"/v1/sessions/{session['id']}/cancel")).status_code == 200
    assert (await client.delete(f"{URL}/{profile['id']}")).status_code == 204
