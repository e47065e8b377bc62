"""How the interviewer introduces itself, from the profile's free-text ``intro``.

Profiles write it either as a name or role phrase ("Alex, a senior engineer at Acme.") or as a whole
sentence ("Hi, I'm Alex, and I'll be interviewing you today."). A phrase is wrapped in "I'm ...";
a sentence is said as written, since wrapping it gives "I'm Hi, I'm Alex".
"""

from __future__ import annotations

import re

__all__ = ["greets", "introduction", "is_sentence", "persona"]

_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|greetings|welcome|good (morning|afternoon|evening|day)|thanks|thank you)\b",
    re.IGNORECASE,
)
# The interviewer speaking of itself: at the start ("I lead ...", "My name is ...") or anywhere
# ("Alex here, and I'll be ..."). A "we" mid-phrase ("..., where we build payments") is not enough.
_STARTS = re.compile(r"^(i|i'm|i've|i'll|we|we're|we'll|my name|this is|you're|you'll)\b", re.IGNORECASE)
_SELF = re.compile(r"\b(i'm|i am|my name is|i'll be|i will be)\b", re.IGNORECASE)
_LOWER_LEAD = frozenset(["a", "an", "the", "your"])


def _clean(intro: str) -> str:
    return " ".join(intro.replace("\u2019", "'").split())


def greets(intro: str) -> bool:
    """The intro opens with a greeting of its own ("Hi, ...")."""
    return bool(_GREETING.match(_clean(intro)))


def is_sentence(intro: str) -> bool:
    """The intro is already something to say (a greeting, or the interviewer speaking of itself)."""
    text = _clean(intro)
    return bool(text) and bool(greets(text) or _STARTS.match(text) or _SELF.search(text))


def persona(intro: str) -> str:
    """The name or role phrase without its final stop ("Alex, a senior engineer at Acme"); empty when
    the intro is a sentence or empty."""
    text = _clean(intro)
    if not text or is_sentence(text):
        return ""
    first, _, rest = text.partition(" ")
    if first.casefold() in _LOWER_LEAD:
        text = f"{first.lower()} {rest}".strip()
    return text.rstrip(".!? ")


def introduction(intro: str) -> str:
    """What the interviewer says to introduce itself: the intro as written when it is a sentence, a
    phrase wrapped in one ("I'm Alex, a senior engineer at Acme."), or a neutral line when empty."""
    text = _clean(intro)
    if not text:
        return "I'm your interviewer today."
    if is_sentence(text):
        return text if text[-1] in ".!?" else f"{text}."
    return f"I'm {persona(text)}."
