"""Two `interview-engine serve` processes and one `interview-engine worker` on one PostgreSQL database and
a real S3-compatible server (moto) on loopback, started as a deployment runs them, with two candidates
speaking over real WebRTC at the same time:

- one interview is held on each engine;
- a reload whose join offer reaches the other engine is forwarded to the one holding the interview,
  which replaces the old connection and goes on with the new one;
- the other engine is killed (SIGKILL) mid-interview: its candidate's link is answered 503 with
  Retry-After while the dead engine's heartbeat is still fresh, then the surviving engine takes the
  interview over and welcomes the candidate back; the transcript keeps what was said on the dead
  engine, and the new part continues its timeline (the new engine's file starts with silence up to it);
- each candidate answers once more and ends the call; the worker (on a disk of its own, as on another
  host) scores both interviews, each once, with the audio checks read from the recordings in the bucket;
- both recordings are transcoded, uploaded to the bucket, their local copies deleted, and served from
  the bucket with Range.

Each piece has its own focused test (test_nodes, test_node_drain, test_workers, test_object_store,
test_live_resume); this one checks they hold together, in about a minute."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from config.settings import Settings
from engine.clock import SystemClock
from engine.services.analyses import COMPLETED
from engine.store.database import Database
from engine.store.tables import AnalysisRow, RecordingRow
from media.scripted_candidate import CandidateReport, ScriptedCandidate
from scoring.authenticity import AUDIO_KINDS
from tests.engine.live_helpers import ANSWERS, offer_poster
from tests.engine.node_helpers import api_key, book_two
from tests.engine.process_helpers import ChildProcess
from tests.engine.session_helpers import expect
from tests.engine.test_object_store import BUCKET, s3
from tests.speech import synthesize

__all__ = ["s3"]  # the fixture, imported for this module's test

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

START_TIMEOUT_S = 90.0
# Heartbeats every second; an engine silent for 6 s is dead (a loaded CI machine can delay a beat by a
# few seconds, and a live engine must never be taken for dead here).
HEARTBEAT_S, DEAD_AFTER_S = 1.0, 6.0
QUESTION_TIMEOUT_S = 90.0
JSON = dict[str, Any]


def engine_env(settings: Settings, s3_url: str, url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("IE_")},
        "IE_DATABASE_URL": settings.resolved_database_url,
        "IE_ASR__PRELOAD": "false",
        "IE_TTS__PRELOAD": "false",
        "IE_NODE__URL": url,
        "IE_NODE__HEARTBEAT_S": str(HEARTBEAT_S),
        "IE_NODE__DEAD_AFTER_S": str(DEAD_AFTER_S),
        # The worker process scores; the engines only record, transcode and upload.
        "IE_WORKERS__EMBEDDED": "false",
        "IE_OBJECT_STORE__URL": s3_url,
        "IE_OBJECT_STORE__BUCKET": BUCKET,
        "IE_OBJECT_STORE__ACCESS_KEY_ID": "test",
        "IE_OBJECT_STORE__SECRET_ACCESS_KEY": "test",
        "IE_OBJECT_STORE__POLL_S": "0.5",
        "IE_OBJECT_STORE__DELETE_LOCAL": "true",
        "IE_RECORDINGS__OPUS_AFTER_S": "0",
        "IE_RECORDINGS__POLL_S": "0.5",
        # The candidates speak with eSpeak, whose sentence ends the voice model hears as unfinished.
        "IE_TURN__SMART": "false",
    }


def worker_env(settings: Settings, s3_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("IE_")},
        "IE_DATABASE_URL": settings.resolved_database_url,
        "IE_ANALYSIS__POLL_S": "0.2",
        "IE_ANALYSIS__USE_LLM": "false",
        # Its own disk: the recordings reach it through the bucket.
        "IE_OBJECT_STORE__URL": s3_url,
        "IE_OBJECT_STORE__BUCKET": BUCKET,
        "IE_OBJECT_STORE__ACCESS_KEY_ID": "test",
        "IE_OBJECT_STORE__SECRET_ACCESS_KEY": "test",
    }


def retrying_poster(
    http: httpx.AsyncClient, token: str, statuses: list[JSON], timeout_s: float
) -> Callable[[JSON], Awaitable[JSON]]:
    """As the join page does: a 503 is tried again after its Retry-After (here sooner), until 200."""

    async def post(body: JSON) -> JSON:
        deadline = time.monotonic() + timeout_s
        while True:
            response = await http.post(f"/join/{token}/offer", json=body)
            statuses.append(
                {
                    "status": response.status_code,
                    "retry_after": response.headers.get("retry-after"),
                    "at": time.monotonic(),
                }
            )
            if response.status_code == 200:
                answer = response.json()
                assert isinstance(answer, dict)
                return answer
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, statuses
            await asyncio.sleep(0.5)

    return post


async def answer_then_hang_up(candidate: ScriptedCandidate, answer: str) -> CandidateReport:
    """Answer the question being asked; once the interviewer has replied (so the answer is stored), hang
    up as the join page's End button does, and wait for the engine to end the call (unless the reply
    was the interviewer's closing)."""
    await asyncio.wait_for(candidate.wait_for_question(), QUESTION_TIMEOUT_S)
    await candidate.speak(synthesize(answer))
    try:
        await asyncio.wait_for(candidate.wait_for_question(), QUESTION_TIMEOUT_S)
    except TimeoutError:
        if candidate.report.ended is None:
            raise
        return candidate.report  # the plan ran out: the interviewer closed the interview itself
    candidate.hang_up()
    deadline = time.monotonic() + 30
    while candidate.report.ended is None:
        assert time.monotonic() < deadline, "the engine did not end the call"
        await asyncio.sleep(0.1)
    return candidate.report


async def segments_of(http: httpx.AsyncClient, session_id: str) -> list[JSON]:
    segments: list[JSON] = expect(await http.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    return segments


async def until(
    check: Callable[[], Awaitable[bool]], timeout_s: float, what: str, process: ChildProcess
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{process.log()}"
        await asyncio.sleep(0.25)


async def test_two_engines_and_a_worker_share_the_work_and_survive_a_killed_engine(
    settings: Settings, s3: ThreadedMotoServer, tmp_path: Path, reserve_port: Callable[[], int]
) -> None:
    database = Database(settings.resolved_database_url)
    await database.migrate()  # once, before the engines start
    key = await api_key(database, SystemClock())
    host, s3_port = s3.get_host_and_port()
    s3_url = f"http://{host}:{s3_port}"
    urls = [f"http://127.0.0.1:{reserve_port()}" for _ in range(2)]
    engines = [
        ChildProcess(
            name,
            ["serve", "--data-dir", str(tmp_path / name), "--port", url.rsplit(":", 1)[1]],
            engine_env(settings, s3_url, url),
            tmp_path,
        )
        for name, url in zip(("a", "b"), urls, strict=True)
    ]
    worker = ChildProcess(
        "worker", ["worker", "--data-dir", str(tmp_path / "w")], worker_env(settings, s3_url), tmp_path
    )
    a, b = engines
    headers = {"Authorization": f"Bearer {key}"}
    candidates: list[ScriptedCandidate] = []
    try:
        with a, b, worker:
            await asyncio.gather(
                *(e.until_healthy(u, START_TIMEOUT_S) for e, u in zip(engines, urls, strict=True))
            )
            await worker.until_logged("running (analysis, webhooks, emails)", START_TIMEOUT_S)
            async with (
                httpx.AsyncClient(base_url=urls[0], headers=headers, timeout=60) as api_a,
                httpx.AsyncClient(base_url=urls[1], headers=headers, timeout=60) as api_b,
            ):
                # One skill: a planned question and one in reserve, so each interview is short.
                (killed_id, killed_token), (moved_id, moved_token) = await book_two(api_a, ["Go"])

                # One interview starts on each engine.
                on_a = ScriptedCandidate([])
                on_b = ScriptedCandidate([])
                candidates += [on_a, on_b]
                await asyncio.gather(
                    on_a.connect(offer_poster(api_a, killed_token)),
                    on_b.connect(offer_poster(api_b, moved_token)),
                )
                await asyncio.gather(
                    asyncio.wait_for(on_a.wait_for_question(), QUESTION_TIMEOUT_S),
                    asyncio.wait_for(on_b.wait_for_question(), QUESTION_TIMEOUT_S),
                )

                # B's candidate reloads the page, and the load balancer sends the new offer to A: A forwards
                # it to B, the interview goes on there with the new connection.
                reloaded = ScriptedCandidate([])
                candidates.append(reloaded)
                await reloaded.connect(offer_poster(api_a, moved_token))
                async with asyncio.TaskGroup() as tasks:
                    moved_run = tasks.create_task(answer_then_hang_up(reloaded, ANSWERS[1]))

                    # A's candidate answers the first question; once the next one is asked, A is killed.
                    resumed = ScriptedCandidate([])
                    candidates.append(resumed)
                    await on_a.speak(synthesize(ANSWERS[0]))
                    await asyncio.wait_for(on_a.wait_for_question(), QUESTION_TIMEOUT_S)
                    assert a.kill() == -9
                    killed_at = time.monotonic()
                    before_kill = await segments_of(api_b, killed_id)
                    await on_a.close()

                    # The candidate's page tries again through B: 503 while A's heartbeat is fresh, then B
                    # takes the interview over and the candidate answers the rest there.
                    offers: list[JSON] = []
                    await resumed.connect(retrying_poster(api_b, killed_token, offers, DEAD_AFTER_S + 30))
                    killed_run = tasks.create_task(answer_then_hang_up(resumed, ANSWERS[1]))
                moved_report, killed_report = moved_run.result(), killed_run.result()

                assert on_b.report.ended is not None, "the old connection was told it was replaced"
                assert on_b.report.ended["reason"] == "replaced"
                assert "join offer forwarded to engine" in a.err.read_text(), a.log()
                check_ended(moved_report, b)
                check_ended(killed_report, b)
                assert offers[-1]["status"] == 200
                assert all(o["status"] == 503 and o["retry_after"] for o in offers[:-1]), offers
                # A's last heartbeat was at most HEARTBEAT_S before the kill: an offer answered well inside
                # DEAD_AFTER_S of it must not have been taken over yet. (On a machine slow enough that the
                # first offer came later, B may rightly take it at once.)
                if offers[0]["at"] - killed_at < DEAD_AFTER_S - 2 * HEARTBEAT_S:
                    assert offers[0]["status"] == 503, offers
                assert (
                    b.err.read_text().count("stopped answering; this engine takes the interview over") == 1
                ), b.log()
                captions = killed_report.captions()
                assert captions[0] == "Welcome back.", captions
                assert not any("Alex" in c for c in captions), "no second introduction"

                for session_id in (killed_id, moved_id):
                    assert expect(await api_b.get(f"/v1/sessions/{session_id}"), 200)["status"] == "completed"

                # The transcript holds what was said on the dead engine, then the rest, on one timeline.
                segments = await segments_of(api_b, killed_id)
                said_on_a = [s for s in before_kill if s["speaker"] == "candidate"]
                assert said_on_a, before_kill
                assert "billing" in said_on_a[0]["text"].lower(), said_on_a
                assert [s["id"] for s in segments[: len(before_kill)]] == [s["id"] for s in before_kill]
                (welcome,) = [s for s in segments if s["text"] == "Welcome back."]
                assert welcome["start"] >= max(s["end"] for s in before_kill), (welcome, before_kill)
                answered_on_b = [
                    s for s in segments if s["speaker"] == "candidate" and s["start"] > welcome["start"]
                ]
                assert any("search" in s["text"].lower() for s in answered_on_b), segments
                # And the reloaded interview's answer, given on B after the forwarded offer.
                moved = await segments_of(api_b, moved_id)
                assert any(s["speaker"] == "candidate" and "search" in s["text"].lower() for s in moved), (
                    moved
                )

                # The worker scored each interview once.
                async def analysed() -> bool:
                    async with database.transaction() as db:
                        rows = list(await db.scalars(select(AnalysisRow)))
                    return len(rows) == 2 and all(r.status == COMPLETED for r in rows)

                await until(analysed, 120, "both analyses", worker)
                async with database.transaction() as db:
                    rows = list(await db.scalars(select(AnalysisRow)))
                assert sorted(r.session_id for r in rows) == sorted([killed_id, moved_id])
                assert [r.attempts for r in rows] == [1, 1]
                for session_id in (killed_id, moved_id):
                    (version,) = expect(await api_b.get(f"/v1/sessions/{session_id}/analyses"), 200)["data"]
                    assert (version["status"], version["attempts"]) == (COMPLETED, 1), version
                    assert version["result"]["scorer"] == "embedded", version
                    # Read from the bucket: the worker's disk never had the recording.
                    audio = [f for f in version["result"]["authenticity"] if f["kind"] in AUDIO_KINDS]
                    assert audio
                    assert all("not checked" not in f["summary"] for f in audio), audio

                # Both recordings went to the bucket (as Opus) and left B's disk (the WAV once transcoded, the
                # Opus file once uploaded); B serves them from there.
                async def uploaded() -> bool:
                    async with database.transaction() as db:
                        recordings = list(await db.scalars(select(RecordingRow)))
                    return len(recordings) == 2 and all(
                        r.object_key and r.local_deleted_at and r.transcoded_at and r.source_path is None
                        for r in recordings
                    )

                await until(uploaded, 120, "both recordings in the bucket", b)
                assert not list((tmp_path / "b" / "recordings").rglob("*.*")), "local copies deleted"
                async with database.transaction() as db:
                    recording = await db.get(RecordingRow, killed_id)
                assert recording is not None
                assert recording.duration_s >= segments[-1]["end"] - 1.0, (recording.duration_s, segments[-1])
                for session_id in (killed_id, moved_id):
                    whole = await api_b.get(f"/v1/sessions/{session_id}/recording")
                    assert whole.status_code == 200, whole.text
                    assert whole.headers["content-type"].startswith("audio/ogg")
                    assert whole.content[:4] == b"OggS"
                    part = await api_b.get(
                        f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=100-1099"}
                    )
                    assert part.status_code == 206, part.text
                    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
                    assert part.content == whole.content[100:1100]
    finally:
        for candidate in candidates:
            await candidate.close()
        await database.dispose()


def check_ended(report: CandidateReport, engine: ChildProcess) -> None:
    assert report.ended is not None, engine.log()
    assert report.ended["reason"] in ("hangup", "completed"), (report.ended, engine.log())
