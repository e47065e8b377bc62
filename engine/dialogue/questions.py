"""The wording of the embedded interviewer's questions: several angles on each rubric dimension (a past
example, a trade-off, a hypothetical, a failure and its lesson, how the candidate's approach has grown,
a deeper technical question per skill), each in an easy, medium and hard form.

A question names the dimension or skill it is about in plain words, never the rubric's description of
what a good answer shows: that is how answers are judged, not something to read to the candidate.
Every wording is one sentence ending in a question mark (a background line may precede it), so the
last sentence alone still asks the whole question when an LLM's wording fails mid-reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Draft",
    "Topic",
    "background_draft",
    "criteria_draft",
    "dimension_pool",
    "scenario_pool",
    "spoken_name",
]

Wordings = tuple[str, str, str]  # easy, medium, hard


@dataclass(frozen=True, slots=True)
class Draft:
    """A question before pacing: what it asks, about which dimension, in three difficulties."""

    kind: str  # background | example | skill | trait | technical | tradeoff | hypothetical | ...
    dimension: str
    skill: str | None
    wordings: Wordings
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """A template skill or trait (or a skill from the resume) asked about under a dimension."""

    name: str
    trait: bool = False
    matched: bool = True  # it shares a word with the dimension; otherwise the question bridges the two
    claimed: bool = False  # the participant's background names it


def spoken_name(name: str) -> str:
    """A dimension or trait name as said mid-sentence: "System Design" -> "system design", while
    acronyms stay as written ("API Design" -> "API design")."""
    words = []
    for word in name.split():
        letters = re.sub(r"[^A-Za-z]", "", word)
        acronym = sum(c.isupper() for c in letters) > 1
        words.append(word if acronym else word.lower())
    return " ".join(words)


def _skill_name(name: str) -> str:
    """A skill as said mid-sentence: a sentence-case phrase loses its capital ("Distributed systems
    design" -> "distributed systems design"); names stay as written ("Python", "Google Cloud")."""
    first, _, rest = name.partition(" ")
    if rest and rest == rest.lower() and first[1:] == first[1:].lower():
        return f"{first.lower()} {rest}"
    return name


# Lead-ins by tone: how a question starts ("{ask} a specific example ...").
_ASK = {
    "friendly": "I'd love to hear about",
    "professional": "Tell me about",
    "strict": "Describe",
    "challenging": "Walk me through, with hard specifics,",
}

# The angles asked on every dimension after its first (example) question; {t} is the dimension's
# spoken name, {ask} the tone's lead-in, {where} " in <domain>" or "". Different question shapes, so
# three questions on one dimension do not sound like the same question three times.
_EXAMPLE: Wordings = (
    "{ask} one example from your work{where} where {t} mattered: what did you do?",
    "{ask} a specific example from your work{where} where {t} really mattered: what was the situation, "
    "what did you personally do, and what was the outcome?",
    "{ask} the most demanding example from your work{where} that put your {t} to the test: what made it "
    "hard, which trade-offs did you make, and what would you do differently now?",
)
_ANGLES: tuple[tuple[str, Wordings], ...] = (
    (
        "tradeoff",
        (
            "Think of a decision involving {t} where you had to choose between two options: which did "
            "you pick, and why?",
            "Think of a decision involving {t} where you could not have everything you wanted: what were "
            "the options, what did you give up, and why was it the right call?",
            "Think of the hardest call involving {t} that you have made, where every option cost "
            "something: how did you weigh them, who disagreed, and would you make the same call today?",
        ),
    ),
    (
        "hypothetical",
        (
            "Suppose you joined a team{where} where {t} had been neglected: what is the first thing you "
            "would do?",
            "Suppose you joined a team{where} where {t} had been neglected and it was starting to cause "
            "problems: what would you look at first, and what would you change in your first month?",
            "Suppose you joined a team{where} where {t} had been neglected for years, deadlines were tight "
            "and people were used to the way things were: how would you find out what matters most, "
            "what would you change first, and how would you bring people along?",
        ),
    ),
    (
        "failure",
        (
            "{ask} a time something went wrong that had to do with {t}: what did you learn from it?",
            "{ask} a time something went wrong that had to do with {t}, whether or not it was your "
            "mistake: what happened, what did you do about it, and what did you change afterwards?",
            "{ask} your most costly mistake that had to do with {t}: how did you find out, how did you "
            "handle the fallout, and what do you do differently because of it?",
        ),
    ),
    (
        "disagreement",
        (
            "{ask} a time you disagreed with someone about {t}: what happened?",
            "{ask} a time you disagreed with a colleague about {t}: how did you handle it, and how was it "
            "resolved?",
            "{ask} a serious disagreement about {t} where you turned out to be wrong, or had to give way: "
            "how did you handle it, and what did it teach you?",
        ),
    ),
    (
        "signals",
        (
            "How can you tell whether a team is doing well at {t}?",
            "How can you tell whether {t} is going well or badly on a team, and which signals do you watch "
            "for?",
            "If you had to judge {t} on a team you had just joined, which signals would you trust, which "
            "would mislead you, and why?",
        ),
    ),
    (
        "teaching",
        (
            "How would you explain what good {t} looks like to someone new to the team?",
            "How would you help someone new to the team get better at {t}: what would you tell them "
            "first, and how would you know it was working?",
            "Suppose a capable colleague keeps struggling with {t}: how would you find out why, what would "
            "you do about it, and when would you escalate?",
        ),
    ),
    (
        "priorities",
        (
            "What is the one habit that matters most for {t}, in your view?",
            "If you could keep only one habit for {t}, which would it be, and what goes wrong when people "
            "skip it?",
            "Which widely accepted advice about {t} do you disagree with, what would you do instead, and "
            "why?",
        ),
    ),
    (
        "pressure",
        (
            "{ask} a time you had to keep up your {t} under heavy time pressure: what did you do?",
            "{ask} a time you had to keep up your {t} under heavy time pressure: what did you cut, what "
            "did you protect, and why?",
            "{ask} the worst time pressure you have faced where your {t} was at stake: what did you cut, "
            "what did you refuse to cut, and what did it cost later?",
        ),
    ),
    (
        "feedback",
        (
            "{ask} some useful feedback you have had on your {t}: what was it?",
            "{ask} the most useful feedback you have had on your {t}: what was it, and what did you change "
            "because of it?",
            "{ask} feedback on your {t} that you disagreed with at first: what was it, how did you deal "
            "with it, and who turned out to be right?",
        ),
    ),
    (
        "growth",
        (
            "How has the way you approach {t} changed over the last few years?",
            "How has the way you approach {t} changed over the last few years, and what is one concrete "
            "thing you do differently now because of it?",
            "What do you believe about {t} today that you did not believe a few years ago, what changed "
            "your mind, and how does it show in your work now?",
        ),
    ),
)
_SKILL: Wordings = (
    "{yours}{ask} a time you used {s}{where}{also}: what did you do?",
    "{yours}{ask} a specific situation where you relied on {s}{where}{also}: what was the problem, what "
    "did you personally do, and what was the result?",
    "{yours}{ask} the hardest problem you solved with {s}{where}{also}: what options did you weigh, which "
    "trade-offs did you accept, and how did you measure the result?",
)
_TRAIT: Wordings = (
    "{ask} a time you showed {s}{also}: what did you do?",
    "{ask} a specific situation that called for {s}{also}: what was going on, what did you personally "
    "do, and how did it turn out?",
    "{ask} the toughest situation that tested your {s}{also}: what made it hard, what did you do, what "
    "did it cost, and what would you do differently?",
)
_TECHNICAL: Wordings = (
    "What is one thing about {s} that people often get wrong?",
    "Going deeper on {s}: what is something about it that you only learned the hard way, and how "
    "does it shape the way you approach {t} today?",
    "Going deeper on {s}: where does it break down or become the wrong choice, how would you "
    "notice, and what would you reach for instead?",
)


def _fill(wordings: Wordings, **values: str) -> Wordings:
    easy, medium, hard = (w.format(**values) for w in wordings)
    return easy, medium, hard


def _topic_drafts(topic: Topic, dimension: str, tone: str, where: str) -> tuple[Draft, Draft | None]:
    """The topic's own question and, for a skill, its deeper technical one."""
    ask = _ASK.get(tone, _ASK["professional"])
    t = spoken_name(dimension)
    # A topic that shares no word with its dimension is asked so the answer still shows the dimension:
    # the question is tagged with (and scored on) the dimension, so it must really be about it.
    also = "" if topic.matched else f", ideally one that also shows your {t}"
    yours = f"Your background mentions {topic.name}. " if topic.claimed else ""
    keys = (topic.name,)
    if topic.trait:
        s = spoken_name(topic.name)
        trait = Draft("trait", dimension, topic.name, _fill(_TRAIT, ask=ask, s=s, also=also), keys)
        return trait, None
    s = _skill_name(topic.name)
    skill = Draft(
        "skill", dimension, topic.name, _fill(_SKILL, ask=ask, s=s, where=where, also=also, yours=yours), keys
    )
    # The resume mention is said once, on the skill's first question.
    deeper = _fill(_TECHNICAL, s=s, t=t)
    return skill, Draft("technical", dimension, topic.name, deeper, keys)


def dimension_pool(
    dimension: str,
    topics: list[Topic],
    tone: str,
    domain: str,
    keywords: tuple[str, ...],
    rotation: int = 0,
) -> list[Draft]:
    """Every question the plan may ask on one dimension, best first: the example question (the one that
    covers the dimension), then topic questions alternating with the other angles, so that whatever
    number the time allows is varied. `rotation` (the dimension's place in the rubric) starts each
    dimension on a different angle, so two dimensions' second questions do not share a shape."""
    ask = _ASK.get(tone, _ASK["professional"])
    where = f" in {domain}" if domain else ""
    t = spoken_name(dimension)
    first = Draft("example", dimension, None, _fill(_EXAMPLE, ask=ask, t=t, where=where), keywords)
    own: list[Draft] = []
    deeper: list[Draft] = []
    for topic in topics:
        question, technical = _topic_drafts(topic, dimension, tone, where)
        own.append(question)
        if technical is not None:
            deeper.append(technical)
    # Three angles on per dimension: the first few questions of neighbouring dimensions differ.
    shift = (rotation * 3) % len(_ANGLES)
    angles = [
        Draft(kind, dimension, None, _fill(w, ask=ask, t=t, where=where), keywords)
        for kind, w in _ANGLES[shift:] + _ANGLES[:shift]
    ]
    # With many topics, several topic questions come between two angles: the template's skills are
    # what it asks to probe, and at one-for-one most of them would never be reached.
    specific = own + deeper
    step = max(1, -(-len(specific) // len(angles)))
    pool = [first]
    for i in range(max(-(-len(specific) // step), len(angles))):
        pool += specific[i * step : (i + 1) * step] + angles[i : i + 1]
    return pool


def background_draft(title: str, level: str, dimension: str) -> Draft:
    article = "an" if title[:1].lower() in "aeiou" else "a"
    role = f"as {article} {title}" if title else "in your current role"
    seniority = f" at the {level.lower()} level" if level else ""
    text = (
        f"To start, please describe your work {role}{seniority}: what are you responsible for, and what "
        "is one recent piece of work you are proud of?"
    )
    return Draft("background", dimension, None, (text, text, text), ())


def criteria_draft(dimension: str) -> Draft:
    # The pass criteria are the bar the answers are judged against: never read them out.
    text = "Which piece of your work best shows you are ready for what this role asks of you, and why?"
    return Draft("criteria", dimension, None, (text, text, text), ())


_SCENARIO_FIRST: Wordings = (
    "How would you start, with {t} in mind?",
    "Speaking as you would in the moment, how would you handle it, with {t} in mind?",
    "The other person is already upset; speaking as you would in the moment, how would you handle it, "
    "with {t} in mind?",
)
_SCENARIO_TURNS = (
    "Staying in the scenario: the other person pushes back and is not satisfied with what you have said "
    "so far; how do you respond, with {t} in mind?",
    "Staying in the scenario: the other person raises a concern you did not expect; how do you respond, "
    "keeping {t} in mind?",
    "Staying in the scenario: the other person asks for something you cannot give them; how do you say "
    "no and keep the conversation going, with {t} in mind?",
)


def scenario_pool(dimension: str, first: bool, setup_line: str) -> list[Draft]:
    """The roleplay turns on one dimension: how the candidate handles it, then the other person pushing
    back, raising an unexpected concern, and asking for what cannot be given. (No wrap-up turn: each
    dimension's turns are spread through the scene, and the director's closing ends it.) The first
    turn of the whole roleplay sets the scene."""
    t = spoken_name(dimension)
    keys = tuple(re.findall(r"[a-z0-9+#]+", dimension.casefold()))
    opening = _fill(_SCENARIO_FIRST, t=t)
    if first:
        start = f"Let's begin the roleplay. {setup_line}. I will play the other person."
        easy, medium, hard = (f"{start} {w}" for w in opening)
    else:
        easy, medium, hard = (f"Staying in the scenario: {w[0].lower()}{w[1:]}" for w in opening)
    turns = [Draft("scenario", dimension, None, (easy, medium, hard), keys)]
    for wording in _SCENARIO_TURNS:
        text = wording.format(t=t)
        turns.append(Draft("scenario", dimension, None, (text, text, text), keys))
    return turns
