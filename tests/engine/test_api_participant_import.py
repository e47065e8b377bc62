"""POST /v1/participants/import and its .xlsx template: real workbooks made with openpyxl, rows created,
duplicates skipped, invalid rows naming their column and importing nothing, dry runs, invitations, and
files that are not workbooks (or are hostile ones) refused with a 422 naming `file`."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from config.participant_import import MAX_IMPORT_ROWS
from tests.engine.session_helpers import (
    error_paths,
    expect,
    listed,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock

URL = "/v1/participants/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["Name *", "Email *", "phone", "External ID", "title", "Experience Level", "skills", "tags"]
JSON = dict[str, Any]
FILE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def workbook(rows: Sequence[Sequence[Any]], header: Sequence[str | None] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER if header is None else header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient, content: bytes, template_id: str, name: str = "people.xlsx", **fields: str
) -> httpx.Response:
    return await client.post(
        URL, files={"file": (name, content, XLSX)}, data={"template_id": template_id, **fields}
    )


def file_error(response: httpx.Response) -> str:
    """The message of a 422 that names `file`."""
    assert response.status_code == 422, response.text
    assert error_paths(response) == {"file"}, response.text
    message: str = response.json()["error"]["message"]
    assert message.startswith("file: ")
    return message


async def participants_of(client: httpx.AsyncClient, template_id: str) -> list[JSON]:
    return await listed(client, "/v1/participants", template_id=template_id)


async def test_rows_are_created_and_duplicates_skipped(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    existing = await make_participant(client, email="jane@example.com", evaluation_template_id=template["id"])
    content = workbook(
        [
            [
                "Ann Lee",
                "Ann@Example.com",
                "+49 30 1234567",
                "ats-1",
                "Engineer",
                "senior",
                "Go, Kafka",
                "a,b",
            ],
            ["Jane Again", "JANE@example.com"],  # already a participant of the template
            [None, None, None],  # blank: skipped, numbering goes on
            ["Bob Stone", "bob@example.com", 4930123456, None, None, None, None, None],
            ["Ann Twice", "ann@example.com"],  # repeats row 2
        ]
    )
    body = expect(await upload(client, content, template["id"]), 200)
    assert (body["dry_run"], body["created"], body["skipped"], body["invalid"]) == (False, 2, 2, 0)
    results = body["results"]
    assert [(r["row"], r["status"], r["email"]) for r in results] == [
        (2, "created", "ann@example.com"),
        (3, "duplicate", "jane@example.com"),
        (5, "created", "bob@example.com"),
        (6, "duplicate", "ann@example.com"),
    ]
    assert results[1]["participant_id"] == existing["id"]
    assert results[3]["participant_id"] == results[0]["participant_id"]
    assert results[3]["duplicate_of_row"] == 2
    assert all(r["errors"] == [] and r["session_id"] is None for r in results)

    ann = expect(await client.get(f"/v1/participants/{results[0]['participant_id']}"), 200)
    assert ann["name"] == "Ann Lee"
    assert ann["phone"] == "+49 30 1234567"
    assert ann["external_id"] == "ats-1"
    assert ann["evaluation_template_id"] == template["id"]
    assert ann["profile"]["title"] == "Engineer"
    assert ann["profile"]["experienceLevel"] == "senior"
    assert ann["background"]["skills"] == ["Go", "Kafka"]
    assert ann["tags"] == ["a", "b"]
    bob = expect(await client.get(f"/v1/participants/{results[2]['participant_id']}"), 200)
    assert bob["phone"] == "4930123456"  # a number cell, read as the digits typed
    assert len(await participants_of(client, template["id"])) == 3
    assert await listed(client, "/v1/sessions", template_id=template["id"]) == []  # invite defaults off


async def test_an_invalid_row_imports_nothing_and_a_dry_run_reports_the_same(
    client: httpx.AsyncClient,
) -> None:
    template = await make_template(client)
    content = workbook(
        [
            ["Ann Lee", "ann@example.com"],
            ["Bad Email", "not-an-email"],
            ["Bad Phone", "phone@example.com", "call me maybe"],
            ["", "noname@example.com", None, None, None, None, None, "ok, " + "x" * 65],
        ]
    )
    response = await upload(client, content, template["id"])
    message = file_error(response)
    assert "3 invalid rows (3, 4, 5); nothing was imported" in message
    details = response.json()["error"]["details"]
    assert (details["created"], details["invalid"], details["dry_run"]) == (1, 3, False)
    by_row = {r["row"]: r for r in details["results"]}
    assert by_row[2]["status"] == "would_create"
    assert by_row[2]["participant_id"] is None
    assert [(e["column"], by_row[3]["status"]) for e in by_row[3]["errors"]] == [("email", "invalid")]
    assert "@-sign" in by_row[3]["errors"][0]["message"]
    assert [e["column"] for e in by_row[4]["errors"]] == ["phone"]
    assert by_row[4]["errors"][0]["message"] == "use only digits, spaces and + - ( ) ."
    assert sorted(e["column"] for e in by_row[5]["errors"]) == ["name", "tags"]
    assert any(e["message"].startswith("item 2: ") for e in by_row[5]["errors"])
    assert await participants_of(client, template["id"]) == []

    dry = expect(await upload(client, content, template["id"], dry_run="true"), 200)
    assert (dry["dry_run"], dry["created"], dry["invalid"]) == (True, 1, 3)
    assert dry["results"] == details["results"]
    assert await participants_of(client, template["id"]) == []

    good = workbook([["Ann Lee", "ann@example.com"], ["Bo", "bo@example.com"]])
    dry = expect(await upload(client, good, template["id"], dry_run="true", invite="true"), 422)
    assert error_paths_of(dry) == {"invite"}  # no stage to invite to, dry run or not
    dry = expect(await upload(client, good, template["id"], dry_run="true"), 200)
    assert [r["status"] for r in dry["results"]] == ["would_create", "would_create"]
    assert await participants_of(client, template["id"]) == []


def error_paths_of(body: JSON) -> set[str]:
    return {f["path"] for f in body["error"]["details"]["fields"]}


async def test_invite_books_first_stage_sessions_with_invitations(
    client: httpx.AsyncClient, clock: StepClock
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    first = await make_stage(client, template["id"], profile["id"], name="Screen")
    await make_stage(client, template["id"], profile["id"], name="Technical")
    later = (clock.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
    header = ["name", "email", "schedule_time"]
    past = (clock.now() - timedelta(days=1)).isoformat()
    refused = await upload(
        client, workbook([["Ann", "ann@example.com", past]], header), template["id"], invite="true"
    )
    row = refused.json()["error"]["details"]["results"][0]
    assert (row["status"], row["errors"][0]["column"]) == ("invalid", "schedule_time")
    assert row["errors"][0]["message"] == "must not be in the past"
    naive = await upload(
        client,
        workbook([["Ann", "ann@example.com", "2026-03-04 09:00"]], header),
        template["id"],
        invite="true",
    )
    assert naive.json()["error"]["details"]["results"][0]["errors"][0]["column"] == "schedule_time"

    content = workbook([["Ann", "ann@example.com", later], ["Bob", "bob@example.com", None]], header)
    body = expect(await upload(client, content, template["id"], invite="true"), 200)
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    for result, start in zip(body["results"], [later, None], strict=True):
        session = expect(await client.get(f"/v1/sessions/{result['session_id']}"), 200)
        assert session["participant_id"] == result["participant_id"]
        assert (session["stage_id"], session["status"]) == (first["id"], "scheduled")
        if start is not None:
            assert session["schedule_time"].replace("Z", "+00:00") == start.replace("Z", "+00:00")
        emails = expect(await client.get(f"/v1/sessions/{result['session_id']}/emails"), 200)["data"]
        # (The sender may have planned a reminder already; the invitation is there, once.)
        invitations = [e["to"] for e in emails if e["kind"] == "invitation"]
        assert invitations == [result["email"]]

    # Importing the same file again: both are duplicates, and no second session is booked.
    again = expect(await upload(client, content, template["id"], invite="true"), 200)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert len(await listed(client, "/v1/sessions", template_id=template["id"])) == 2


async def test_scopes_and_the_template_field(api: ApiClients, client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    content = workbook([["Ann", "ann@example.com"]])
    reader = await api.client("acme", scopes=["read:participants"])
    assert (await upload(reader, content, template["id"])).status_code == 403
    writer = await api.client("acme", scopes=["write:participants"])
    assert (await upload(writer, content, template["id"], invite="true")).status_code == 403
    assert error_paths(await upload(client, content, str(uuid.uuid4()))) == {"template_id"}
    assert error_paths(await upload(client, content, "not-an-id")) == {"template_id"}
    other = await make_template(await api.client("globex"))
    assert (await upload(client, content, other["id"])).status_code == 403
    missing = await client.post(URL, data={"template_id": template["id"]})
    assert error_paths(missing) == {"file"}
    expect(await upload(writer, content, template["id"]), 200)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_member(content: bytes, name: str, data: bytes) -> bytes:
    """The workbook with one part replaced."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        members = {n: source.read(n) for n in source.namelist()}
    return _zip({**members, name: data})


@FILE_ONLY
async def test_files_that_are_not_good_workbooks_are_422_naming_file(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    good = workbook([["Ann", "ann@example.com"]])
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 100_000
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    cases = {
        "text renamed": (b"name,email\nAnn,ann@example.com\n", "not an Excel workbook"),
        "empty": (b"", "empty"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
        "zip bomb": (bomb, "unpacks to 40 MB; the limit is 30 MB"),
        "plain zip": (_zip({"hello.txt": b"hi"}), "not an Excel workbook"),
        "truncated": (good[: len(good) // 2], "damaged"),
        "broken sheet": (
            _with_member(good, "xl/worksheets/sheet1.xml", b"<worksheet><oops"),
            "could not be read",
        ),
        "entities": (_with_member(good, "xl/worksheets/sheet1.xml", laughs), "could not be read"),
        "unknown column": (workbook([["Ann", "a@example.com"]], ["name", "email", "shoe size"]), "shoe_size"),
        "no email column": (workbook([["Ann"]], ["name"]), "lacks the required columns email"),
        "twice": (workbook([], ["name", "email", "Email"]), "columns appear twice: email"),
        "no header": (workbook([], [None]), "no header row"),
        "header only": (workbook([[None], [" "]]), "no participants"),
        "too many rows": (
            workbook([[f"P{i}", f"p{i}@example.com"] for i in range(MAX_IMPORT_ROWS + 1)]),
            f"more than {MAX_IMPORT_ROWS} participants",
        ),
    }
    for label, (content, expected) in cases.items():
        message = file_error(await upload(client, content, template["id"]))
        assert expected in message, (label, message)
    unknown = await upload(client, cases["unknown column"][0], template["id"])
    assert unknown.json()["error"]["details"]["unknown_columns"] == ["shoe_size"]
    assert await participants_of(client, template["id"]) == []
    # Exactly the limit is fine, and blank rows do not count towards it.
    rows: list[list[Any]] = [[f"P{i}", f"p{i}@example.com"] for i in range(MAX_IMPORT_ROWS)]
    rows.insert(3, [None, None])
    body = expect(await upload(client, workbook(rows), template["id"], dry_run="true"), 200)
    assert body["created"] == MAX_IMPORT_ROWS


@FILE_ONLY
async def test_upload_size_limits(client: httpx.AsyncClient) -> None:
    template = await make_template(client)
    big = b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024)  # over the file's 2 MB, under the route's body limit
    assert "larger than 2 MB" in file_error(await upload(client, big, template["id"]))
    # Other routes keep the small JSON limit.
    too_big = await client.post(
        "/v1/participants", content=b" " * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413


@FILE_ONLY
async def test_the_template_downloads_and_imports_once_filled(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    reader = await api.client("acme", scopes=["read:participants"])
    response = await reader.get("/v1/participants/import-template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Participants", "How to fill"]
    sheet = book["Participants"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "name *",
        "email *",
        "phone",
        "external_id",
        "title",
        "organization",
        "experience_level",
        "location",
        "skills",
        "education",
        "languages",
        "tags",
        "schedule_time",
    ]
    assert [c.font.bold for c in sheet[1]][:3] == [True, True, False]
    help_text = " ".join(str(c.value) for row in book["How to fill"].iter_rows() for c in row if c.value)
    assert "comma-separated" in help_text
    assert "ISO 8601" in help_text

    template = await make_template(client)
    sheet.append(["Ann Lee", "ann@example.com", "+1 (555) 010-9999", None, None, None, None, None, "Go"])
    out = io.BytesIO()
    book.save(out)
    body = expect(await upload(client, out.getvalue(), template["id"]), 200)
    assert [r["status"] for r in body["results"]] == ["created"]
    person = expect(await client.get(f"/v1/participants/{body['results'][0]['participant_id']}"), 200)
    assert (person["phone"], person["background"]["skills"]) == ("+1 (555) 010-9999", ["Go"])
    writer = await api.client("acme", scopes=["write:participants"])
    assert (await writer.get("/v1/participants/import-template.xlsx")).status_code == 403
