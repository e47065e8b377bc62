"""The Interviews pages (evaluation templates and their stages) in a real browser (Debian's Chromium, driven
by Playwright) on a 390 px wide phone. A recruiter allowed to configure interviews starts one from the
hiring preset (the preset fills objective, verdict, mode and length), edits its settings (skills and traits
as chips added and removed with the keyboard, the API's 422 by its field, custom verdict labels), turns the
public link on and copies it, and finds the Sessions tab as the default with the tab kept in the address.
They build a pipeline of three stages with two interviewers, reorder it with the keyboard and by dragging,
edit and delete a stage; the API refuses (409) to delete an interview with participants or a stage with an
open session, and the page says so. Markup in a name stays text. Screenshots go to
test-artifacts/templates/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.enums import Depth, OnComplete, SessionMode, StageType, SuccessOutcome, UseCase
from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded

RECRUITER = "tara@acme.com"
CONFIG_SCOPES = [
    *REVIEWER_SCOPES,
    *(
        f"{verb}:{thing}"
        for thing in ("templates", "stages", "agent_profiles")
        for verb in ("write", "delete")
    ),
]
XSS = "<img src=x onerror=window.__xss=1>"
HOSTILE_NAME = f"Senior {XSS} Engineer"
VOCAB = Path(__file__).resolve().parents[2] / "engine/web/static/review/template-vocab.js"

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str


async def seed(settings: Settings) -> Seeded:
    return Seeded(await seed_company(settings, ((RECRUITER, CONFIG_SCOPES),)))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


@dataclass(frozen=True, slots=True)
class World:
    """What the API made before the browser opens: two interviewers and an interview in use."""

    screening: str
    technical: str
    busy_template: str
    busy_stage: str


def api(base: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"})


def profile_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "intro": f"{name} at Acme.",
        "rubric": [
            {"name": "Depth", "description": "Knows the field", "weight": 60},
            {"name": "Communication", "description": "Explains clearly", "weight": 40},
        ],
    }


async def build_world(client: httpx.AsyncClient) -> World:
    screening = expect(
        await client.post("/v1/agent-profiles", json=profile_body("Screening Interviewer")), 201
    )
    technical = expect(
        await client.post("/v1/agent-profiles", json=profile_body("Technical Interviewer")), 201
    )
    busy = expect(await client.post("/v1/templates", json={"name": "Busy role", "preset": "hiring"}), 201)
    stage = expect(
        await client.post(
            f"/v1/templates/{busy['id']}/stages",
            json={"name": "Busy screen", "agent_profile_id": screening["id"]},
        ),
        201,
    )
    person = expect(
        await client.post(
            "/v1/participants",
            json={"name": "Jane Smith", "email": "jane@example.com", "evaluation_template_id": busy["id"]},
        ),
        201,
    )
    expect(
        await client.post("/v1/sessions", json={"participant_id": person["id"], "stage_id": stage["id"]}), 201
    )
    return World(screening["id"], technical["id"], busy["id"], stage["id"])


async def chips(page: Page, testid: str) -> list[str]:
    return await page.locator(f"[data-testid={testid}-chip] .chip-text").all_inner_texts()


async def snap(page: Page, name: str) -> None:
    await assert_fits(page)
    await screenshot(page, "templates", name)


def test_the_page_vocabulary_matches_the_enums() -> None:
    """template-vocab.js lists the enums' values by hand: a value added to config/enums.py shows up here."""
    source = VOCAB.read_text(encoding="utf-8")

    def listed(name: str) -> list[str]:
        block = re.search(rf"export const {name} = \[(.*?)\n\];", source, re.S)
        assert block, name
        return re.findall(r"\['([a-z_]+)',", block.group(1))

    assert sorted(listed("USE_CASES")) == sorted(u.value for u in UseCase)
    assert sorted(listed("OUTCOMES")) == sorted(o.value for o in SuccessOutcome)
    assert sorted(listed("SESSION_MODES")) == sorted(m.value for m in SessionMode)
    assert sorted(listed("DEPTHS")) == sorted(d.value for d in Depth)
    assert sorted(listed("STAGE_TYPES")) == sorted(t.value for t in StageType)
    assert sorted(listed("ON_COMPLETE")) == sorted(o.value for o in OnComplete)
    for use_case in UseCase:
        assert f"{use_case.value}: '{SuccessOutcome.for_use_case(use_case).value}'" in source


async def test_a_recruiter_creates_an_interview_and_edits_its_settings(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    async with api(base, seeded.admin_key) as client:
        world = await build_world(client)
        context, page, errors = await phone_page(browser, base, clipboard=True)
        try:
            await sign_in(page, base, RECRUITER)
            await page.click("[data-nav=templates]")
            busy_row = f"[data-testid=template-row][data-template-id='{world.busy_template}']"
            await page.wait_for_selector(busy_row)
            assert await page.get_attribute("[data-nav=templates]", "aria-current") == "page"
            row_text = await page.inner_text(busy_row)
            assert "Busy role" in row_text
            assert "Hiring" in row_text
            assert await page.inner_text(f"{busy_row} >> [data-testid=template-stages]") == "1"
            assert await page.inner_text(f"{busy_row} >> [data-testid=template-public]") == "Off"
            await snap(page, "1-list")

            # An interview with participants: the API's 409, said plainly; the row stays.
            await page.click(f"{busy_row} >> [data-testid=template-delete]")
            await page.wait_for_selector("[data-testid=confirm-dialog]")
            await page.click("[data-testid=confirm-ok]")
            refusal = await page.wait_for_selector("[data-testid=template-delete-error]")
            assert refusal is not None
            assert "still has participants or sessions" in await refusal.inner_text()
            assert await page.is_visible(busy_row)
            await snap(page, "2-delete-refused")
            expect(await client.get(f"/v1/templates/{world.busy_template}"), 200)

            # New interview: each preset fills objective, verdict, mode and length.
            await page.click("[data-testid=template-new]")
            await page.wait_for_selector("[data-testid=new-template]")
            assert await focused(page) == "new-template-name"
            assert await page.is_checked("[data-testid=preset-hiring]")
            await page.check("[data-testid=preset-training]")
            assert (
                await page.input_value("[data-testid=new-template-objective]") == "Are they ready to perform?"
            )
            assert await page.input_value("[data-testid=new-template-outcome]") == "ready_needs_training"
            assert await page.input_value("[data-testid=new-template-mode]") == "roleplay_simulation"
            await page.check("[data-testid=preset-hiring]")
            assert await page.input_value("[data-testid=new-template-objective]") == "Can they do the job?"
            assert await page.input_value("[data-testid=new-template-outcome]") == "hire_no_hire"
            assert await page.input_value("[data-testid=new-template-mode]") == "live_ai_interview"
            assert await page.input_value("[data-testid=new-template-minutes]") == "30"
            await page.click("[data-testid=new-template-save]")
            await page.wait_for_selector("[data-testid=new-template-name-error]:not(:empty)")
            assert await focused(page) == "new-template-name"
            await snap(page, "3-new-interview")
            await page.fill("[data-testid=new-template-name]", HOSTILE_NAME)
            await page.keyboard.press("Enter")
            await page.wait_for_selector("[data-testid=template-flash]")
            found = re.search(r"/review/templates/([^/?]+)\?tab=settings$", page.url)
            assert found, page.url
            template_id = found.group(1)
            assert await page.inner_text("[data-testid=template-title]") == HOSTILE_NAME
            assert await page.get_attribute("[data-testid=tab-settings]", "aria-selected") == "true"
            made = expect(await client.get(f"/v1/templates/{template_id}"), 200)
            assert made["use_case"] == "hiring"
            assert made["objective"] == "Can they do the job?"
            assert made["success_outcome"] == "hire_no_hire"
            assert made["default_session_mode"] == "live_ai_interview"
            assert made["duration_minutes"] == 30

            # Skills as chips, with the keyboard alone: Enter, a comma, Backspace, a remove button.
            await page.focus("[data-testid=template-skills]")
            await page.keyboard.type("Go")
            await page.keyboard.press("Enter")
            await page.keyboard.type("PostgreSQL,Kafka")
            await page.keyboard.press("Enter")
            assert await chips(page, "template-skills") == ["Go", "PostgreSQL", "Kafka"]
            await page.keyboard.press("Backspace")
            assert await chips(page, "template-skills") == ["Go", "PostgreSQL"]
            await page.keyboard.type("go")
            await page.keyboard.press("Enter")
            assert "already in the list" in await page.inner_text("[data-testid=template-skills-error]")
            assert await chips(page, "template-skills") == ["Go", "PostgreSQL"]
            await page.keyboard.press("Backspace")
            await page.keyboard.press("Backspace")
            await page.focus("[aria-label='Remove Go']")
            await page.keyboard.press("Enter")
            assert await chips(page, "template-skills") == ["PostgreSQL"]
            assert await page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
                "Remove PostgreSQL"
            )
            await page.focus("[data-testid=template-traits]")
            await page.keyboard.type("Ownership")
            await page.keyboard.press("Enter")
            await page.keyboard.type("Communication,")
            assert await chips(page, "template-traits") == ["Ownership", "Communication"]

            # The API's 422 by the field it names, and focus on it.
            await page.fill("[data-testid=template-minutes]", "300")
            await page.click("[data-testid=settings-save]")
            await page.wait_for_selector("[data-testid=template-minutes-error]:not(:empty)")
            assert "240" in await page.inner_text("[data-testid=template-minutes-error]")
            assert await focused(page) == "template-minutes"
            assert await page.get_attribute("[data-testid=template-minutes]", "aria-invalid") == "true"
            await snap(page, "4-settings-error")

            # Custom verdict labels appear only for the custom vocabulary; saved through the API.
            assert await page.is_hidden("[data-testid=template-labels]")
            await page.fill("[data-testid=template-minutes]", "45")
            await page.select_option("[data-testid=template-outcome]", "custom")
            await page.fill("[data-testid=template-label-positive]", "Shortlist")
            await page.fill("[data-testid=template-label-negative]", "Decline")
            await page.select_option("[data-testid=template-depth]", "advanced")
            await page.fill("[data-testid=template-criteria]", "Designs a service <b>end to end</b>.")
            await page.click("[data-testid=settings-save]")
            await page.wait_for_selector("[data-testid=settings-saved]")
            assert await page.inner_text("[data-testid=template-minutes-error]") == ""
            saved = expect(await client.get(f"/v1/templates/{template_id}"), 200)
            assert saved["skills"] == ["PostgreSQL"]
            assert saved["traits"] == ["Ownership", "Communication"]
            assert saved["duration_minutes"] == 45
            assert saved["success_outcome"] == "custom"
            assert saved["custom_outcome_labels"] == {"positive": "Shortlist", "negative": "Decline"}
            assert saved["depth"] == "advanced"
            assert saved["pass_criteria"] == "Designs a service <b>end to end</b>."
            assert saved["name"] == HOSTILE_NAME
            assert "Shortlist / Decline" in await page.inner_text("[data-testid=template-summary]")
            await snap(page, "5-settings-saved")

            # The public link: a switch, pressed with the keyboard; its URL copied.
            switch = "[data-testid=public-link-switch]"
            assert await page.get_attribute(switch, "role") == "switch"
            assert await page.get_attribute(switch, "aria-checked") == "false"
            assert await page.is_hidden("[data-testid=public-link-url]")
            await page.focus(switch)
            await page.keyboard.press("Space")
            await page.wait_for_selector(f"{switch}[aria-checked=true]")
            link = expect(await client.get(f"/v1/templates/{template_id}/public-link"), 200)
            assert link["enabled"] is True
            assert await page.input_value("[data-testid=public-link-url]") == link["url"]
            await page.click("[data-testid=public-link-copy]")
            await page.wait_for_selector("[data-testid=public-link-copy-status]:has-text('Link copied')")
            assert await page.evaluate("() => navigator.clipboard.readText()") == link["url"]
            await snap(page, "6-public-link")

            # Tabs: arrows move and select, the tab is in the address and survives a reload.
            await page.focus("[data-testid=tab-settings]")
            await page.keyboard.press("ArrowLeft")
            assert await focused(page) == "tab-stages"
            assert await page.get_attribute("[data-testid=tab-stages]", "aria-selected") == "true"
            assert page.url.endswith("?tab=stages")
            await page.wait_for_selector("[data-testid=panel-stages] [data-testid=stages]")
            assert await page.is_hidden("[data-testid=panel-settings]")
            await page.reload()
            await page.wait_for_selector("[data-testid=panel-stages] [data-testid=stages]")
            assert await page.get_attribute("[data-testid=tab-stages]", "aria-selected") == "true"
            assert await page.get_attribute("[data-testid=tab-sessions]", "tabindex") == "-1"
            await page.goto(f"{base}/review/templates/{template_id}")
            await page.wait_for_selector("[data-testid=panel-sessions]:not([hidden])")
            assert await page.get_attribute("[data-testid=tab-sessions]", "aria-selected") == "true"
            assert await page.is_hidden("[data-testid=panel-stages]")
            assert await page.is_hidden("[data-testid=panel-settings]")
            await page.focus("[data-testid=tab-sessions]")
            await page.keyboard.press("End")
            assert page.url.endswith("?tab=settings")
            await page.wait_for_selector("[data-testid=public-link-switch][aria-checked=true]")

            # Back in the list: the name as text, the link on.
            await page.click("text=← All interviews")
            row = f"[data-testid=template-row][data-template-id='{template_id}']"
            await page.wait_for_selector(row)
            assert await page.inner_text(f"{row} >> [data-testid=template-link]") == HOSTILE_NAME
            assert await page.inner_text(f"{row} >> [data-testid=template-public]") == "On"
            assert await page.inner_text(f"{row} >> [data-testid=template-verdict]") == "Shortlist / Decline"
            assert await page.query_selector("[data-testid=templates-table] img") is None
            assert await page.evaluate("() => window.__xss") is None
            await snap(page, "7-list")
            assert errors == []
        finally:
            await context.close()


async def test_a_recruiter_builds_and_reorders_the_stage_pipeline(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    async with api(base, seeded.admin_key) as client:
        world = await build_world(client)
        made = expect(await client.post("/v1/templates", json={"name": "Backend", "preset": "hiring"}), 201)
        path = f"/v1/templates/{made['id']}/stages"

        async def pipeline() -> list[str]:
            listed = expect(await client.get(path), 200)["data"]
            return [s["name"] for s in sorted(listed, key=lambda s: s["order"])]

        context, page, errors = await phone_page(browser, base, clipboard=True)
        try:
            await sign_in(page, base, RECRUITER, f"/review/templates/{made['id']}?tab=stages")
            await page.wait_for_selector("[data-testid=stages] .state-empty")
            await snap(page, "stages-1-empty")

            # The first stage: the first interviewer is chosen, with a link to its page.
            await page.click("[data-testid=stage-add]")
            await page.wait_for_selector("[data-testid=stage-dialog]")
            await page.fill("[data-testid=stage-name]", "Phone screen")
            assert await page.input_value("[data-testid=stage-profile]") == world.screening
            assert await page.get_attribute("[data-testid=stage-profile-link]", "href") == (
                f"/review/profiles/{world.screening}"
            )
            await snap(page, "stages-2-add")
            await page.click("[data-testid=stage-dialog-save]")
            await page.wait_for_selector("[data-testid=stage-item]")

            # The second: another interviewer, a threshold the API refuses (422 by its field), then fixed.
            await page.click("[data-testid=stage-add]")
            await page.fill("[data-testid=stage-name]", "Technical")
            await page.select_option("[data-testid=stage-profile]", world.technical)
            assert await page.inner_text("[data-testid=stage-profile-link]") == "Open Technical Interviewer"
            await page.fill("[data-testid=stage-threshold]", "150")
            await page.check("[data-testid=stage-retry]")
            await page.check("[data-testid=stage-on-complete-human_approval]")
            await page.click("[data-testid=stage-dialog-save]")
            await page.wait_for_selector("[data-testid=stage-threshold-error]:not(:empty)")
            assert "100" in await page.inner_text("[data-testid=stage-threshold-error]")
            assert await focused(page) == "stage-threshold"
            await snap(page, "stages-3-threshold-error")
            await page.fill("[data-testid=stage-threshold]", "70")
            await page.keyboard.press("Enter")
            await page.wait_for_selector("[data-testid=stage-item] >> nth=1")

            # The third: a final review run by people, without an interviewer.
            await page.click("[data-testid=stage-add]")
            await page.fill("[data-testid=stage-name]", "Final review")
            await page.select_option("[data-testid=stage-type]", "final_review")
            await page.select_option("[data-testid=stage-profile]", "")
            await page.click("[data-testid=stage-dialog-save]")
            await page.wait_for_selector("[data-testid=stage-item] >> nth=2")
            assert await pipeline() == ["Phone screen", "Technical", "Final review"]
            stages = {s["name"]: s for s in expect(await client.get(path), 200)["data"]}
            technical = stages["Technical"]
            assert technical["agent_profile_id"] == world.technical
            assert technical["pass_threshold"] == 70
            assert technical["allow_retry"] is True
            assert technical["on_complete"] == "human_approval"
            assert stages["Final review"]["agent_profile_id"] is None
            assert stages["Final review"]["type"] == "final_review"
            await snap(page, "stages-4-three")

            # Keyboard reorder: focus follows the stage, the move is announced and saved.
            names = "[data-testid=stage-title]"
            await page.focus("[aria-label='Move Phone screen down']")
            await page.keyboard.press("Enter")
            await page.wait_for_selector(
                "[data-testid=stage-announcer]:has-text('Moved Phone screen to position 2 of 3.')"
            )
            assert await page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
                "Move Phone screen down"
            )
            await page.keyboard.press("Enter")
            await page.wait_for_selector(
                "[data-testid=stage-announcer]:has-text('Moved Phone screen to position 3 of 3.')"
            )
            # At the bottom, Move down is disabled: focus moved to Move up of the same stage.
            assert await page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
                "Move Phone screen up"
            )
            await page.wait_for_selector("[data-testid=stage-list]:not([data-saving])")
            assert await page.locator(names).all_text_contents() == [
                "Stage 1 of 3: Technical",
                "Stage 2 of 3: Final review",
                "Stage 3 of 3: Phone screen",
            ]
            assert await pipeline() == ["Technical", "Final review", "Phone screen"]
            await snap(page, "stages-5-moved")

            # Dragged by its handle from last to first.
            last = page.locator("[data-testid=stage-item]").nth(2)
            first = page.locator("[data-testid=stage-item]").nth(0)
            await last.locator("[data-testid=stage-drag]").drag_to(first, target_position={"x": 20, "y": 4})
            await page.wait_for_selector(
                "[data-testid=stage-announcer]:has-text('Moved Phone screen to position 1 of 3.')"
            )
            await page.wait_for_selector("[data-testid=stage-list]:not([data-saving])")
            assert await pipeline() == ["Phone screen", "Technical", "Final review"]
            await snap(page, "stages-6-dragged")

            # And by a mouse drag in steps, from first to the middle.
            handle = page.locator("[data-testid=stage-drag]").nth(0)
            box = await handle.bounding_box()
            middle = await page.locator("[data-testid=stage-item]").nth(1).bounding_box()
            assert box
            assert middle
            await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            await page.mouse.down()
            await page.mouse.move(box["x"] + 10, middle["y"] + middle["height"] * 0.8, steps=8)
            await page.mouse.up()
            await page.wait_for_selector(
                "[data-testid=stage-announcer]:has-text('Moved Phone screen to position 2 of 3.')"
            )
            await page.wait_for_selector("[data-testid=stage-list]:not([data-saving])")
            assert await pipeline() == ["Technical", "Phone screen", "Final review"]

            # Edit: a new threshold, shown and saved; the interviewer links to its profile.
            await page.click("[aria-label='Edit Technical']")
            await page.fill("[data-testid=stage-threshold]", "80")
            await page.click("[data-testid=stage-dialog-save]")
            await page.wait_for_selector("[data-testid=stage-saved]:has-text('Technical saved.')")
            item = "[data-testid=stage-item] >> nth=0"
            assert await page.inner_text(f"{item} >> [data-testid=stage-threshold-value]") == "80"
            assert await page.get_attribute(f"{item} >> [data-testid=stage-profile-name]", "href") == (
                f"/review/profiles/{world.technical}"
            )
            stages = {s["name"]: s for s in expect(await client.get(path), 200)["data"]}
            assert stages["Technical"]["pass_threshold"] == 80

            # Delete after a confirmation.
            await page.click("[aria-label='Delete Final review']")
            await page.wait_for_selector("[data-testid=confirm-dialog]")
            await page.click("[data-testid=confirm-ok]")
            await page.wait_for_selector("[data-testid=stage-deleted]")
            assert await page.locator("[data-testid=stage-item]").count() == 2
            assert await pipeline() == ["Technical", "Phone screen"]
            assert await focused(page) == "stage-delete"

            # A stage with a session not yet finished: the API's 409, said plainly.
            await page.goto(f"{base}/review/templates/{world.busy_template}?tab=stages")
            await page.click("[aria-label='Delete Busy screen']")
            await page.click("[data-testid=confirm-ok]")
            refusal = await page.wait_for_selector("[data-testid=stage-delete-error]")
            assert refusal is not None
            assert "scheduled or in progress" in await refusal.inner_text()
            assert await page.locator("[data-testid=stage-item]").count() == 1
            await snap(page, "stages-7-delete-refused")
            expect(await client.get(f"/v1/stages/{world.busy_stage}"), 200)

            # The list counts the stages.
            await page.goto(f"{base}/review/templates")
            row = f"[data-testid=template-row][data-template-id='{made['id']}']"
            await page.wait_for_selector(row)
            assert await page.inner_text(f"{row} >> [data-testid=template-stages]") == "2"
            assert errors == []
        finally:
            await context.close()
