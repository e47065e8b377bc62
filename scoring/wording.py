"""What the wording of one answer shows: the word patterns behind the embedded scorer's substance parts.

The embedded scorer (`scoring.embedded`) reads meaning with sentence embeddings; this module counts
what the words themselves say, over the original (not repeated) part of an answer to one question:

* **specificity**: numbers (in digits or spoken, "ninety nine point six percent" being one figure),
  named tools, a concrete example (`scoring.answers`); discounted when names and clichés are stacked
  faster than anything is said about them (`BUZZ`, see `concreteness`).
* **reasoning**: why things were done (`REASONING`: because, so that, instead of, trade-offs, what was
  learned; a story's ", so" counts once per answer however often it comes, and reasoning words inside
  an admission that the reason was never known, `NO_REASON`, "I never found out the reason", not at
  all), discounted by **sweeping claims** (`SWEEPING`: "always", "never", "whatever the issue",
  "there's no need to"): a rule stated as universal stands in for the judgement the question asks
  about. Real expertise comes with conditions ("if", "unless", "it depends"); a candidate who states
  everything as a law is not checked for correctness here, only marked as not reasoning.
* **ownership**: the candidate narrating what they did (`OWN_ACTION`: "I told", "I rewrote", and the
  past verbs chained to that "I" in the same clause: "I profiled it, swapped the library and
  virtualised the list" is three), less what they say they did not do or handed on (`DISOWNED`: "I
  didn't really look into it", "I passed it on", "the DBA handled that"). Work told without a subject
  ("the fix was an advisory lock") is still not counted as the candidate's.
* **outcome**: what changed (`RESULT`), less outcomes the candidate says were never known or did not
  come (`NO_RESULT`: "we didn't really measure it", "not sure how much it helped").
* **elaboration**: how much was said, full at `FULL_WORDS` original words.

What it cannot judge: whether any of it is true. Every pattern here can be said by someone who did
not do it, and missed by someone who did but words it differently, which is why the scorer blends each
part with a semantic half and never relies on one pattern. Hedges ("I think", "maybe") cost nothing.
"""

from __future__ import annotations

import re

from scoring.answers import analyse

__all__ = [
    "BUZZ",
    "DISOWNED",
    "FULL_WORDS",
    "NO_REASON",
    "NO_RESULT",
    "OWN_ACTION",
    "REASONING",
    "RESULT",
    "SWEEPING",
    "substance",
]

FULL_WORDS = 90  # original words at which an answer counts as fully developed
# Sweeping claims per 100 words from which reasoning starts to lose credit, and at which it has lost
# SWEEPING_COST of it. One "always" in a long account is how people talk; several in a short answer
# are a creed. ("I never found out" is a past event, not a claim: "never" after "I" or "we" is not one.)
SWEEPING_LOW = 0.5
SWEEPING_HIGH = 2.0
SWEEPING_COST = 0.7

REASONING = re.compile(
    r"\b(?:because|since|so that|in order to|which meant|that meant|that's why|the reason|therefore|"
    r"trade-?offs?|instead of|rather than|the downside|the risk|the cost|at the expense of|otherwise|"
    r"which is why|to avoid|to make sure|the idea was|i realized|i realised|it turned out|i figured|"
    r"root cause|caused by|due to|as long as|unless|whereas|on the other hand|that way|"
    r"i learned|i learnt|the lesson|what i learned|my thinking|the point was|i weighed|i compared)\b"
    r"|, so (?!um|uh|yeah)",
    re.IGNORECASE,
)
# A past-tense action verb, and the states and wishes that look like one but are not done.
_NOT_ACTIONS = (
    r"(?!used\b|needed\b|wanted\b|liked\b|loved\b|hoped\b|guessed\b|supposed\b|believed\b|agreed\b)"
)
_PAST = (
    r"(?:[a-z]+ed|did|told|said|gave|took|made|went|found|wrote|ran|got|built|led|set|put|brought|sent|"
    r"spoke|kept|began|chose|drove|caught|met|paid|saw|pulled|rewrote|dug|held|won|sold|taught|"
    r"understood|shipped|split|cut|broke|sat|read|rebuilt|redid|came up with|set up|went through)\b"
)
# The candidate narrating what they did: "I" then a past-tense verb ("I told", "I rewrote").
OWN_ACTION = re.compile(
    r"\bI\s+(?:then\s+|also\s+|just\s+|first\s+|personally\s+|finally\s+|actually\s+|\w+ly\s+)?"
    + _NOT_ACTIONS
    + _PAST,
    re.IGNORECASE,
)
# Further actions that share that "I" ("I profiled the page, swapped the date library and virtualised
# the list"): a past verb straight after a comma, "and" or "then", in the same clause. The clause ends
# at a full stop, a new clause ("because", "so", "which") or another subject ("and they"), so "I asked
# and he agreed" is one action of the candidate's, not two.
_CHAINED = re.compile(
    r"(?:,\s*(?:and\s+|then\s+)?|\s+(?:and|then)\s+)(?:also\s+|then\s+)?" + _NOT_ACTIONS + _PAST,
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"[.!?;]|\b(?:he|she|they|we|there|which|who|but|because|so|when|while|if|until|after|since)\b"
    r"|\bI\b",
    re.IGNORECASE,
)
RESULT = re.compile(
    r"\b(?:reduced|increased|improved|shipped|saved|launched|delivered|grew|doubled|halved|tripled|"
    r"achieved|resulted|as a result|outcome|in the end|eventually|since then|from then on|afterwards|"
    r"renewed|resolved|solved|fixed|worked|stopped|dropped|fell|rose|went (?:down|up|from)|came back|"
    r"thanked|satisfied|survey|csat|nps|churn|retained|signed|closed|landed|won|no longer|"
    r"never happened again|on time|ahead of|under budget|approved|adopted)\b|%|\bpercent\b",
    re.IGNORECASE,
)
# Vocabulary that sounds like substance without carrying any: management and tech clichés. Present in
# a story it costs little; stacked up in place of one, it marks the answer as a pitch, not an account.
BUZZ = re.compile(
    r"\b(?:synerg\w*|leverag\w*|paradigm\w*|holistic\w*|seamless\w*|cutting[- ]edge|best[- ]in[- ]class|"
    r"world[- ]class|game[- ]chang\w*|next[- ]gen\w*|cloud[- ]native|cloud[- ]agnostic|event[- ]driven|"
    r"hyper ?scal\w*|zero[- ]trust|api[- ]first|data[- ]driven|ai[- ]driven|ai[- ]powered|mindset|"
    r"disrupt\w*|transformational|transformative|value[- ]add\w*|move the needle|north star|"
    r"end[- ]to[- ]end|full[- ]stack|ten ?x|10x|five nines|thought leader\w*|ecosystem|omnichannel|"
    r"streamlin\w*|empower\w*|stakeholder alignment|actionable insights?|growth hack\w*|"
    r"circle back|bandwidth|deep dive|low[- ]hanging fruit|blockchain|web3|agile transformation|"
    r"digital transformation|innovation|innovative|scalab\w*|robust|best practices?|state[- ]of[- ]the[- ]art|"
    r"world-changing|visionary|rockstar|ninja|passionate)\b",
    re.IGNORECASE,
)
# Universal claims that replace a judgement with a rule. Not hedges' opposite (confidence is fine):
# quantifiers over every case ("always", "whatever the issue"), dismissals of the need to think ("no
# need to", "you don't need to"), and "the only/best way" verdicts.
SWEEPING = re.compile(
    r"\b(?:always|(?<!\bI )(?<!\bwe )never|every single|every time|whatever the|no matter (?:what|how|who)|all the time|"
    r"almost always|in every case|in all cases|without exception|guarantee[sd]?|100 percent|"
    r"a hundred percent|there's no need|there is no need|no need to|(?:you|we) don't (?:really )?need to|"
    r"(?:you|we) never need|the only way|the best way|the fastest way|the most accurate way|"
    r"everyone knows|speak for themselves|can't go wrong|nothing can go wrong|it just works)\b",
    re.IGNORECASE,
)
# "I didn't really look into why", "I never found out", "I passed it on", "the DBA handled that".
# Intentions and states ("I didn't want to", "I didn't know yet") are not disowned actions.
# The "I" must start a clause: "a date I could not keep" is a relative clause, not an admission.
DISOWNED = re.compile(
    r"(?:^|[.,;:!?]\s*|\b(?:and|but|so|then|because|honestly|actually|really|though)\s+)"
    r"I\s+(?:didn't|did not|never|couldn't|could not|wasn't able to|haven't|have not)\s+"
    r"(?:really\s+|actually\s+|fully\s+|personally\s+|even\s+|quite\s+)?"
    r"(?!want|think|know|mean|like|need|have to|mind|panic|hesitate|expect|realise|realize|stop)\w+"
    r"|\b(?:I\s+)?(?:passed|handed)\s+it\s+(?:on|over|off)\b"
    r"|\b(?:someone else|somebody else|the dba|the lead|my lead|my manager|another team|the other team)\s+"
    r"(?:usually\s+|always\s+|actually\s+)?(?:handled|did|took care of|fixed|figured|dealt with)\b",
    re.IGNORECASE,
)
# Outcomes the candidate says never came or were never known.
NO_RESULT = re.compile(
    r"\b(?:didn't|did not|never)\s+(?:really\s+|actually\s+)?(?:measure|check|track|follow up|find out|"
    r"hear back|see)\w*"
    r"|\bnot sure (?:how much|if|whether|what) (?:it|that|they) (?:helped|worked|changed|did)"
    r"|\bhasn't\s+(?:\w+\s+)?yet\b|\bhaven't\s+(?:\w+\s+)?yet\b|\bno idea (?:if|whether|how)\b",
    re.IGNORECASE,
)

# Admissions that the reason was never known ("I never found out the reason", "we don't know the root
# cause"): the reasoning words inside them ("the reason", "root cause") are not reasoning.
NO_REASON = re.compile(
    r"\b(?:never|didn't|did not|don't|do not|not sure|no idea)\s+(?:really\s+|actually\s+|even\s+)?"
    r"(?:(?:know|find out|found out|figure out|figured out|understand|understood|get|got|ask|asked|"
    r"look into|looked into)\s+)?(?:about\s+)?(?:the reason|the root cause|the cause|what caused|why)\b",
    re.IGNORECASE,
)


def substance(
    text: str, original_words: float, skill: str | None, keywords: tuple[str, ...] | list[str] = ()
) -> dict[str, float]:
    """The counted half of each substance part, 0-1, plus `concreteness` (1 unless names and clichés
    are stacked) and `measured` (1 unless sweeping claims stand in for reasoning)."""
    features = analyse(text, skill, keywords)
    words = max(features.word_count, 1)
    specifics = min((min(len(features.numbers), 3) + min(len(features.technologies), 3)) / 3, 1.0)
    story = features.has_example or "situation" in features.star
    specifics = min(specifics + (0.4 if story else 0.0), 1.0)
    # Names, figures and clichés stacked faster than anything is said about them: a pitch, not an
    # account. It discounts the parts such talk imitates (specifics, "I led", outcomes).
    # Figures are what a real account is made of, so only names count towards the density.
    density = len(features.technologies) / words
    buzz = 100 * len(BUZZ.findall(text)) / words
    credibility = 1.0 - 0.4 * _ramp(density, 0.1, 0.25) - 0.6 * _ramp(buzz, 0.5, 3.0)
    # The first one counts half: one "always" is how people talk, a second is a pattern.
    sweeping = 100 * max(len(SWEEPING.findall(text)) - 0.5, 0.0) / words
    measured = 1.0 - SWEEPING_COST * _ramp(sweeping, SWEEPING_LOW, SWEEPING_HIGH)
    actions = _own_actions(text) - len(DISOWNED.findall(text))
    owned = (
        min(actions / 3, 1.0) if actions > 0 else (0.3 if features.we_statements and actions == 0 else 0.0)
    )
    results = len(RESULT.findall(text)) - len(NO_RESULT.findall(text))
    unknown = [m.span() for m in NO_REASON.finditer(text)]
    found = [m for m in REASONING.finditer(text) if not any(a <= m.start() < b for a, b in unknown)]
    # ", so" chains a spoken story as often as it gives a reason: however often it comes, once.
    chained = sum(m.group(0).startswith(",") for m in found)
    reasons = len(found) - chained + min(chained, 1)
    return {
        "specificity": round(specifics * credibility, 3),
        "reasoning": round(min(reasons / 3, 1.0) * measured, 3),
        "ownership": round(owned * credibility, 3),
        "outcome": round(min(max(results, 0) / 2, 1.0) * credibility, 3),
        "elaboration": round(min(original_words / FULL_WORDS, 1.0) * (0.5 + 0.5 * credibility), 3),
        "concreteness": round(credibility, 3),
        "measured": round(measured, 3),
    }


def _own_actions(text: str) -> int:
    """Actions the candidate narrates as theirs: each "I <past verb>", plus the past verbs chained to it
    in the same clause, so a list of coordinated actions counts like the same actions each given an "I"."""
    count = 0
    for match in OWN_ACTION.finditer(text):
        count += 1
        rest = text[match.end() :]
        end = _CLAUSE_END.search(rest)
        count += len(_CHAINED.findall(rest[: end.start()] if end else rest))
    return count


def _ramp(value: float, low: float, high: float) -> float:
    return float(min(max((value - low) / (high - low), 0.0), 1.0))
