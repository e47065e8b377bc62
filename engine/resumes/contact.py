"""Who the resume is about: the email address and phone number (by pattern) and the name (from the
first lines, else from the email address). Heuristics for a draft a recruiter confirms; see
`engine.resumes.draft` for what they can and cannot judge."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.resumes.words import NAME_PARTICLES, NOT_A_NAME, ORGANIZATION, TITLE_WORDS

__all__ = ["find_email", "find_name", "find_phone", "name_from_email", "segments"]

_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
# Digits with the separators people write numbers with; the same characters the participant's phone
# field accepts (config.participants), so a found number can be saved as it stands.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{5,24}\d(?![\w-])")
_PHONE_CUE = re.compile(r"\b(?:phone|tel|telephone|mobile|mob|cell|ph|whatsapp)\b|☎|📞|📱", re.IGNORECASE)
_DATE_LIKE = (
    re.compile(r"(?:19|20)\d\d\s*[-.]\s*(?:19|20)\d\d"),  # 2015 - 2019
    re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"),  # 01.02.2019, 1-2-19
    re.compile(r"(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}"),  # 2019-02-01
)
_MIN_DIGITS, _MAX_DIGITS = 7, 15  # E.164 has at most 15; fewer than 7 is an extension or a year
# Splits "Jane Smith | jane@example.com | London" into its parts.
_SEPARATORS = re.compile(r"\s*[|•·●▪◦♦∙,;]\s*|\s+[-\u2013\u2014]\s+|\t")
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019-][^\W\d_])*\.?")
_MAX_NAME_WORDS = 5
_HEAD_LINES = 8


def segments(line: str) -> list[str]:
    """The parts of a line that separators (| • , ; or a spaced dash) divide."""
    return [part.strip() for part in _SEPARATORS.split(line) if part.strip()]


def find_email(text: str) -> str | None:
    """The first email address, lower-cased as participants store them."""
    match = _EMAIL.search(text)
    return match.group(0).lower() if match else None


def find_phone(lines: Sequence[str]) -> str | None:
    """The first phone number: on a line that says so (Phone, Tel, Mobile, ...) first, then anywhere,
    where it must start with + or ( or have at least 9 digits, so years and dates are not taken."""
    cued = [line for line in lines if _PHONE_CUE.search(line)]
    for line in cued:
        found = _phone_in(line, strict=False)
        if found:
            return found
    for line in lines:
        found = _phone_in(line, strict=True)
        if found:
            return found
    return None


def _phone_in(line: str, *, strict: bool) -> str | None:
    for match in _PHONE.finditer(line):
        number = " ".join(match.group(0).split())
        digits = sum(c.isdigit() for c in number)
        if not _MIN_DIGITS <= digits <= _MAX_DIGITS or len(number) > 32:
            continue
        if any(pattern.fullmatch(number) for pattern in _DATE_LIKE):
            continue
        if number.count("(") != number.count(")"):
            # "(+44 20 7946 0958)": the pattern took one bracket of a pair around the number.
            number = " ".join(number.replace("(", " ").replace(")", " ").split())
        if strict and not (number.startswith(("+", "(")) or digits >= 9):
            continue
        return number
    return None


def find_name(lines: Sequence[str]) -> str | None:
    """The first part of the first lines that reads as a name: two to four capitalised words (lower-case
    particles such as "van" or "de" between them), no digits, no heading ("Curriculum Vitae"), job title
    or company. A name in capitals ("JANE SMITH") is given as "Jane Smith"."""
    for line in lines[:_HEAD_LINES]:
        for part in segments(line):
            name = _as_name(part)
            if name:
                return name
    return None


def _as_name(part: str) -> str | None:
    if len(part) > 60 or any(c.isdigit() or c in "@/:()[]" for c in part):
        return None
    if TITLE_WORDS.search(part) or ORGANIZATION.search(part):
        return None
    words = part.split()
    if not 2 <= len(words) <= _MAX_NAME_WORDS:
        return None
    capitalised = 0
    for index, word in enumerate(words):
        if not _NAME_WORD.fullmatch(word) or word.rstrip(".").casefold() in NOT_A_NAME:
            return None
        if word.casefold() in NAME_PARTICLES and 0 < index < len(words) - 1:
            continue
        if not word[0].isupper():
            return None
        capitalised += 1
    if not 2 <= capitalised <= 4:
        return None
    return part.title() if part.isupper() else part


def name_from_email(email: str | None) -> str | None:
    """ "jane.smith85@example.com" -> "Jane Smith": only when the local part is two to four words of
    letters, since "jsmith" cannot be split into a given and a family name."""
    if not email:
        return None
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [re.sub(r"\d+", "", word) for word in re.split(r"[._-]+", local)]
    words = [word for word in words if word]
    if not 2 <= len(words) <= 4 or not all(word.isalpha() and len(word) >= 2 for word in words):
        return None
    return " ".join(word.capitalize() for word in words)
