"""Resume files kept with participants on local disk (the embedded default): parsed once, tied to the
participant created from them by `resume_file_id` (POST /v1/participants, /bulk, a session's inline
participant), downloaded as an attachment by the same company only, and deleted with the participant or
after 24 hours unclaimed. The bucket variant is in test_resume_files_bucket.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import Settings
from tests.engine import field_error
from tests.engine.session_helpers import book, inline_participant, make_profile, make_stage, make_template
from tests.helpers import ApiClients, participant_body
from tests.resume_files import minimal_pdf

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PARSE = "/v1/resumes/parse"
PDF = minimal_pdf(["Jane Smith", "jane.smith@example.com", "Backend Engineer at Acme"])


async def parse(client: httpx.AsyncClient, *files: tuple[str, bytes, str], keep: bool = True) -> list[Any]:
    response = await client.post(
        PARSE, files=[("files", f) for f in files], params={} if keep else {"keep": "false"}
    )
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    return results


def kept_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "resumes"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_parsed_resume_is_kept_with_the_participant_created_from_it(
    api: ApiClients, settings: Settings
) -> None:
    """On both stores: the claim is one conditional UPDATE."""
    acme = await api.client("acme")
    globex = await api.client("globex")
    [jane, bad] = await parse(
        acme, ("jane.pdf", PDF, "application/octet-stream"), ("photo.png", b"\x89PNG\r\n", "image/png")
    )
    assert jane["status"] == "parsed"
    assert jane["resume_file_id"]
    assert bad["status"] == "error"
    assert bad["resume_file_id"] is None
    [stored] = kept_files(settings)
    assert stored.read_bytes() == PDF
    assert stored.parent.name != ""
    assert jane["resume_file_id"] == stored.name

    # Another company cannot claim it, and is told the same as for an id that never existed.
    refused = await globex.post(
        "/v1/participants", json=participant_body(resume_file_id=jane["resume_file_id"])
    )
    assert field_error(refused)["path"] == "resume_file_id"
    assert (await globex.get("/v1/participants")).json()["data"] == []

    created = await acme.post(
        "/v1/participants", json=participant_body(resume_file_id=jane["resume_file_id"])
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert "resume_file_id" not in person
    uploaded_at = person["resume"].pop("uploaded_at")
    assert uploaded_at < person["created_at"]  # at the parse, before the participant
    assert person["resume"] == {
        "filename": "jane.pdf",
        "content_type": "application/pdf",  # told from the bytes, not the declared octet-stream
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    person["resume"]["uploaded_at"] = uploaded_at
    assert (await acme.get(f"/v1/participants/{person['id']}")).json()["resume"] == person["resume"]
    [listed] = (await acme.get("/v1/participants")).json()["data"]
    assert listed["resume"] == person["resume"]

    download = await acme.get(f"/v1/participants/{person['id']}/resume")
    assert download.status_code == 200, download.text
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''jane.pdf" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    # Another company: 403, as for any participant it does not own (seed 004), and no byte of the file.
    foreign = await globex.get(f"/v1/participants/{person['id']}/resume")
    assert foreign.status_code == 403
    assert foreign.headers["content-type"] == "application/json"
    # Read scope suffices; a key without it is refused.
    reader = await api.client("acme", scopes=["read:participants"])
    assert (await reader.get(f"/v1/participants/{person['id']}/resume")).status_code == 200
    blind = await api.client("acme", scopes=["read:sessions"])
    assert (await blind.get(f"/v1/participants/{person['id']}/resume")).status_code == 403

    # Used once: a second participant cannot take the same file.
    again = await acme.post(
        "/v1/participants",
        json=participant_body(email="other@example.com", resume_file_id=jane["resume_file_id"]),
    )
    assert field_error(again)["path"] == "resume_file_id"

    # A participant without a file has none to download.
    plain = (await acme.post("/v1/participants", json=participant_body(email="p@example.com"))).json()
    assert plain["resume"] is None
    assert (await acme.get(f"/v1/participants/{plain['id']}/resume")).status_code == 404

    # Deleting the participant deletes the file.
    assert (await acme.delete(f"/v1/participants/{person['id']}")).status_code == 204
    assert kept_files(settings) == []
    assert (await acme.get(f"/v1/participants/{person['id']}/resume")).status_code == 404


@SQLITE
async def test_html_is_never_served_as_html(api: ApiClients) -> None:
    acme = await api.client("acme")
    page = b"<html><body><script>alert(document.cookie)</script>Jane Smith jane@example.com</body></html>"
    [result] = await parse(acme, ("cv.txt", page, "text/html"))
    assert result["status"] == "parsed", result
    person = (
        await acme.post("/v1/participants", json=participant_body(resume_file_id=result["resume_file_id"]))
    ).json()
    download = await acme.get(f"/v1/participants/{person['id']}/resume")
    assert download.content == page
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


@SQLITE
async def test_sessions_and_bulk_claim_uploads_and_unclaimed_ones_expire(
    api: ApiClients, settings: Settings
) -> None:
    acme = await api.client("acme")
    template = await make_template(acme)
    profile = await make_profile(acme)
    stage = await make_stage(acme, template["id"], profile["id"])
    one, two, three, late = (
        r["resume_file_id"]
        for r in await parse(
            acme,
            ("one.pdf", PDF, "application/pdf"),
            ("two.pdf", PDF, "application/pdf"),
            ("three.pdf", PDF, "application/pdf"),
            ("late.pdf", PDF, "application/pdf"),
        )
    )
    assert (await parse(acme, ("x.pdf", PDF, "application/pdf"), keep=False))[0]["resume_file_id"] is None
    assert len(kept_files(settings)) == 4

    # The dashboard's way: a session booked with the participant inline.
    booked = await book(
        acme,
        participant=inline_participant(evaluation_template_id=template["id"], resume_file_id=one),
        stage_id=stage["id"],
    )
    person = (await acme.get(f"/v1/participants/{booked['participant_id']}")).json()
    assert person["resume"]["filename"] == "one.pdf"
    # A refused booking ties nothing: the upload stays claimable.
    refused = await acme.post(
        "/v1/sessions",
        json={"participant": inline_participant(resume_file_id=two), "stage_id": "0" * 36},
    )
    assert refused.status_code in (404, 422), refused.text
    bad_claim = await acme.post(
        "/v1/sessions",
        json={"participant": inline_participant(resume_file_id=one), "stage_id": stage["id"]},
    )
    assert field_error(bad_claim)["path"] == "participant.resume_file_id"

    # Bulk: a row naming a used upload fails the batch, naming the row.
    rows = [
        participant_body(email="a@example.com", resume_file_id=two),
        participant_body(email="b@example.com"),
    ]
    rows[1]["resume_file_id"] = one
    refused_bulk = await acme.post("/v1/participants/bulk", json={"participants": rows})
    assert field_error(refused_bulk)["path"] == "participants[1].resume_file_id"
    del rows[1]["resume_file_id"]
    summary = (await acme.post("/v1/participants/bulk", json={"participants": rows})).json()
    assert summary["created"] == 2
    a = (await acme.get(f"/v1/participants/{summary['results'][0]['id']}")).json()
    assert a["resume"]["filename"] == "two.pdf"

    # 24 hours later the unclaimed uploads are refused, and the next parse sweeps their files away.
    api.clock.advance(timedelta(hours=24, seconds=1))
    expired = await acme.post(
        "/v1/participants", json=participant_body(email="late@example.com", resume_file_id=late)
    )
    assert field_error(expired)["path"] == "resume_file_id"
    names = {p.name for p in kept_files(settings)}
    assert {three, late} <= names
    await parse(acme, ("new.pdf", PDF, "application/pdf"))
    names = {p.name for p in kept_files(settings)}
    assert three not in names
    assert late not in names
    assert {one, two} <= names  # claimed files stay as long as their participant
