"""What the wording of an answer shows: sweeping claims, disowned actions, outcomes that never came."""

from __future__ import annotations

import pytest

from scoring.wording import DISOWNED, NO_RESULT, SWEEPING, substance

REASONED = (
    "I put the cache in front of the catalogue because reads outnumbered writes fifty to one, and I kept "
    "the checkout path uncached so that prices could not go stale. The trade-off was a second source of "
    "truth, so I added an invalidation on every price change."
)
CREED = (
    "I always put a cache in front of everything because caches always make things faster, and you never "
    "need to think about invalidation, whatever the system is. There's no need to measure first, it is "
    "always the best way and it never goes wrong."
)


def test_a_creed_of_sweeping_rules_is_not_reasoning() -> None:
    creed = substance(CREED, 45, None)
    reasoned = substance(REASONED, 45, None)
    assert creed["measured"] < 0.5, creed
    assert reasoned["measured"] == 1.0, reasoned
    assert creed["reasoning"] < reasoned["reasoning"], (creed, reasoned)


def test_one_always_in_a_long_account_costs_little() -> None:
    text = f"{REASONED} I always write that down in the runbook for the next person on call."
    assert substance(text, 60, None)["measured"] >= 0.85


@pytest.mark.parametrize(
    "text",
    [
        "I never found out what the customer's budget was.",
        "We never heard from them about the renewal date.",
    ],
)
def test_a_past_never_is_an_event_not_a_claim(text: str) -> None:
    assert not SWEEPING.search(text)


@pytest.mark.parametrize(
    ("text", "disowned"),
    [
        ("I didn't really look into why it kept happening.", True),
        ("I checked the spam folder and then I passed it on to tier three.", True),
        ("At my last job the DBA usually handled that kind of thing.", True),
        ("I didn't want to promise a date I could not keep, so I gave a range.", False),
        ("I didn't panic; I restored the backup and told the customer.", False),
    ],
)
def test_actions_the_candidate_did_not_take(text: str, disowned: bool) -> None:
    assert bool(DISOWNED.search(text)) is disowned


def test_disowned_actions_cancel_claimed_ones() -> None:
    did = "I checked the logs, I found the bad config and I fixed it myself, then I told the customer."
    handed = (
        "I checked the logs, I didn't really find anything, so I passed it on and the other team fixed it, "
        "then I told the customer."
    )
    assert substance(handed, 30, None)["ownership"] < substance(did, 30, None)["ownership"]


def test_an_outcome_never_measured_is_not_an_outcome() -> None:
    text = "They started sending a discount email, but we didn't really measure it, not sure if it helped."
    assert NO_RESULT.search(text)
    assert substance(text, 20, None)["outcome"] == 0.0
