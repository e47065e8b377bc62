"""What the wording of an answer shows: sweeping claims, disowned actions, outcomes that never came."""

from __future__ import annotations

import pytest

from scoring.wording import DISOWNED, NO_REASON, NO_RESULT, SWEEPING, substance

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


def test_coordinated_actions_count_like_actions_each_with_an_i() -> None:
    listed = "I profiled the page, swapped the date library and virtualised the long list."
    spelled = "I profiled the page, I swapped the date library and I virtualised the long list."
    assert substance(listed, 20, None)["ownership"] == substance(spelled, 20, None)["ownership"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "I asked for the logs and he sent them over and fixed it.",  # "he" takes over the clause
        "I asked for the logs, which showed it and fixed it.",  # so does "which"
    ],
)
def test_verbs_after_another_subject_are_not_the_candidates(text: str) -> None:
    assert substance(text, 20, None)["ownership"] == round(1 / 3, 3)


def test_a_reason_never_found_is_not_reasoning() -> None:
    text = "The deal slipped, I never found out the reason, and we don't know the root cause."
    assert NO_REASON.search(text)
    assert substance(text, 20, None)["reasoning"] == 0.0
    assert substance("The reason was a missing index.", 20, None)["reasoning"] > 0.0


def test_a_story_chained_with_so_gets_one_reason_not_one_per_so() -> None:
    chained = (
        "His invoice came out double, so he thought we'd charged him twice. It was proration, so both "
        "plans were on it, so I offered a call."
    )
    once = "His invoice came out double, so he thought we'd charged him twice. It was proration."
    assert (
        substance(chained, 30, None)["reasoning"] == substance(once, 30, None)["reasoning"] == round(1 / 3, 3)
    )
    # Explicit reasons still count each time.
    explicit = "I split the table because reads were slow, and I kept one writer to avoid conflicts."
    assert substance(explicit, 30, None)["reasoning"] == round(2 / 3, 3)
