"""Education and experience levels (seed 003's enums) from what the participant's record and their own
words state outright; UNDEFINED when neither says.

It reads statements, it does not infer: "I have seven years of experience" gives FIVE_TO_10_YEARS, a
background of "MSc Computer Science" gives MASTER_LEVEL. A job title ("senior engineer") is not
turned into years, and a degree is not guessed from the way someone talks. When several statements
disagree, the highest education and the experience stated by the candidate (then the record) win.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from config.enums import EducationLevel, ExperienceLevel

__all__ = ["education_level", "experience_level", "years_stated"]

_NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
}  # fmt: skip
_YEARS = re.compile(
    r"\b(\d{1,2}(?:\.\d)?|" + "|".join(_NUMBER_WORDS) + r")\+?\s*(?:or more\s+|plus\s+)?years?\b"
    r"(?:\s+of)?(?:\s+(?:professional|industry|work|working|hands-on|relevant))?"
    r"\s+(?:experience|in\b|as\b|working|of work|building|programming|developing|coding)",
    re.IGNORECASE,
)
_NO_EXPERIENCE = re.compile(
    r"\b(no (?:professional |work )?experience|never worked|my first job|fresh graduate|just graduated)\b",
    re.IGNORECASE,
)
_MONTHS = re.compile(
    r"\b(\d{1,2}|a few|six|three|nine)\s+months?\s+(?:of\s+)?(?:experience|in\b|as\b)", re.IGNORECASE
)

# Highest first: the first pattern that matches anywhere decides.
_EDUCATION: tuple[tuple[EducationLevel, re.Pattern[str]], ...] = tuple(
    (level, re.compile(pattern, re.IGNORECASE))
    for level, pattern in (
        (EducationLevel.POSTGRADUATE, r"\b(ph\.?\s?d|doctorate|doctoral|postgraduate|post-graduate)\b"),
        (EducationLevel.MASTER_LEVEL, r"\b(master'?s|msc|m\.sc|mba|m\.s\.|meng|ma in)\b"),
        (
            EducationLevel.BACHELOR_LEVEL,
            r"\b(bachelor'?s|bsc|b\.sc|b\.s\.|beng|b\.a\.|ba in|undergraduate degree)\b",
        ),
        (
            EducationLevel.UNIVERSITY_STUDENT,
            r"\b(university student|studying at (?:the )?university|(?:first|second|third|final)[- ]year student|undergraduate)\b",
        ),
        (
            EducationLevel.POST_SECONDARY_VOCATIONAL,
            r"\b(vocational|trade school|apprenticeship|technical college)\b",
        ),
        (
            EducationLevel.SECONDARY_WITH_DIPLOMA,
            r"\b(high school diploma|secondary school diploma|a-levels|baccalaureate)\b",
        ),
        (EducationLevel.SECONDARY_SCHOOL_STUDENT, r"\b(high school student|in high school)\b"),
    )
)


def years_stated(text: str) -> float | None:
    """The largest number of years of experience stated in `text` ("7 years of experience"); 0 for an
    explicit lack of experience; a fraction of a year for months; None when nothing is stated."""
    years = [_to_number(m.group(1)) for m in _YEARS.finditer(text)]
    if years:
        return max(years)
    months = [m.group(1).lower() for m in _MONTHS.finditer(text)]
    if months:
        return max(_to_number(m) if m != "a few" else 3 for m in months) / 12
    if _NO_EXPERIENCE.search(text):
        return 0.0
    return None


def experience_level(candidate_texts: Iterable[str], record: str | None = None) -> ExperienceLevel:
    """From the candidate's own words first, then the participant record's experienceLevel text."""
    for source in (" ".join(candidate_texts), record or ""):
        years = years_stated(source)
        if years is not None:
            return _bucket(years)
    return ExperienceLevel.UNDEFINED


def education_level(texts: Iterable[str]) -> EducationLevel:
    """The highest level any of `texts` (the record's education, the candidate's words) states."""
    joined = " ".join(texts)
    for level, pattern in _EDUCATION:
        if pattern.search(joined):
            return level
    return EducationLevel.UNDEFINED


def _to_number(token: str) -> float:
    token = token.lower()
    return float(_NUMBER_WORDS[token]) if token in _NUMBER_WORDS else float(token)


def _bucket(years: float) -> ExperienceLevel:
    if years <= 0:
        return ExperienceLevel.NO_EXPERIENCE
    for limit, level in (
        (1, ExperienceLevel.LESS_THAN_1_YEAR),
        (3, ExperienceLevel.ONE_TO_3_YEARS),
        (5, ExperienceLevel.THREE_TO_5_YEARS),
        (10, ExperienceLevel.FIVE_TO_10_YEARS),
        (15, ExperienceLevel.TEN_TO_15_YEARS),
    ):
        if years < limit:
            return level
    return ExperienceLevel.MORE_THAN_15_YEARS
