"""Surface analysis of one spoken answer: the embedded interviewer decides its follow-ups on it, and the
embedded scorer builds its per-dimension scores on it.

What it measures, from the transcript text alone:

* ``word_count``: words (letters/digits tokens).
* ``numbers``: digits ("40%", "3", "1.5") and spoken figures as a recogniser writes them, a run of
  number words being one figure ("ninety nine point six percent", "four thousand", "dozen").
* ``technologies``: names from a curated list of common tools and languages, plus tokens that look
  like names in the middle of a sentence (mixed case such as "GitHub", acronyms such as "CI",
  capitalised words not at the start of a sentence).
* ``first_person_actions``: "I" followed by an action verb ("I built", "I've led", "I decided").
* ``we_statements``: "we"/"our team" phrases (collective credit).
* ``outcomes``: result words ("reduced", "shipped", "saved", "%", "as a result").
* ``star``: which of situation / task / action / result show up (by cue phrases).
* ``has_example``: cue phrases of a concrete story ("for example", "last year", "when I").
* ``mentions_tradeoff``: "trade-off", "instead of", "rather than", "downside".
* ``hedges``: vague fillers ("maybe", "kind of", "I guess", "stuff", "not sure").
* ``covers_skill`` / ``keyword_hits`` / ``coverage``: whether the skill asked about, and which of the
  given keywords, are named in the answer.
* ``strength``: a 0-1 score combining the above (see ``_strength``).

What it cannot judge: whether anything said is true or correct, whether the technical reasoning
is sound, the quality of a design, tone of voice, or anything the speech recogniser dropped or
misheard. Named-thing detection depends on capitalisation in the transcript and can mistake a
person's or company's name for a technology.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GAP_ORDER", "STRONG_ANSWER", "TECH_TERMS", "AnswerFeatures", "analyse", "gaps"]

STRONG_ANSWER = 0.6  # at or above this strength an answer needs no follow-up
GAP_ORDER = ("example", "personal_action", "number", "outcome", "skill", "tradeoff")

# Technology names `analyse` recognises; also the skills vocabulary of engine.resumes.draft.
TECH_TERMS = frozenset(
    [
        "python",
        "java",
        "javascript",
        "typescript",
        "golang",
        "rust",
        "c++",
        "c#",
        "kotlin",
        "swift",
        "scala",
        "ruby",
        "php",
        "perl",
        "elixir",
        "haskell",
        "sql",
        "nosql",
        "postgres",
        "postgresql",
        "mysql",
        "sqlite",
        "oracle",
        "redis",
        "kafka",
        "rabbitmq",
        "mongodb",
        "cassandra",
        "dynamodb",
        "elasticsearch",
        "docker",
        "kubernetes",
        "k8s",
        "helm",
        "terraform",
        "ansible",
        "aws",
        "gcp",
        "azure",
        "lambda",
        "s3",
        "ec2",
        "linux",
        "unix",
        "react",
        "vue",
        "angular",
        "svelte",
        "django",
        "flask",
        "fastapi",
        "spring",
        "rails",
        "node",
        "node.js",
        "nodejs",
        "express",
        "graphql",
        "grpc",
        "spark",
        "hadoop",
        "airflow",
        "dbt",
        "snowflake",
        "bigquery",
        "pandas",
        "numpy",
        "pytorch",
        "tensorflow",
        "scikit-learn",
        "sklearn",
        "git",
        "github",
        "gitlab",
        "jenkins",
        "circleci",
        "prometheus",
        "grafana",
        "datadog",
        "nginx",
        "html",
        "css",
        "webpack",
        "excel",
        "salesforce",
        "jira",
        "tableau",
        "figma",
        "sap",
        "hubspot",
        "zendesk",
        "powerbi",
        "looker",
        "openai",
        "llm",
        "llms",
    ]
)
_NUMBER_WORDS = frozenset(
    [
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "dozen",
        "dozens",
        "half",
        "double",
        "twice",
        "triple",
        "percent",
    ]
)
_ACTION_VERBS = (
    "built|led|wrote|designed|decided|created|implemented|developed|fixed|migrated|refactored|"
    "owned|managed|ran|drove|proposed|introduced|automated|optimi[sz]ed|reduced|improved|set up|"
    "launched|shipped|deployed|debugged|investigated|analy[sz]ed|wrote|negotiated|coached|mentored|"
    "trained|organi[sz]ed|convinced|presented|chose|made|took|started|rewrote|measured|tested|"
    "planned|delivered|handled|resolved|found|solved|worked|coordinated|established|prioriti[sz]ed"
)
_FIRST_PERSON = re.compile(
    rf"\bI(?:'ve|'d| have| had)?\s+(?:personally\s+|then\s+|also\s+|first\s+|eventually\s+)?"
    rf"(?:{_ACTION_VERBS})\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|our team|the team)\b", re.IGNORECASE)
_OUTCOME = re.compile(
    r"\b(?:reduced|increased|improved|shipped|saved|launched|delivered|cut|grew|doubled|halved|"
    r"tripled|achieved|resulted|result|outcome|faster|fewer|lowered|raised|boosted|won|closed|"
    r"released|completed|eliminated|prevented|as a result|in the end|which led to)\b|%",
    re.IGNORECASE,
)
_SITUATION = re.compile(
    r"\b(?:when I|at my (?:last|previous|current)|in my (?:last|previous|current)|the problem was|"
    r"the situation|we had|there was|last year|a few years ago|once)\b",
    re.IGNORECASE,
)
_TASK = re.compile(
    r"\b(?:my (?:task|job|role|goal) was|I needed to|I had to|the goal was|responsible for|"
    r"I was asked to|we needed to)\b",
    re.IGNORECASE,
)
_EXAMPLE = re.compile(
    r"\b(?:for example|for instance|one time|once|last year|last month|at my (?:last|previous|current)|"
    r"in my (?:last|previous|current)|when I|on a project|a project where|in one project)\b",
    re.IGNORECASE,
)
_TRADEOFF = re.compile(
    r"\b(?:trade-?offs?|instead of|rather than|downsides?|on the other hand|pros and cons|"
    r"the cost (?:of|was)|at the expense of|compromise)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:maybe|kind of|sort of|I guess|I suppose|probably|perhaps|not sure|I don't know|"
    r"stuff|things like that|something like that|etc|basically|whatever)\b",
    re.IGNORECASE,
)
_NUMBER_JOINERS = frozenset(
    {"point", "and"}
)  # inside a spoken figure: "two point three", "hundred and fifty"
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.'%-]*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?%?")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "my",
        "your",
        "our",
        "their",
        "about",
        "into",
        "over",
        "under",
    ]
)
_NOT_NAMES = frozenset({"I", "I'm", "I've", "I'd", "I'll", "OK", "Okay"})


@dataclass(frozen=True, slots=True)
class AnswerFeatures:
    word_count: int
    numbers: tuple[str, ...]
    technologies: tuple[str, ...]
    first_person_actions: int
    we_statements: int
    outcomes: int
    star: tuple[str, ...]  # subset of ("situation", "task", "action", "result"), in that order
    has_example: bool
    mentions_tradeoff: bool
    hedges: int
    covers_skill: bool  # True when no skill was asked about
    keyword_hits: tuple[str, ...]
    coverage: float  # share of (skill + keywords) named in the answer; 1.0 when none were given
    strength: float  # 0-1

    @property
    def is_strong(self) -> bool:
        return self.strength >= STRONG_ANSWER

    def to_dict(self) -> dict[str, object]:
        return {
            "word_count": self.word_count,
            "numbers": list(self.numbers),
            "technologies": list(self.technologies),
            "first_person_actions": self.first_person_actions,
            "we_statements": self.we_statements,
            "outcomes": self.outcomes,
            "star": list(self.star),
            "has_example": self.has_example,
            "mentions_tradeoff": self.mentions_tradeoff,
            "hedges": self.hedges,
            "covers_skill": self.covers_skill,
            "keyword_hits": list(self.keyword_hits),
            "coverage": self.coverage,
            "strength": self.strength,
        }


def _term_in(term: str, lowered: str) -> bool:
    term = term.strip().casefold()
    if not term:
        return False
    if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", lowered):
        return True
    # A multi-word skill counts when every significant word of it is named.
    words = [w for w in re.findall(r"[a-z0-9+#]+", term) if w not in _STOP and len(w) > 2]
    return len(words) > 1 and all(re.search(rf"\b{re.escape(w)}", lowered) for w in words)


def _technologies(text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    sentence_start = True
    for match in _WORD.finditer(text):
        raw = match.group(0).rstrip(".,'")
        token = raw.casefold()
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n"
        if token in TECH_TERMS:
            found.setdefault(raw, None)
            continue
        if raw in _NOT_NAMES or token in _STOP or len(raw) < 2 or raw[0].isdigit():
            continue
        mixed = any(c.isupper() for c in raw[1:]) and any(c.islower() for c in raw)
        acronym = raw.isupper() and 2 <= len(raw) <= 6 and raw.isalpha()
        capitalised = raw[0].isupper() and not sentence_start
        if mixed or acronym or capitalised:
            found.setdefault(raw, None)
    return tuple(found)


def _number_word(word: str) -> bool:
    parts = word.casefold().split("-")  # "twenty-four"
    return all(p in _NUMBER_WORDS for p in parts)


def _numbers(text: str, words: Sequence[str]) -> tuple[str, ...]:
    """Figures in digits, and spoken ones as the recogniser writes them: a run of number words ("ninety
    nine point six percent", "four thousand") is one figure, as "99.6%" and "4000" are."""
    found = [m.group(0) for m in _DIGITS.finditer(text)]
    run: list[str] = []
    for i, word in enumerate([*words, ""]):
        if _number_word(word) or (
            run and word.casefold() in _NUMBER_JOINERS and i + 1 < len(words) and _number_word(words[i + 1])
        ):
            run.append(word)
        elif run:
            found.append(" ".join(run))
            run = []
    return tuple(found)


def _strength(
    word_count: int,
    numbers: int,
    technologies: int,
    actions: int,
    we: int,
    outcomes: int,
    has_example: bool,
    coverage: float,
    hedges: int,
) -> float:
    """Length up to 0.25 (full at 80 words), a number 0.15, a named thing 0.1, a first-person action
    0.2 (0.08 when only "we"), an outcome 0.15, an example 0.05, coverage up to 0.1; minus 0.05 per
    hedge (at most 0.15). Clamped to 0-1 and rounded to 3 places."""
    score = 0.25 * min(word_count / 80, 1.0)
    score += 0.15 if numbers else 0.0
    score += 0.1 if technologies else 0.0
    score += 0.2 if actions else (0.08 if we else 0.0)
    score += 0.15 if outcomes else 0.0
    score += 0.05 if has_example else 0.0
    score += 0.1 * coverage
    score -= min(0.05 * hedges, 0.15)
    return round(min(max(score, 0.0), 1.0), 3)


def analyse(answer: str, skill: str | None, keywords: Sequence[str] = ()) -> AnswerFeatures:
    text = answer.strip()
    lowered = text.casefold()
    words = [w.rstrip(".,") for w in _WORD.findall(text)]
    numbers = _numbers(text, words)
    technologies = _technologies(text)
    actions = len(_FIRST_PERSON.findall(text))
    we = len(_WE.findall(text))
    outcomes = len(_OUTCOME.findall(text))
    has_example = bool(_EXAMPLE.search(text))
    star: list[str] = []
    if _SITUATION.search(text):
        star.append("situation")
    if _TASK.search(text):
        star.append("task")
    if actions:
        star.append("action")
    if outcomes:
        star.append("result")
    hedges = len(_HEDGE.findall(text))
    covers_skill = skill is None or _term_in(skill, lowered)
    hits = tuple(k for k in dict.fromkeys(keywords) if _term_in(k, lowered))
    asked = (1 if skill else 0) + len(set(keywords))
    named = (1 if skill and covers_skill else 0) + len(hits)
    coverage = round(named / asked, 3) if asked else 1.0
    strength = _strength(
        len(words), len(numbers), len(technologies), actions, we, outcomes, has_example, coverage, hedges
    )
    return AnswerFeatures(
        word_count=len(words),
        numbers=numbers,
        technologies=technologies,
        first_person_actions=actions,
        we_statements=we,
        outcomes=outcomes,
        star=tuple(star),
        has_example=has_example,
        mentions_tradeoff=bool(_TRADEOFF.search(text)),
        hedges=hedges,
        covers_skill=covers_skill,
        keyword_hits=hits,
        coverage=coverage,
        strength=strength,
    )


def gaps(features: AnswerFeatures) -> tuple[str, ...]:
    """What a follow-up could ask for, in GAP_ORDER: a concrete example, what the candidate
    personally did, a number, the outcome, the skill asked about, the trade-offs."""
    missing: list[str] = []
    if not features.has_example and "situation" not in features.star:
        missing.append("example")
    if not features.first_person_actions:
        missing.append("personal_action")
    if not features.numbers:
        missing.append("number")
    if not features.outcomes:
        missing.append("outcome")
    if not features.covers_skill:
        missing.append("skill")
    if not features.mentions_tradeoff:
        missing.append("tradeoff")
    return tuple(missing)
