"""Education and experience levels from stated facts only."""

from __future__ import annotations

import pytest

from config.enums import EducationLevel, ExperienceLevel
from scoring.levels import education_level, experience_level, years_stated


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("I have 7 years of experience in backend work.", 7),
        ("I've got seven years experience as an engineer", 7),
        ("about 12+ years in fintech, and 3 years as a lead", 12),
        ("I spent six months as an intern", 0.5),
        ("I have no professional experience yet", 0),
        ("We migrated 7 services over two years.", None),
        ("I was born 30 years ago", None),
        ("", None),
    ],
)
def test_years_stated(text: str, years: float | None) -> None:
    assert years_stated(text) == years


@pytest.mark.parametrize(
    ("years", "level"),
    [
        ("no experience", ExperienceLevel.NO_EXPERIENCE),
        ("six months of experience", ExperienceLevel.LESS_THAN_1_YEAR),
        ("one year of experience", ExperienceLevel.ONE_TO_3_YEARS),
        ("three years of experience", ExperienceLevel.THREE_TO_5_YEARS),
        ("5 years of experience", ExperienceLevel.FIVE_TO_10_YEARS),
        ("10 years of experience", ExperienceLevel.TEN_TO_15_YEARS),
        ("20 years of experience", ExperienceLevel.MORE_THAN_15_YEARS),
    ],
)
def test_experience_buckets(years: str, level: ExperienceLevel) -> None:
    assert experience_level([f"I have {years}."]) is level


def test_the_candidates_words_win_then_the_record_and_titles_are_not_years() -> None:
    assert (
        experience_level(["I have 4 years of experience."], "10 years in total")
        is ExperienceLevel.THREE_TO_5_YEARS
    )
    assert experience_level(["I built it."], "8 years of experience") is ExperienceLevel.FIVE_TO_10_YEARS
    assert experience_level(["I built it."], "senior") is ExperienceLevel.UNDEFINED
    assert experience_level([], None) is ExperienceLevel.UNDEFINED


@pytest.mark.parametrize(
    ("texts", "level"),
    [
        (["PhD in Physics"], EducationLevel.POSTGRADUATE),
        (["MSc Computer Science"], EducationLevel.MASTER_LEVEL),
        (["I did a bachelor's in maths", "high school diploma"], EducationLevel.BACHELOR_LEVEL),
        (["I'm a final-year student at the university"], EducationLevel.UNIVERSITY_STUDENT),
        (["I learned the trade through an apprenticeship"], EducationLevel.POST_SECONDARY_VOCATIONAL),
        (["high school diploma"], EducationLevel.SECONDARY_WITH_DIPLOMA),
        (["I design systems"], EducationLevel.UNDEFINED),
        ([], EducationLevel.UNDEFINED),
    ],
)
def test_education_levels(texts: list[str], level: EducationLevel) -> None:
    assert education_level(texts) is level
