"""The README's walkthrough, through the API in-process on both backends."""

from __future__ import annotations

import httpx

from tests.helpers import participant_body, profile_body, template_body


async def test_profile_template_two_stages_participant_session_join_link(client: httpx.AsyncClient) -> None:
    profile = (await client.post("/v1/agent-profiles", json=profile_body())).json()
    template = (await client.post("/v1/templates", json=template_body())).json()
    assert template["success_outcome"] == "hire_no_hire"
    stage_ids = []
    for name in ("Phone Screen", "Technical"):
        r = await client.post(
            f"/v1/templates/{template['id']}/stages", json={"name": name, "agent_profile_id": profile["id"]}
        )
        assert r.status_code == 201, r.text
        stage_ids.append(r.json()["id"])
    stages = (await client.get(f"/v1/templates/{template['id']}/stages")).json()["data"]
    assert [s["order"] for s in stages] == [0, 1]
    r = await client.post("/v1/participants", json=participant_body(evaluation_template_id=template["id"]))
    assert r.status_code == 201, r.text
    r = await client.post("/v1/sessions", json={"participant_id": r.json()["id"], "stage_id": stage_ids[0]})
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["status"] == "scheduled"
    assert session["agent_profile_id"] == profile["id"]
    assert session["external_id"] == "greenhouse-8821"
    link = (await client.get(f"/v1/sessions/{session['id']}/join-link")).json()
    assert link["url"].startswith("https://interviews.example.test/join/")
    token = link["url"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
