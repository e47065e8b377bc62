"""The scorecard says how far its numbers go, in a real browser (Debian's Chromium, driven by Playwright,
against a real uvicorn server): a dimension without enough evidence is "not assessed" (never 0), the
coverage of the rubric sits by the overall rating, "needs_review" is its own badge with its reasons, a cut
short interview says what was never asked, and the scorer's limits are always in view. An analysis from
before these fields still shows its numbers as it did.

The analyses are written straight into the store (the newest version and its mirror on the session), so
the page is tested against an exact scorecard, whatever the scorer of the day would produce. Screenshots
go to test-artifacts/review/ (desktop and 375 px wide)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from engine.services import analyses
from engine.store.tables import SessionRow
from tests.chromium import ARTIFACTS, requires_chromium, screenshot
from tests.engine.analysis_helpers import STRONG, complete_with
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.server_thread import serve_seeded

EMAIL, PASSWORD = "rita@acme.com", "correct horse battery staple"
LIMITS = "Measures structure and relevance, not correctness; confirm with an LLM scorer or a human."
REASONS = [
    "Only 45% of the rubric weight has enough evidence (threshold 70%).",
    "The interview ended early: the candidate hung up after 2 of 6 questions.",
]
NOT_ASKED = [
    "How would you design a rate limiter for a public API?",
    "How would you shard a table that outgrew one server?",
    "What would you monitor first in a new service?",
    "Tell me about a design you would do differently today.",
]
INCOMPLETE_SUMMARY = "The candidate ended the interview after 2 of 6 planned questions."
NOT_RATED = "No rating: nothing could be assessed"
# Keys an analysis gained with issue 12; an older analysis has none of them.
NEW_KEYS = ("scorerLimits", "needsReview", "reviewReasons", "coverage", "completion")

JSON = dict[str, Any]

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    old: str  # first attempt: an analysis of the older shape, with numbers only
    review: str  # its retake: one dimension assessed, one not, needs_review, incomplete
    nothing: str  # another participant: nothing could be assessed, no rating


def dimension(name: str, weight: float, score: float | None, rationale: str, evidence: list[Any]) -> JSON:
    status = "assessed" if score is not None else "insufficient_evidence"
    return {
        "name": name,
        "weight": weight,
        "score": score,
        "status": status,
        "scale": "0-10",
        "rationale": rationale,
        "evidence": evidence,
    }


def old_shape(base: JSON, evidence: list[Any]) -> JSON:
    result = {k: v for k, v in base.items() if k not in NEW_KEYS}
    result.update(
        scorer="embedded", recommendation="hire", recommendationBasis="Overall rating 81 reaches 60."
    )
    result["general"] = {**base["general"], "overallRating": 81}
    result["dimensions"] = [
        {
            "name": "Problem solving",
            "weight": 60.0,
            "score": 8.2,
            "scale": "0-10",
            "rationale": "Clear steps, numbers, own actions.",
            "evidence": evidence,
        },
        {
            "name": "System design",
            "weight": 40.0,
            "score": 6.0,
            "scale": "0-10",
            "rationale": "Named the parts, little on trade-offs.",
            "evidence": [],
        },
    ]
    return result


def needs_review(base: JSON, evidence: list[Any]) -> JSON:
    return {
        **base,
        "scorer": "embedded",
        "scorerLimits": LIMITS,
        "recommendation": "needs_review",
        "recommendationBasis": "Only 45% of the rubric weight was assessed (threshold 70%): a human decides.",
        "needsReview": True,
        "reviewReasons": REASONS,
        "coverage": {
            "assessedWeight": 45.0,
            "threshold": 70.0,
            "sufficient": False,
            "assessed": ["Problem solving"],
            "insufficientEvidence": ["System design"],
        },
        "completion": {
            "complete": False,
            "endReason": "hangup",
            "questionsPlanned": 6,
            "questionsAsked": 2,
            "notAsked": NOT_ASKED,
            "dimensionsNotReached": ["System design"],
            "summary": INCOMPLETE_SUMMARY,
        },
        "general": {
            **base["general"],
            "overallRating": 72,
            "strongPoints": ["Problem solving (7.5/10): steps and numbers."],
            "weakPoints": [],
            "evaluation": ["Only Problem solving could be assessed."],
        },
        "dimensions": [
            dimension("Problem solving", 45, 7.5, "Concrete steps and numbers.", evidence),
            dimension(
                "System design", 55, None, "Never asked: the interview ended before its questions.", []
            ),
        ],
    }


def nothing_assessed(base: JSON) -> JSON:
    result = needs_review(base, [])
    result["coverage"] = {
        **result["coverage"],
        "assessedWeight": 0.0,
        "assessed": [],
        "insufficientEvidence": ["Problem solving", "System design"],
    }
    result["general"] = {**base["general"], "overallRating": None}
    result["dimensions"] = [
        dimension(d["name"], d["weight"], None, "Too few of the candidate's words on it.", [])
        for d in result["dimensions"]
    ]
    return result


async def rewrite_analysis(services: Services, session_id: str, build: Callable[[JSON], JSON]) -> None:
    """Replace the newest analysis (and the session's mirror of it) with build(result)."""
    async with services.database.transaction() as db:
        newest = max(await analyses.list_versions(db, session_id), key=lambda v: v.version)
        assert newest.status == "COMPLETED"
        assert newest.result is not None
        result = build(dict(newest.result))
        newest.result = result
        row = await db.get(SessionRow, session_id)
        assert row is not None
        row.analysis = {**result, "version": newest.version}


async def seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            body = {"email": EMAIL, "name": "Rita Recruiter", "password": PASSWORD}
            expect(await client.post("/v1/recruiters", json=body), 201)
            profile = await make_profile(client)
            template = await make_template(client)
            stage = await make_stage(
                client, template["id"], profile["id"], pass_threshold=60, on_complete="human_approval"
            )
            person = inline_participant(name="Ada Lovelace", external_id="ats-ada")
            first = await book(client, stage_id=stage["id"], participant=person)
            await complete_with(app, client, first["id"], STRONG)
            retake = expect(await client.post(f"/v1/sessions/{first['id']}/retake"), 201)
            await complete_with(app, client, retake["id"], STRONG)
            other = inline_participant(name="Alan Turing", external_id="ats-alan")
            nothing = await book(client, stage_id=stage["id"], participant=other)
            await complete_with(app, client, nothing["id"], STRONG)
            await services.analysis.wait_idle()
        evidence: list[Any] = []

        def keep_evidence(result: JSON) -> JSON:
            evidence.extend(result["dimensions"][0]["evidence"][:1])  # a real segment, so it seeks
            return old_shape(result, evidence)

        await rewrite_analysis(services, first["id"], keep_evidence)
        await rewrite_analysis(services, retake["id"], lambda r: needs_review(r, evidence))
        await rewrite_analysis(services, nothing["id"], nothing_assessed)
        return Seeded(first["id"], retake["id"], nothing["id"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/review")
    await page.fill("[data-testid=signin-email]", EMAIL)
    await page.fill("[data-testid=signin-password]", PASSWORD)
    await page.click("[data-testid=signin-submit]")
    await page.wait_for_selector("[data-testid=session-row]")


async def open_scorecard(page: Page, base: str, session_id: str) -> None:
    await page.goto(f"{base}/review/sessions/{session_id}")
    await page.wait_for_selector("[data-testid=scorecard] [data-testid=dimension]")


async def text(page: Page, selector: str) -> str:
    return " ".join((await page.inner_text(selector)).split())


async def heading_levels(page: Page) -> list[int]:
    levels = await page.eval_on_selector_all(
        "main h1, main h2, main h3, main h4, main h5, main h6", "els => els.map(e => Number(e.tagName[1]))"
    )
    return [int(level) for level in levels]


async def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 or less: it fits)."""
    value = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return int(value)


async def shoot_scorecard(page: Page, name: str) -> None:
    await screenshot(page, "review", name)
    await page.locator("[data-testid=scorecard]").screenshot(
        path=str(ARTIFACTS / "review" / f"{name}-card.png")
    )


async def test_a_scorecard_says_what_it_could_not_assess(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, base)
        # The list never shows needs_review as a verdict, and a session with nothing assessed is "Not rated".
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 3"
        )
        row = f"[data-testid=session-row][data-session-id='{seeded.review}']"
        badge = page.locator(f"{row} [data-recommendation]")
        assert await badge.inner_text() == "Needs human review"
        assert await badge.get_attribute("data-tone") == "attention"
        assert "Not rated" in await text(
            page, f"[data-testid=session-row][data-session-id='{seeded.nothing}']"
        )

        await open_scorecard(page, base, seeded.review)
        unassessed = "[data-testid=dimension][data-name='System design']"
        score = await text(page, f"{unassessed} [data-testid=dimension-score]")
        assert score == "Not assessed — insufficient evidence"
        assert not re.search(r"\d", score)
        assert await page.locator(f"{unassessed} .bar").count() == 0
        assert "not counted" in await text(page, f"{unassessed} [data-testid=dimension-weight]")
        assert "Never asked" in await text(page, unassessed)
        assessed = "[data-testid=dimension][data-name='Problem solving']"
        assert await text(page, f"{assessed} [data-testid=dimension-score]") == "7.5 / 10"
        assert await page.locator(f"{assessed} .bar").count() == 1

        assert (await text(page, "[data-testid=overall-rating]")).startswith("72")
        coverage = await text(page, "[data-testid=coverage]")
        assert "Assessed: 45% of the rubric weight (threshold 70%)" in coverage
        assert "Not assessed: System design" in coverage

        recommendation = page.locator("[data-testid=recommendation]")
        assert await recommendation.inner_text() == "Needs human review"
        assert await recommendation.get_attribute("data-tone") == "attention"
        reasons = await page.eval_on_selector_all(
            "[data-testid=review-reasons] > li", "els => els.map(e => e.textContent)"
        )
        assert reasons == REASONS
        assert await page.eval_on_selector("[data-testid=review-reasons]", "el => el.tagName") == "UL"

        incomplete = await text(page, "[data-testid=incomplete]")
        assert "Interview incomplete" in incomplete
        assert INCOMPLETE_SUMMARY in incomplete
        assert await text(page, "[data-testid=not-reached]") == "System design"
        # Four questions not asked: folded away until opened.
        question = page.locator("[data-testid=not-asked] li").first
        assert not await question.is_visible()
        await page.click("[data-testid=incomplete] details summary")
        assert await question.is_visible()
        assert await page.locator("[data-testid=not-asked] li").all_inner_texts() == NOT_ASKED

        note = page.locator("[data-testid=scorer-limits]")
        assert await note.get_attribute("role") == "note"
        assert LIMITS in await note.inner_text()
        assert await note.is_visible()
        assert "Scored by the embedded scorer" in await text(page, "[data-testid=scorer]")

        # Side by side with the older attempt: its numbers, and "Not assessed" rather than a score.
        retakes = await text(page, "[data-testid=retakes]")
        assert "Needs human review" in retakes
        assert "Not assessed" in retakes
        assert "8.2 / 10" in retakes

        levels = await heading_levels(page)
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        await shoot_scorecard(page, "6-scorecard-needs-review")

        # Nothing assessed: no number at all.
        await open_scorecard(page, base, seeded.nothing)
        assert await text(page, "[data-testid=overall-rating]") == NOT_RATED
        assert "Assessed: 0% of the rubric weight (threshold 70%)" in await text(
            page, "[data-testid=coverage]"
        )
        assert await page.locator("[data-testid=scorecard] .bar").count() == 0
        await shoot_scorecard(page, "7-scorecard-nothing-assessed")
        assert errors == []
    finally:
        await context.close()


async def test_an_older_analysis_still_shows_its_numbers(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, base)
        await open_scorecard(page, base, seeded.old)
        assert (await text(page, "[data-testid=overall-rating]")).startswith("81")
        scores = await page.locator("[data-testid=dimension-score]").all_inner_texts()
        assert [" ".join(s.split()) for s in scores] == ["8.2 / 10", "6 / 10"]
        assert await page.locator("[data-testid=scorecard] .dimensions .bar").count() == 2
        assert await page.locator("[data-testid=dimension][data-status=insufficient_evidence]").count() == 0
        assert await text(page, "[data-testid=recommendation]") == "Hire"
        for absent in ("coverage", "review-notice", "incomplete"):
            assert await page.locator(f"[data-testid={absent}]").count() == 0, absent
        # The embedded scorer's limits are shown even when the analysis predates the field.
        assert LIMITS in await text(page, "[data-testid=scorer-limits]")
        await shoot_scorecard(page, "8-scorecard-older-analysis")
        assert errors == []
    finally:
        await context.close()


async def test_the_scorecard_fits_a_phone(server: tuple[str, Seeded], browser: Browser) -> None:
    base, seeded = server
    context = await browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    try:
        await sign_in(page, base)
        assert await overflow(page) <= 0
        await screenshot(page, "review", "9-sessions-375")
        await open_scorecard(page, base, seeded.review)
        await page.click("[data-testid=incomplete] details summary")
        assert await overflow(page) <= 0
        await shoot_scorecard(page, "9-scorecard-375")
    finally:
        await context.close()
