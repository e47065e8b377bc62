"""The scorer on interviews spoken through the real path: eSpeak NG speech over WebRTC to a running
engine, its own interviewer asking its own questions, Whisper's transcript, the analysis worker.

    python -m bench.scoring_spoken                    # the default six backend interviews
    python -m bench.scoring_spoken --cases swe-strong-1,swe-weak-1 --parallel 2

Each calibration interview (`bench/calibration/`) becomes a profile with its rubric, a template with
its skills, traits and objective, and a session. A scripted aiortc candidate joins, and each time the
interviewer asks something it answers with the calibration answer whose planned question is closest
in meaning to what it heard (then that question's follow-up answers, if the interviewer probes), so
the candidate keeps its character (strong, weak, repeating, selling buzzwords, hanging up early)
while the engine asks what it likes. A candidate who ran out of answers says so in a few words; one
who hung up early in the script hangs up after the same number of answers.

The interviewer's questions are not the calibration plan's, so the panel's truth carries over only
roughly; what this shows is whether the order and the verdicts survive speech, recognition errors
and a real interview's flow. Results: the section "Scoring validity: spoken through WebRTC" of
docs/benchmarks.md and bench/results/scoring_spoken.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.calibration_sets import CALIBRATION
from bench.media_latency import Server, local_server, synthesize
from bench.report import machine, write_section
from bench.scoring_validity import DOCS
from media.espeak import EspeakTts
from media.scripted_candidate import ScriptedCandidate
from scoring.embeddings import SentenceEncoder

RESULTS = Path(__file__).parent / "results" / "scoring_spoken.json"
DEFAULT_CASES = (
    "swe-strong-1",
    "swe-medium-1",
    "swe-weak-1",
    "swe-repetition-1",
    "swe-buzz-1",
    "swe-ended-1",
)
MATCH = 0.35  # cosine between what was heard and a planned question for it to count as that question
OUT_OF_ANSWERS = "I think I have said what I can on that, thank you."
INTERVIEW_LIMIT_S = 900.0


@dataclass
class Group:
    question: str
    answers: list[str]


def groups(case: dict[str, Any]) -> list[Group]:
    """The calibration transcript as planned questions, each with its answer and follow-up answers."""
    planned = [q["text"] for q in case["plan"]]
    found: list[Group] = []
    prompt = ""
    for line in case["transcript"]:
        if line["speaker"] == "interviewer":
            prompt = line["text"]
            continue
        opens = next((p for p in planned if p in prompt or prompt.endswith(p[-60:])), None)
        if opens is not None or not found:
            found.append(Group(opens or prompt, []))
        found[-1].answers.append(line["text"])
    return found


async def book(client: httpx.AsyncClient, case: dict[str, Any]) -> tuple[str, str]:
    async def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    rubric = case["rubric"]
    profile = await created(
        "/v1/agent-profiles",
        {
            "name": f"Calibration {case['id']}",
            "intro": "Sam, who runs the first interview.",
            "rubric": [
                {"name": d["name"], "description": d["description"], "weight": d["weight"]}
                for d in rubric["dimensions"]
            ],
        },
    )
    template = await created(
        "/v1/templates",
        {
            "name": case["role"],
            "preset": "hiring",
            "objective": rubric.get("objective") or None,
            "skills": rubric.get("skills") or [],
            "traits": rubric.get("traits") or [],
            "duration_minutes": 10,
        },
    )
    stage = await created(
        f"/v1/templates/{template['id']}/stages", {"name": "Screen", "agent_profile_id": profile["id"]}
    )
    session = await created(
        "/v1/sessions",
        {
            "stage_id": stage["id"],
            "participant": {
                "name": f"Calibration {case['id']}",
                "email": f"{case['id']}-{time.time_ns()}@example.com",
                "gdpr_expiry_date": "2030-01-01",
            },
        },
    )
    return str(session["id"]), str(session["join_url"]).rsplit("/", 1)[1]


def heard_since(candidate: ScriptedCandidate, start: int) -> str:
    lines = [
        str(m.get("text", ""))
        for m in candidate.report.messages[start:]
        if m.get("type") == "caption" and m.get("speaker") == "interviewer"
    ]
    return " ".join(lines)


async def interview(
    server: Server, case: dict[str, Any], tts: EspeakTts, encoder: SentenceEncoder
) -> dict[str, Any]:
    script = groups(case)
    answers_before_hangup = sum(len(g.answers) for g in script) if case.get("ended") == "hangup" else None
    questions = encoder.encode([g.question for g in script])
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, headers=headers) as http:
        session_id, token = await book(http, case)
        candidate = ScriptedCandidate([])

        async def post(body: dict[str, Any]) -> dict[str, Any]:
            response = await http.post(f"/join/{token}/offer", json=body)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
            return data

        spoken: list[str] = []
        try:
            await candidate.connect(post)
            used: set[int] = set()
            current: tuple[int, int] | None = None  # (group, next answer) for follow-ups
            seen = 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(INTERVIEW_LIMIT_S):
                    while True:
                        if not await next_question(candidate):
                            break  # the interview ended
                        heard = heard_since(candidate, seen)
                        seen = len(candidate.report.messages)
                        sims = questions @ encoder.encode([heard])[0]
                        best = max(
                            (i for i in range(len(script)) if i not in used),
                            key=lambda i: sims[i],
                            default=None,
                        )
                        if best is not None and (sims[best] >= MATCH or current is None):
                            text, current = script[best].answers[0], (best, 1)
                            used.add(best)
                        elif current is not None and current[1] < len(script[current[0]].answers):
                            text = script[current[0]].answers[current[1]]
                            current = (current[0], current[1] + 1)
                        elif best is not None:
                            text, current = script[best].answers[0], (best, 1)
                            used.add(best)
                        else:
                            text = OUT_OF_ANSWERS
                        pcm = await asyncio.to_thread(synthesize, tts, text)
                        await asyncio.sleep(0.3)
                        await candidate.speak(pcm)
                        spoken.append(text)
                        if answers_before_hangup is not None and len(spoken) >= answers_before_hangup:
                            await asyncio.sleep(1.0)
                            candidate.hang_up()
                            break
            await asyncio.sleep(2.0)
        finally:
            await candidate.close()
        analysis = await analysed(http, session_id)
    return {"id": case["id"], "kind": case["kind"], "truth": case["truth"], "spoken": len(spoken), **analysis}


async def next_question(candidate: ScriptedCandidate) -> bool:
    """Until the interviewer asks something (True) or the interview ends (False): after its closing
    line the engine may say "listening" and then end, so waiting for a question alone could hang."""
    waiting = asyncio.ensure_future(candidate.wait_for_question())
    try:
        while not waiting.done():
            if candidate.report.ended is not None:
                return False
            await asyncio.wait({waiting}, timeout=0.5)
        waiting.result()
    except TimeoutError:
        return False
    finally:
        waiting.cancel()
    return candidate.report.ended is None


async def analysed(http: httpx.AsyncClient, session_id: str, limit_s: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        session = (await http.get(f"/v1/sessions/{session_id}")).json()
        if session.get("analysis_status") in ("COMPLETED", "FAILED"):
            card = session.get("analysis") or {}
            return {
                "status": session.get("status"),
                "overall": (card.get("general") or {}).get("overallRating"),
                "recommendation": card.get("recommendation"),
                "coverage": (card.get("coverage") or {}).get("assessedWeight"),
                "dimensions": {d["name"]: d.get("score") for d in card.get("dimensions", [])},
                "completion": (card.get("completion") or {}).get("summary"),
            }
        if session.get("status") not in ("completed", "in_progress"):
            return {"status": session.get("status"), "overall": None, "recommendation": None}
        await asyncio.sleep(1.0)
    return {"status": "timeout", "overall": None, "recommendation": None}


def section(rows: list[dict[str, Any]], seconds: float) -> str:
    verdict = {True: "pass", False: "fail", None: "needs review"}
    lines = [
        "## Scoring validity: spoken through WebRTC",
        "",
        f"`python -m bench.scoring_spoken` on {machine()}: {len(rows)} calibration interviews spoken by "
        "eSpeak NG over WebRTC to `interview-engine serve` (its own interviewer and questions, Whisper "
        "tiny.en, the analysis worker with the embedded scorer), the candidate answering each question "
        f"with the calibration answer closest to it. {seconds / 60:.0f} minutes in all. The truth is the "
        "panel's for the scripted interview; the questions differ, so it carries over only roughly.",
        "",
        "| interview | kind | truth | truth verdict | spoken: overall | coverage | recommendation | answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        truth = r["truth"]
        lines.append(
            f"| {r['id']} | {r['kind']} | {truth.get('overall')} | {verdict[truth.get('pass')]} "
            f"| {r.get('overall') if r.get('overall') is not None else '-'} | {r.get('coverage', '-')}% "
            f"| {str(r.get('recommendation') or r.get('status')).replace('_', ' ')} | {r['spoken']} |"
        )
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> None:
    cases = [json.loads((CALIBRATION / f"{name}.json").read_text()) for name in args.cases.split(",")]
    encoder = await asyncio.to_thread(SentenceEncoder.load)
    tts = EspeakTts()
    started = time.monotonic()
    limit = asyncio.Semaphore(args.parallel)

    async def one(case: dict[str, Any]) -> dict[str, Any]:
        async with limit:
            return await interview(server, case, tts, encoder)

    with local_server() as server:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(case)) for case in cases]
    rows = [t.result() for t in tasks]
    seconds = time.monotonic() - started
    print(json.dumps(rows, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"machine": machine(), "interviews": rows}, indent=2) + "\n")
        write_section(DOCS, section(rows, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES), help="calibration ids, comma-separated")
    parser.add_argument("--parallel", type=int, default=2, help="interviews at once")
    parser.add_argument("--no-write", action="store_true", help="print only")
    main_async_args = parser.parse_args()
    asyncio.run(main_async(main_async_args))


if __name__ == "__main__":
    main()
