"""The Interviewers pages (agent profiles) in a real browser (Debian's Chromium, driven by Playwright) on a
390 px wide phone. A recruiter with the profile scopes builds an interviewer in the editor: a save refused
while the rubric's weights total 90 (the reason by the rubric), rows reordered with the keyboard, an API
422 shown by the field it names, created, reloaded and found as saved (also through the API); then switches
to rule-based scoring and sees the rule language's line/column errors as they type (leaving unsaved, by a
link or the browser's Back button, asks first and staying keeps the edits), duplicates it, deletes
the copy, and is refused (409, with the stage that uses it) deleting a profile a template's stage uses.
Markup in a name stays text. Screenshots (each checked by axe-core) go to test-artifacts/profiles/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from engine.app import create_app
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded

PROFILER, REVIEWER = "pia@acme.com", "rita@acme.com"
PROFILE_SCOPES = [*REVIEWER_SCOPES, "read:agent_profiles", "write:agent_profiles", "delete:agent_profiles"]
XSS = "<img src=x onerror=window.__xss=1>"
HOSTILE_NAME = f"Backend {XSS} interviewer"
IN_USE = "Phone screen interviewer"
BROKEN_RULES = 'all >= 6 and "System Design" >= 7 -> hire\n"Communication" < 4 no_hire'
GOOD_RULES = (
    'all >= 6 and "System Design" >= 7 -> hire\n"Communication" < 4 -> no_hire\notherwise -> negative'
)

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str
    in_use_id: str


async def seed(settings: Settings) -> Seeded:
    """The recruiters, and a profile that a template's stage uses (so it cannot be deleted)."""
    key = await seed_company(settings, ((PROFILER, PROFILE_SCOPES), (REVIEWER, None)))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile = expect(
                await client.post(
                    "/v1/agent-profiles",
                    json={"name": IN_USE, "rubric": [{"name": "Communication", "weight": 100}]},
                ),
                201,
            )
            template = expect(
                await client.post("/v1/templates", json={"name": "Backend Engineer", "preset": "hiring"}), 201
            )
            expect(
                await client.post(
                    f"/v1/templates/{template['id']}/stages",
                    json={"name": "Phone Screen", "agent_profile_id": profile["id"]},
                ),
                201,
            )
    return Seeded(key, profile["id"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def text(page: Page, selector: str) -> str:
    return (await page.inner_text(selector)).strip()


async def row_values(page: Page) -> list[tuple[str, str]]:
    """Each rubric row's name and weight, in order."""
    names = await page.eval_on_selector_all("[data-testid=dim-name]", "els => els.map(e => e.value)")
    weights = await page.eval_on_selector_all("[data-testid=dim-weight]", "els => els.map(e => e.value)")
    return list(zip(names, weights, strict=True))


async def test_a_recruiter_builds_duplicates_and_deletes_an_interviewer(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context, page, errors = await phone_page(browser, base)
    admin = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"})
    try:
        # A reviewer may look but not change: no New button, no actions.
        await sign_in(page, base, REVIEWER)
        await page.click("[data-nav=profiles]")
        await page.wait_for_selector("[data-testid=profile-row]")
        assert await page.query_selector("[data-testid=profile-new]") is None
        assert await page.query_selector("[data-testid=profile-delete]") is None
        await page.click("[data-testid=profile-link]")
        await page.wait_for_selector("[data-testid=profile-read-only]")
        assert await page.is_disabled("[data-testid=profile-name]")
        assert await page.query_selector("[data-testid=profile-save]") is None
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        await sign_in(page, base, PROFILER)
        await page.click("[data-nav=profiles]")
        await page.wait_for_selector("[data-testid=profile-row]")
        assert await page.get_attribute("[data-nav=profiles]", "aria-current") == "page"
        assert await text(page, "[data-testid=profile-link]") == IN_USE
        await assert_fits(page)
        await screenshot(page, "profiles", "1-list")

        # A new interviewer: the button says what it does, and why it cannot yet.
        await page.click("[data-testid=profile-new]")
        await page.wait_for_selector("[data-testid=profile-form]")
        assert page.url == f"{base}/review/profiles/new"
        assert await text(page, "[data-testid=profile-save]") == "Create interviewer"
        assert await page.get_attribute("[data-testid=profile-save]", "aria-disabled") == "true"
        assert "add at least one dimension" in await text(page, "[data-testid=profile-save-reason]")
        await assert_fits(page)
        await screenshot(page, "profiles", "2-new")

        await page.fill("[data-testid=profile-name]", HOSTILE_NAME)
        await page.fill("[data-testid=profile-intro]", "Alex, a senior engineer at Acme.")
        await page.select_option("[data-testid=profile-tone]", "friendly")
        await page.select_option("[data-testid=profile-style]", "conversational")
        await page.select_option("[data-testid=profile-difficulty]", "hard")
        await page.select_option("[data-testid=profile-depth]", "high")

        # Three dimensions; the total follows each weight, live.
        total = "[data-testid=rubric-total]"
        assert await page.get_attribute(total, "aria-live") == "polite"
        for index, (name, weight) in enumerate(
            (("System Design", "40"), ("Communication", "30"), ("Ownership", "20"))
        ):
            await page.click("[data-testid=rubric-add]")
            assert await focused(page) == "dim-name"
            row = f"[data-testid=rubric-row] >> nth={index}"
            await page.fill(f"{row} >> [data-testid=dim-name]", name)
            await page.fill(
                f"{row} >> [data-testid=dim-description]", f"What a strong {name.lower()} answer shows"
            )
            await page.fill(f"{row} >> [data-testid=dim-weight]", weight)
        assert await text(page, total) == "Total 90 of 100: 10 left to share."
        assert "weights total 90" in await text(page, "[data-testid=profile-save-reason]")

        # Saving at 90 is refused, with the reason next to the rubric; nothing reaches the API. The button
        # is aria-disabled, not disabled: it can still be reached and pressed, and says why it refuses.
        await page.focus("[data-testid=profile-save]")
        await page.keyboard.press("Enter")
        refusal = "[data-testid=rubric-error]"
        await page.wait_for_selector(f"{refusal}:not(:empty)")
        assert "must total exactly 100" in await text(page, refusal)
        assert await focused(page) == "dim-weight"
        await assert_fits(page)
        await screenshot(page, "profiles", "3-refused-at-90")
        assert len(expect(await admin.get("/v1/agent-profiles"), 200)["data"]) == 1

        # Keyboard reorder: Ownership moves up one place, and focus stays on it.
        third = "[data-testid=rubric-row] >> nth=2"
        await page.focus(f"{third} >> [data-testid=dim-up]")
        await page.keyboard.press("Enter")
        assert [name for name, _ in await row_values(page)] == ["System Design", "Ownership", "Communication"]
        assert await focused(page) == "dim-up"
        assert "Ownership" in await page.evaluate(
            "() => document.activeElement.closest('fieldset').querySelector('legend').textContent"
        )

        # Fixed to 100: the refusal is taken back.
        await page.fill("[data-testid=rubric-row] >> nth=1 >> [data-testid=dim-weight]", "30")
        assert await text(page, total) == "Total 100 of 100."
        assert await text(page, refusal) == ""
        assert await page.get_attribute("[data-testid=profile-save]", "aria-disabled") == "false"

        # Grounding, scorecard, voice; a voice name the API refuses: its 422 by the voice field.
        await page.click("[data-testid=grounding-organizationContext-add]")
        assert await focused(page) == "grounding-organizationContext"
        await page.fill("[data-testid=grounding-organizationContext]", "Acme builds payment APIs.")
        await page.uncheck("[data-testid=scorecard-includeImprovementFeedback]")
        await page.select_option("[data-testid=voice-engine]", "espeak")
        await page.fill("[data-testid=voice-name]", "English!")
        await page.fill("[data-testid=voice-rate]", "150")
        await page.click("[data-testid=profile-save]")
        await page.wait_for_selector("[data-testid=voice-name-error]:not(:empty)")
        assert await focused(page) == "voice-name"
        assert await page.get_attribute("[data-testid=voice-name]", "aria-invalid") == "true"
        await assert_fits(page)
        await screenshot(page, "profiles", "4-api-error")

        await page.fill("[data-testid=voice-name]", "en-gb-x-rp")
        await page.click("[data-testid=profile-save]")
        await page.wait_for_selector("[data-testid=profile-flash]")
        assert "/review/profiles/new" not in page.url
        profile_id = page.url.rsplit("/", 1)[1]
        assert await text(page, "[data-testid=profile-title]") == HOSTILE_NAME
        assert await text(page, "[data-testid=profile-save]") == "No changes to save"
        assert await page.query_selector("[data-testid=profile-title] img") is None
        await assert_fits(page)
        await screenshot(page, "profiles", "5-created")

        stored = expect(await admin.get(f"/v1/agent-profiles/{profile_id}"), 200)
        assert stored["name"] == HOSTILE_NAME
        assert [(d["name"], d["weight"]) for d in stored["rubric"]] == [
            ("System Design", 40),
            ("Ownership", 30),
            ("Communication", 30),
        ]
        assert stored["rubric"][0]["description"] == "What a strong system design answer shows"
        assert stored["behavior"] == {
            "tone": "friendly",
            "style": "conversational",
            "difficulty": "hard",
            "probingDepth": "high",
        }
        assert stored["grounding"]["organizationContext"] == "Acme builds payment APIs."
        assert stored["grounding"]["domainContext"] is None
        assert stored["scorecard"]["includeImprovementFeedback"] is False
        assert stored["scorecard"]["includeTranscript"] is True
        assert stored["voice"] == {"engine": "espeak", "name": "en-gb-x-rp", "rate": 150, "pitch": 50}

        # Reloaded: the editor shows what was saved.
        await page.reload()
        await page.wait_for_selector("[data-testid=profile-form]")
        assert await page.input_value("[data-testid=profile-name]") == HOSTILE_NAME
        assert await row_values(page) == [
            ("System Design", "40"),
            ("Ownership", "30"),
            ("Communication", "30"),
        ]
        assert await page.input_value("[data-testid=profile-tone]") == "friendly"
        assert await page.input_value("[data-testid=voice-name]") == "en-gb-x-rp"
        assert not await page.is_checked("[data-testid=scorecard-includeImprovementFeedback]")

        await edit_rules(page, admin, profile_id)
        await duplicate_and_delete(page, admin, profile_id, seeded)

        assert await page.evaluate("() => window.__xss") is None
        await page.set_viewport_size({"width": 1280, "height": 900})
        await screenshot(page, "profiles", "11-desktop")
        await page.click(f"[data-testid=profile-link]:text-is('{HOSTILE_NAME}')")
        await page.wait_for_selector("[data-testid=logic-status][data-state=valid]")
        await screenshot(page, "profiles", "12-desktop-editor")
        assert errors == []
    finally:
        await context.close()
        await admin.aclose()


async def edit_rules(page: Page, admin: httpx.AsyncClient, profile_id: str) -> None:
    """Rule-based scoring: the rule language's errors by the text as it is typed, then saved (PATCH)."""
    await page.select_option("[data-testid=profile-method]", "rule_based")
    assert await text(page, "[data-testid=profile-save]") == "Save changes"
    status = "[data-testid=logic-status]"
    await page.wait_for_selector(f"{status}:has-text('needs them')")
    await page.fill("[data-testid=profile-logic]", BROKEN_RULES)
    problem = await page.wait_for_selector("[data-testid=logic-problem]")
    assert problem is not None
    shown = (await problem.inner_text()).strip()
    assert shown.startswith("Line 2, column "), shown
    described = await page.get_attribute("[data-testid=profile-logic]", "aria-describedby") or ""
    assert "logic-problems" in described.split()
    assert await page.get_attribute("[data-testid=profile-logic]", "aria-invalid") == "true"
    await assert_fits(page)
    await screenshot(page, "profiles", "6-rule-error")

    # Unsaved: the browser would ask before unloading, and an in-app link asks in a dialog.
    prevented = await page.evaluate(
        "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e);"
        " return e.defaultPrevented; }"
    )
    assert prevented is True
    await page.click(".back-link a")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    assert "not saved" in await text(page, "[data-testid=confirm-dialog]")
    await screenshot(page, "profiles", "7-leave-unsaved")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("[data-testid=confirm-dialog]", state="detached")
    assert page.url.endswith(profile_id)

    # The browser's Back button asks too; staying puts the address back and keeps the page as it was.
    await page.go_back(wait_until="commit")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    assert page.url.endswith("/review/profiles")  # moved already: the browser does that before asking
    await page.keyboard.press("Escape")
    await page.wait_for_selector("[data-testid=confirm-dialog]", state="detached")
    await page.wait_for_url(f"**/review/profiles/{profile_id}")
    assert await page.input_value("[data-testid=profile-logic]") == BROKEN_RULES
    assert await page.is_visible("[data-testid=logic-problem]")

    # Saved anyway: the API's own 422, in the same words, by the text area.
    await page.click("[data-testid=profile-save]")
    await page.wait_for_selector("[data-testid=profile-logic-error]:not(:empty)")
    assert (await text(page, "[data-testid=profile-logic-error]")).startswith("Line 2, column ")
    assert await focused(page) == "profile-logic"

    await page.fill("[data-testid=profile-logic]", GOOD_RULES)
    await page.wait_for_selector(f"{status}[data-state=valid]")
    assert await page.query_selector("[data-testid=logic-problem]") is None
    await page.click("[data-testid=profile-save]")
    await page.wait_for_selector("[data-testid=profile-save-status]:has-text('Changes saved')")
    assert await text(page, "[data-testid=profile-save]") == "No changes to save"
    stored = expect(await admin.get(f"/v1/agent-profiles/{profile_id}"), 200)
    assert stored["scoring"] == {
        "scale": "0-10",
        "scoringMethod": "rule_based",
        "recommendationLogic": GOOD_RULES,
    }
    prevented = await page.evaluate(
        "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e);"
        " return e.defaultPrevented; }"
    )
    assert prevented is False


async def duplicate_and_delete(page: Page, admin: httpx.AsyncClient, profile_id: str, seeded: Seeded) -> None:
    # Saved, so leaving asks nothing.
    await page.click(".back-link a")
    await page.wait_for_selector("[data-testid=profile-row] >> nth=1")
    table = await text(page, "[data-testid=profiles-table]")
    assert HOSTILE_NAME in table
    assert "Rule based" in table
    assert await page.query_selector("[data-testid=profiles-table] img") is None
    await assert_fits(page)
    await screenshot(page, "profiles", "8-list")

    # Duplicate: a copy under a new name, opened in the editor.
    mine = f"[data-testid=profile-row][data-profile-id='{profile_id}']"
    await page.click(f"{mine} >> [data-testid=profile-duplicate]")
    await page.wait_for_selector("[data-testid=profile-flash]")
    copy_id = page.url.rsplit("/", 1)[1]
    assert copy_id != profile_id
    assert await page.input_value("[data-testid=profile-name]") == f"{HOSTILE_NAME} (copy)"
    original: dict[str, Any] = expect(await admin.get(f"/v1/agent-profiles/{profile_id}"), 200)
    copy: dict[str, Any] = expect(await admin.get(f"/v1/agent-profiles/{copy_id}"), 200)
    for key in ("rubric", "behavior", "scoring", "grounding", "scorecard", "voice", "intro"):
        assert copy[key] == original[key], key

    # Delete the copy, with the keyboard through the confirmation.
    await page.click(".back-link a")
    copied = f"[data-testid=profile-row][data-profile-id='{copy_id}']"
    await page.wait_for_selector(copied)
    await page.focus(f"{copied} >> [data-testid=profile-delete]")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    assert await focused(page) == "confirm-cancel"
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(copied, state="detached")
    assert "deleted" in await text(page, "[data-testid=profiles-flash]")
    expect(await admin.get(f"/v1/agent-profiles/{copy_id}"), 404)

    # The profile a stage uses: the API's 409, with the stage named.
    used = f"[data-testid=profile-row][data-profile-id='{seeded.in_use_id}']"
    await page.click(f"{used} >> [data-testid=profile-delete]")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    await screenshot(page, "profiles", "9-confirm-delete")
    await page.click("[data-testid=confirm-ok]")
    notice = "[data-testid=profile-delete-error]"
    await page.wait_for_selector(notice)
    said = await text(page, notice)
    assert "in use" in said
    assert "reassign its stages" in said
    assert "Stage “Phone Screen” of “Backend Engineer”" in said
    assert await page.is_visible(used)
    await assert_fits(page)
    await screenshot(page, "profiles", "10-in-use")
    expect(await admin.get(f"/v1/agent-profiles/{seeded.in_use_id}"), 200)
