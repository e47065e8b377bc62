"""engine.resumes.draft on resume texts of the usual shapes, and on the traps the heuristics must avoid
(years taken for phone numbers, headings or job titles for names, English words for technologies)."""

from __future__ import annotations

import pytest

from engine.resumes.contact import find_name, find_phone, name_from_email
from engine.resumes.draft import ResumeDraft, draft_resume, sections

CLASSIC = """JANE SMITH
Senior Software Engineer
London, UK | +44 20 7946 0958 | jane.smith@example.com
Summary
Backend engineer with 8 years building payment systems; I react quickly to incidents.
Experience
Acme Payments Ltd, London — Jan 2019 \u2013 Present
Senior Software Engineer
• Built billing services in Kafka and PostgreSQL on AWS.
Globex Corp — 2015 \u2013 2018
Software Engineer
Education
BSc Computer Science
University of Edinburgh, 2011 \u2013 2015
Skills
Python, Go, Kubernetes, Docker, Terraform, React
Languages
English (native), Spanish (fluent), German (basic)
"""


def test_a_classic_resume() -> None:
    assert draft_resume(CLASSIC, ["Go", "System Design", "postgresql"]) == ResumeDraft(
        name="Jane Smith",
        email="jane.smith@example.com",
        phone="+44 20 7946 0958",
        organization="Acme Payments Ltd",
        title="Senior Software Engineer",
        education="BSc Computer Science, University of Edinburgh",
        # Vocabulary order of first appearance; the company's spelling of its own skills; "react" in
        # the summary is a verb, "React" under Skills the library.
        skills=("Kafka", "postgresql", "AWS", "Python", "Go", "Kubernetes", "Docker", "Terraform", "React"),
        languages=("English", "Spanish", "German"),
    )


def test_curriculum_vitae_heading_title_at_employer_and_inline_sections() -> None:
    text = """Curriculum Vitae
Maria de la Cruz
Email: MARIA.CRUZ@Example.org   Mobile: (555) 123-4567
Work History
Data Analyst at Initech Inc. (2020 - 2023)
Reporting with SQL, Tableau and Excel; I excel at finding the story in data.
Education: Master of Science in Statistics, Stanford University
Languages: Portuguese, English
"""
    draft = draft_resume(text)
    assert draft.name == "Maria de la Cruz"
    assert draft.email == "maria.cruz@example.org"
    assert draft.phone == "(555) 123-4567"
    assert (draft.title, draft.organization) == ("Data Analyst", "Initech Inc.")
    assert draft.education == "Master of Science in Statistics, Stanford University"
    assert draft.skills == ("SQL", "Tableau", "Excel")
    assert draft.languages == ("Portuguese", "English")


def test_without_a_name_line_the_email_gives_one() -> None:
    text = "john.doe85@mail.com\nPhone: 555.987.6543\nProject Manager | Umbrella Corporation | 2017-2021\n"
    draft = draft_resume(text)
    assert draft.name == "John Doe"
    assert draft.phone == "555.987.6543"
    assert (draft.title, draft.organization) == ("Project Manager", "Umbrella Corporation")
    assert draft.languages == ()


def test_an_empty_draft_rather_than_a_wrong_one() -> None:
    draft = draft_resume("objective: to find a role where i can grow. contact me at jsmith@example.com")
    assert draft == ResumeDraft(email="jsmith@example.com")


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (["Resume", "Ludwig van Beethoven"], "Ludwig van Beethoven"),
        (["Mary-Jane O'Neil | Designer"], "Mary-Jane O'Neil"),
        (["Senior Software Engineer", "Zoë Ångström"], "Zoë Ångström"),
        (["Personal Details", "Acme Corp", "Work Experience"], None),
        (["Jane"], None),
        (["Jane Smith 2024"], None),
        (["One Two Three Four Five Six"], None),
    ],
)
def test_names(lines: list[str], name: str | None) -> None:
    assert find_name(lines) == name


@pytest.mark.parametrize(
    ("lines", "phone"),
    [
        (["2015-2019 Acme", "Tel: +1 (415) 555-0100"], "+1 (415) 555-0100"),
        (["Worked 2015 - 2019", "born 01.02.1990"], None),
        (["Call 0049 30 1234567"], "0049 30 1234567"),
        (["Order 1234567"], None),  # seven digits, no cue: an id, not a number to call
        (["Mobile: 07700 900123"], "07700 900123"),
        (["(+44 20 7946 0958)"], "+44 20 7946 0958"),
    ],
)
def test_phones(lines: list[str], phone: str | None) -> None:
    assert find_phone(lines) == phone


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("jane.smith@example.com", "Jane Smith"),
        ("jean-luc_picard+jobs@example.com", "Jean Luc Picard"),
        ("jsmith@example.com", None),
        ("j.smith@example.com", None),
        (None, None),
    ],
)
def test_names_from_email(email: str | None, name: str | None) -> None:
    assert name_from_email(email) == name


def test_sections_split_at_headings_only() -> None:
    parts = sections(["Jane Smith", "EXPERIENCE", "Acme", "Skills: Go, Rust", "Education", "MIT"])
    assert parts == {
        "header": ["Jane Smith"],
        "experience": ["Acme"],
        "skills": ["Go, Rust"],
        "education": ["MIT"],
    }


def test_short_vocabulary_names_match_their_own_case_only() -> None:
    draft = draft_resume("Let's go!\nWrote services in Go and R.", ["Go", "R", "UX"])
    assert draft.skills == ("Go", "R")


def test_long_fields_are_clipped() -> None:
    draft = draft_resume("Experience\nEngineer at Acme" + "x" * 300)
    assert draft.organization is not None
    assert len(draft.organization) == 200
    assert draft.organization.endswith("…")
