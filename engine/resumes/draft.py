"""A participant draft guessed from a resume's text, for a recruiter to confirm before anything is saved.

What it reads, from the text alone (`engine.resumes.extract` gives it, one line per line of the file):

* ``email``: the first email address (lower-cased).
* ``phone``: the first phone number, preferring a line that says Phone, Tel or Mobile; elsewhere it must
  start with + or ( or have at least 9 digits, so "2015-2019" and dates are not taken.
* ``name``: in the first eight lines, the first part of a line (parts split at | • , ;) that is two to
  four capitalised words, without digits, a heading ("Curriculum Vitae", "Resume", "Experience"), a job
  title word or a company ending; else the email's local part when it is two words or more
  ("jane.smith@" gives "Jane Smith"); else none.
* ``skills``: the names of the project's technology vocabulary (`scoring.answers`, the same list the
  interviewer uses on a resume_url) and the skills of the company's own templates, as the text spells
  them, in the order they first appear. A few that are also common English words (Spring, Express,
  React, Swift, Excel, ...) count only when written with a capital.
* ``languages``: spoken languages from a fixed list, found in a Languages section or on a line that
  talks about languages ("fluent in", "native"), so "French Institute" elsewhere is not one.
* ``title`` and ``organization``: from the first entry of the Experience (Work History, Employment, ...)
  section: the line with a job-title word ("Senior Engineer at Acme", "Acme Corp | Engineer", or the
  title on one line and the employer on the line before or after it); without such a section, a title
  line near the top. Dates are taken off.
* ``education``: from the Education section, the first line naming a degree or a school, with the
  line next to it when that names the other; without the section, the first such line anywhere.

What it cannot judge: whether anything is true; names it has never seen written as two to four
capitalised words (a single name, "Smith, Jane", a name in a picture); a layout whose columns a PDF
reader interleaves (two-column PDFs can mix the sidebar into the body); headings in other languages
than English; skills outside the vocabulary (the recruiter adds them); which of several jobs is the
current one when the newest is not listed first; scanned resumes (images have no text: they are an
error, "no text found"). Every field may be empty, and any may be wrong: the dashboard shows the draft
for the recruiter to correct.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from engine.resumes.contact import find_email, find_name, find_phone, name_from_email, segments
from engine.resumes.words import (
    DEGREE,
    HEADINGS,
    INSTITUTION,
    LANGUAGE_CUES,
    LANGUAGES,
    ORGANIZATION,
    TITLE_WORDS,
)
from scoring.answers import TECH_TERMS  # the vocabulary `analyse` finds technologies with

__all__ = ["MAX_SKILLS", "ResumeDraft", "draft_resume", "sections"]

MAX_SKILLS = 40
_MAX_FIELD = 200
_ENTRY_LINES = 8  # lines of a section read for its first entry
_MAX_ENTRY_WORDS = 12  # longer lines are sentences about the job, not its title
# Vocabulary words that are also everyday English: only capitalised ("Spring Boot", not "in spring").
_EVERYDAY = frozenset({"express", "spring", "react", "swift", "excel", "node", "lambda", "rust", "ruby"})
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.'-]*")
_HEADING = re.compile(r"^([A-Za-z][A-Za-z &/-]{1,40}?)\s*(?::\s*(.*))?$")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATES = re.compile(
    rf"\(?\b(?:{_MONTHS}\s*)?(?:\d{{1,2}}[./])?(?:19|20)\d\d\b\)?|\b(?:present|current|now|today)\b",
    re.IGNORECASE,
)
_AT = re.compile(r"\s+(?:at|@)\s+", re.IGNORECASE)
_BULLET = re.compile(r"^[-*•●▪◦·\u2013]\s*")


@dataclass(frozen=True, slots=True)
class ResumeDraft:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    organization: str | None = None
    title: str | None = None
    education: str | None = None
    skills: tuple[str, ...] = field(default=())
    languages: tuple[str, ...] = field(default=())


def draft_resume(text: str, vocabulary: Iterable[str] = ()) -> ResumeDraft:
    """The draft for `text` (lines as `extract_document` gives them); `vocabulary` adds the company's
    own skill names to the built-in technology list."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    parts = sections(lines)
    email = find_email(text)
    title, organization = _job(parts)
    return ResumeDraft(
        name=find_name(parts.get("header") or lines) or name_from_email(email),
        email=email,
        phone=find_phone(lines),
        organization=organization,
        title=title,
        education=_education(parts.get("education", []), lines),
        skills=_skills(text, vocabulary),
        languages=_languages(parts.get("languages", []), lines),
    )


def sections(lines: Sequence[str]) -> dict[str, list[str]]:
    """The lines before the first heading ("header"), and the lines under each known heading, by the
    section it starts (`words.HEADINGS`); "Skills: Python, Go" puts "Python, Go" in "skills"."""
    out: dict[str, list[str]] = {"header": []}
    current = "header"
    for line in lines:
        heading = _heading(line)
        if heading is None:
            out.setdefault(current, []).append(line)
            continue
        current, rest = heading
        out.setdefault(current, [])
        if rest:
            out[current].append(rest)
    return out


def _heading(line: str) -> tuple[str, str] | None:
    match = _HEADING.match(line)
    if not match:
        return None
    section = HEADINGS.get(match.group(1).strip().casefold())
    return (section, (match.group(2) or "").strip()) if section else None


def _undated(text: str) -> str:
    """The text without its dates ("Jan 2020 - present"), and the dashes and brackets they leave."""
    text = _DATES.sub(" ", text)
    text = re.sub(r"\(\s*\)|\s[-\u2013\u2014]\s*(?=[-\u2013\u2014\s]|$)", " ", text)
    return " ".join(text.split()).strip(" -\u2013\u2014,|()")


def _clip(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= _MAX_FIELD else text[: _MAX_FIELD - 1].rstrip() + "…"


def _is_entry_line(line: str) -> bool:
    return not _BULLET.match(line) and len(line.split()) <= _MAX_ENTRY_WORDS and not line.endswith(".")


def _job(parts: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(title, organization) of the first job listed, else a title line under the name."""
    experience = parts.get("experience", [])[:_ENTRY_LINES]
    found = _job_in(experience, neighbours=True)
    if found[0] is None:
        found = _job_in(parts.get("header", [])[1:_ENTRY_LINES], neighbours=False)
    return _clip(found[0]), _clip(found[1])


def _job_in(lines: Sequence[str], *, neighbours: bool) -> tuple[str | None, str | None]:
    for index, line in enumerate(lines):
        if not _is_entry_line(line) or not TITLE_WORDS.search(line):
            continue
        at = _AT.split(line, maxsplit=1)
        if len(at) == 2:
            role = _undated(segments(at[0])[-1]) if segments(at[0]) else ""
            employer = _undated(segments(at[1])[0]) if segments(at[1]) else ""
            return role or None, employer or None
        pieces = [_undated(piece) for piece in segments(line)]
        pieces = [piece for piece in pieces if piece]
        title = next((piece for piece in pieces if TITLE_WORDS.search(piece)), None)
        others = [piece for piece in pieces if piece != title]
        organization = next((p for p in others if ORGANIZATION.search(p)), others[0] if others else None)
        if organization is None and neighbours:
            organization = _employer_near(lines, index)
        return title, organization
    return None, None


def _employer_near(lines: Sequence[str], index: int) -> str | None:
    """The line before the title line, or after it, when it reads as an employer's name."""
    for near in (index - 1, index + 1):
        if not 0 <= near < len(lines):
            continue
        line = lines[near]
        if not _is_entry_line(line) or TITLE_WORDS.search(line):
            continue
        pieces = [_undated(piece) for piece in segments(line)]
        pieces = [piece for piece in pieces if piece]
        if pieces:
            return pieces[0]
    return None


def _education(section: Sequence[str], lines: Sequence[str]) -> str | None:
    candidates = list(section[:_ENTRY_LINES]) if section else list(lines)
    for index, line in enumerate(candidates):
        degree, school = bool(DEGREE.search(line)), bool(INSTITUTION.search(line))
        if not (degree or school) or not _is_entry_line(line):
            continue
        text = _undated(line)
        if not (degree and school) and section and index + 1 < len(candidates):
            following = candidates[index + 1]
            wanted = INSTITUTION if degree else DEGREE
            if wanted.search(following) and _is_entry_line(following):
                text = f"{text}, {_undated(following)}"
        return _clip(text)
    return None


def _skills(text: str, vocabulary: Iterable[str]) -> tuple[str, ...]:
    """Vocabulary names in the text, spelled as written there (the company's skills as the company
    spells them), by first appearance."""
    found: dict[str, tuple[int, str]] = {}
    for match in _TOKEN.finditer(text):
        raw = match.group(0).rstrip(".,'-")
        key = raw.casefold()
        if key not in TECH_TERMS or key in found:
            continue
        if key in _EVERYDAY and not raw[0].isupper():
            continue
        found[key] = (match.start(), raw)
    folded = " ".join(text.split()).casefold()
    for term in vocabulary:
        term = " ".join(term.split())
        key = term.casefold()
        # The substring test first: the company's vocabulary can be long, the regex is the slow part.
        if not term or len(term) > 100 or key not in folded:
            continue
        # Short names ("Go", "R", "UX") must be written as the company writes them.
        flags = re.IGNORECASE if len(term) > 3 else 0
        words = r"\s+".join(re.escape(word) for word in term.split())
        pattern = rf"(?<![\w+#.-]){words}(?![\w+#-]|\.\w)"
        hit = re.search(pattern, text, flags)
        if hit and (key not in found or hit.start() <= found[key][0]):
            found[key] = (hit.start(), term)
    ordered = sorted(found.values())
    return tuple(name for _, name in ordered[:MAX_SKILLS])


def _languages(section: Sequence[str], lines: Sequence[str]) -> tuple[str, ...]:
    where = list(section) or [line for line in lines if LANGUAGE_CUES.search(line)]
    text = "\n".join(where)
    found: dict[str, int] = {}
    for language in LANGUAGES:
        match = re.search(rf"\b{re.escape(language)}\b", text, re.IGNORECASE)
        if match:
            found[language] = match.start()
    return tuple(sorted(found, key=found.__getitem__))
