"""Participant validation: email normalisation, nested profile/background, tags, bulk bounds."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from config.participants import (
    MAX_BULK,
    ParticipantCreate,
    ParticipantsBulkCreate,
    ParticipantUpdate,
    normalize_email,
)


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in exc.value.errors()]


def _person(**body: Any) -> dict[str, Any]:
    return {"name": "Jane Smith", "email": "jane@example.com", **body}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("jane@example.com", "jane@example.com"),
        ("Jane@Example.COM", "jane@example.com"),
        ("JANE.SMITH+ATS@EXAMPLE.CO.UK", "jane.smith+ats@example.co.uk"),
        ("  jane@example.com  ", "jane@example.com"),
    ],
)
def test_email_is_stored_lower_cased(raw: str, stored: str) -> None:
    assert ParticipantCreate.model_validate(_person(email=raw)).email == stored
    assert normalize_email(raw) == stored


@pytest.mark.parametrize(
    "email", ["", "jane", "jane@", "@example.com", "jane@@example.com", "jane example@x.com"]
)
def test_invalid_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ParticipantCreate.model_validate(_person(email=email))
    assert _errors(exc)[0][0] == ("email",)


@pytest.mark.parametrize("missing", ["name", "email"])
def test_name_and_email_are_required(missing: str) -> None:
    body = _person()
    del body[missing]
    with pytest.raises(ValidationError) as exc:
        ParticipantCreate.model_validate(body)
    assert _errors(exc) == [((missing,), "Field required")]


def test_full_participant_with_aliases() -> None:
    template_id = str(uuid.uuid4())
    body = _person(
        evaluation_template_id=template_id.upper(),
        external_id="greenhouse-8821",
        profile={
            "title": "Engineer",
            "organization": "Acme",
            "experienceLevel": "senior",
            "location": "Oslo",
        },
        background={"skills": ["Go"], "education": "MSc", "languages": ["en", "no"]},
        resume_url="https://files.example.com/jane.pdf",
        tags=["senior", "backend"],
        gdpr_expiry_date="2027-01-31",
    )
    person = ParticipantCreate.model_validate(body)
    assert person.evaluation_template_id == template_id
    assert person.profile.experience_level == "senior"
    assert person.gdpr_expiry_date == date(2027, 1, 31)
    dumped = person.model_dump(mode="json")
    assert dumped["profile"] == body["profile"]
    assert dumped["background"] == body["background"]
    assert dumped["resume_url"] == "https://files.example.com/jane.pdf"


def test_defaults_are_empty() -> None:
    person = ParticipantCreate.model_validate(_person())
    assert person.evaluation_template_id is None
    assert person.tags == []
    assert person.background.skills == []
    assert person.background.languages == []
    assert person.profile.title is None
    assert person.resume_url is None
    assert person.external_id is None


def test_tags_are_stripped_and_deduplicated_in_order() -> None:
    person = ParticipantCreate.model_validate(_person(tags=["remote", " senior ", "remote", "senior"]))
    assert person.tags == ["remote", "senior"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (_person(tags=["ok", ""]), ("tags", 1)),
        (_person(tags=["x" * 65]), ("tags", 0)),
        (_person(tags=[f"t{i}" for i in range(21)]), ("tags",)),
        (_person(resume_url="ftp://example.com/cv.pdf"), ("resume_url",)),
        (_person(resume_url="not a url"), ("resume_url",)),
        (_person(evaluation_template_id="123"), ("evaluation_template_id",)),
        (_person(gdpr_expiry_date="31/01/2027"), ("gdpr_expiry_date",)),
        (_person(profile={"experience": "senior"}), ("profile", "experience")),
        (_person(background={"skills": "Go"}), ("background", "skills")),
        (_person(nickname="JJ"), ("nickname",)),
    ],
)
def test_field_errors_are_located(body: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        ParticipantCreate.model_validate(body)
    assert _errors(exc)[0][0] == loc


def test_bulk_is_one_to_500_rows_and_locates_a_bad_row() -> None:
    rows = [_person(email=f"p{i}@example.com") for i in range(MAX_BULK)]
    assert len(ParticipantsBulkCreate.model_validate({"participants": rows}).participants) == MAX_BULK
    with pytest.raises(ValidationError) as exc:
        ParticipantsBulkCreate.model_validate({"participants": [*rows, _person(email="extra@example.com")]})
    assert _errors(exc)[0][0] == ("participants",)
    with pytest.raises(ValidationError) as exc:
        ParticipantsBulkCreate.model_validate({"participants": []})
    assert _errors(exc)[0][0] == ("participants",)
    with pytest.raises(ValidationError) as exc:
        ParticipantsBulkCreate.model_validate({"participants": [_person(), _person(email="bad")]})
    assert _errors(exc)[0][0] == ("participants", 1, "email")


def test_bulk_keeps_in_batch_duplicates_for_the_service_to_report() -> None:
    bulk = ParticipantsBulkCreate.model_validate(
        {"participants": [_person(email="A@x.com"), _person(email="a@X.COM")]}
    )
    assert [p.email for p in bulk.participants] == ["a@x.com", "a@x.com"]


def test_update_is_partial() -> None:
    patch = ParticipantUpdate.model_validate({"tags": ["new"]})
    assert patch.model_dump(exclude_unset=True) == {"tags": ["new"]}
    with pytest.raises(ValidationError) as exc:
        ParticipantUpdate.model_validate({"email": "nope"})
    assert _errors(exc)[0][0] == ("email",)
