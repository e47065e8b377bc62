"""The "Phone and WebSocket paths" section of docs/benchmarks.md, from bench/phone_latency.py's results."""

from __future__ import annotations

from typing import Any

__all__ = ["HEADING", "markdown"]

HEADING = "## Phone and WebSocket paths"
AUDIO = {
    "phone": "8 kHz μ-law (Twilio Media Streams JSON)",
    "webrtc": "48 kHz Opus (aiortc)",
    "websocket": "16 kHz PCM (binary WebSocket frames)",
}
SPLIT = ("endpointing", "transcription", "generation", "first_audio", "total")


def _pair(result: dict[str, Any], name: str) -> str:
    return f"{result[f'{name}_p50_ms']} / {result[f'{name}_p95_ms']}"


def _find(results: list[dict[str, Any]], path: str, n: int = 1) -> dict[str, Any] | None:
    return next((r for r in results if r["path"] == path and r["sessions_at_once"] == n), None)


def _comparison(results: list[dict[str, Any]]) -> str:
    """What the phone path costs beside WebRTC at one session, in numbers."""
    phone, webrtc = _find(results, "phone"), _find(results, "webrtc")
    if not phone or not webrtc or None in (phone["voice_to_voice_p50_ms"], webrtc["voice_to_voice_p50_ms"]):
        return ""
    delta = phone["voice_to_voice_p50_ms"] - webrtc["voice_to_voice_p50_ms"]
    cpu = (
        f"{phone['server_cpu_s_per_session_min']} against {webrtc['server_cpu_s_per_session_min']} CPU seconds "
        "per session-minute"
    )
    fallback = _find(results, "websocket")
    ws = (
        f"The WebSocket fallback: {fallback['voice_to_voice_p50_ms']} ms median at "
        f"{fallback['server_cpu_s_per_session_min']} CPU seconds per session-minute (raw PCM both ways, no "
        "codec; the scripted page plays nothing, so a browser's playout scheduling is not in it). "
        if fallback and fallback["voice_to_voice_p50_ms"] is not None
        else ""
    )
    return (
        f"At one session the phone path's median voice-to-voice latency is {abs(delta)} ms "
        f"{'above' if delta >= 0 else 'below'} WebRTC's ({phone['voice_to_voice_p50_ms']} against "
        f"{webrtc['voice_to_voice_p50_ms']} ms), at {cpu}: the phone path has no Opus to encode or decode "
        "and no jitter buffer on either side, but it sends base64 JSON every 20 ms and converts μ-law and "
        "8 kHz both ways. A real provider adds its own buffering and the phone network's delay, which the "
        "scripted caller does not model. " + ws
    )


def _scaling(results: list[dict[str, Any]]) -> str:
    """CPU per session-minute at one session and at the most sessions at once, per path."""
    parts = []
    for path in AUDIO:
        rows = sorted((r for r in results if r["path"] == path), key=lambda r: r["sessions_at_once"])
        if len(rows) > 1:
            low, high = rows[0], rows[-1]
            parts.append(
                f"{path} {low['server_cpu_s_per_session_min']} at {low['sessions_at_once']}, "
                f"{high['server_cpu_s_per_session_min']} at {high['sessions_at_once']}"
            )
    if not parts:
        return ""
    return (
        f"CPU seconds per session-minute fall as sessions share a process ({'; '.join(parts)}): much of an "
        "engine's CPU at one session is spent per process rather than per session."
    )


def _concurrency(results: list[dict[str, Any]]) -> list[str]:
    """What several sessions at once do to the tail, with the measured figures."""
    many = [r for r in results if r["sessions_at_once"] > 1 and r["voice_to_voice_p95_ms"] is not None]
    if not many:
        return []
    figures = "; ".join(
        f"{r['path']} {_pair(r, 'voice_to_voice')} ms, transcription {_pair(r, 'server_transcription')} ms"
        for r in many
    )
    return [
        "",
        f"**Several at once.** With {many[0]['sessions_at_once']} sessions at once the medians hold but the "
        f"p95 grows ({figures}): the sessions' answers queue for the recogniser's one inference lane "
        "(`IE_ASR__WORKERS`; the end-of-turn model has one thread too, `IE_TURN__WORKERS`), and when a final transcript comes after the endpointing deadline the turn "
        "ends only when it arrives, so the tail of the transcription becomes the tail of the reply.",
    ]


def _endpointing(results: list[dict[str, Any]]) -> str:
    """Why most of a turn is the endpointing wait, with the measured figures."""
    single = [r for r in results if r["sessions_at_once"] == 1 and r["server_endpointing_p50_ms"] is not None]
    if not single:
        return ""
    figures = ", ".join(f"{r['path']} {r['server_endpointing_p50_ms']} ms" for r in single)
    return (
        f"The engine's median wait from the end of speech to the end of the turn ({figures}) matches the "
        "VAD's 300 ms hangover plus `IE_TURN__HESITATION_MS` (1000 ms), the wait for a voice the "
        "end-of-turn model (media/smart_turn.py) hears as unfinished. It appears to hear eSpeak's "
        "sentence endings that way on 16 kHz audio too, so this is the synthetic voice and the turn-taking "
        "policy, not the narrowband line. The media table's 550 ms (2026-11-22) predates that model "
        "(2026-12-02). Transcription runs inside "
        "the wait; the differences between paths at the client are transport: aiortc's jitter buffers "
        "and Opus for WebRTC (its engine total is also a little higher), none of that on the phone and "
        "WebSocket paths."
    )


def markdown(report: dict[str, Any], questions: int) -> str:
    results: list[dict[str, Any]] = report["results"]
    rows = [
        "| path | audio in | at once | sessions (ended well) | turns answered | voice-to-voice p50 / p95 (ms) "
        "| server CPU s per session-minute | server RSS peak (MB) | WER of stored answers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    split = [
        "| path | at once | endpointing | (of which transcription) | reply generation | first audio "
        "| engine total | at the client |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['path']} | {AUDIO[r['path']]} | {r['sessions_at_once']} | {r['sessions']} ({r['completed']}) "
            f"| {r['turns_answered']}/{r['turns']} | {_pair(r, 'voice_to_voice')} "
            f"| {r['server_cpu_s_per_session_min']} | {r['server_rss_peak_mb']} | {r['wer']} |"
        )
        cells = " | ".join(_pair(r, f"server_{name}") for name in SPLIT)
        split.append(f"| {r['path']} | {r['sessions_at_once']} | {cells} | {_pair(r, 'voice_to_voice')} |")
    missing = (
        [
            "",
            "Not measured: the browsers' WebSocket fallback (`/join/{token}/stream`, "
            "engine/live/browser_stream.py) was skipped in this run, so it has no row; run with "
            "`--paths websocket` (bench/phone_clients.py `run_websocket`) to measure it.",
        ]
        if "websocket" in report["skipped"]
        else []
    )
    for path, error in report.get("failed", {}).items():
        missing += ["", f"Not measured: the {path} path failed in this run ({error}), so it has no row."]
    loads = [r["load_1min_mean"] for r in results if r["load_1min_mean"] is not None]
    peaks = [r["load_1min_max"] for r in results if r["load_1min_max"] is not None]
    cores = int(report["machine"].split(" ")[0])
    load = ""
    if loads and peaks:
        load = (
            f"**Load.** The machine's 1-minute load average while the sessions ran was {min(loads)}-"
            f"{max(loads)} on average per path and level (peak {max(peaks)}; "
            f"{min(r['load_before'] for r in results)}-{max(r['load_before'] for r in results)} before each) on {cores} cores, the benchmark's own candidates and engine included: "
            + (
                "the run had the machine mostly to itself."
                if max(peaks) < 0.75 * cores
                else "at times the engine waited for a core, which is in the figures."
            )
        )
    caps = sorted({(r["sessions_at_once"], r.get("turn_cap")) for r in results})
    plan = "; ".join(
        f"{n} at once: each session answers up to {cap} questions, then hangs up"
        + (", sessions following one another until that many turns are in" if n == 1 else "")
        for n, cap in caps
    )
    wer_pairs = {r["path"]: r["wer"] for r in results if r["sessions_at_once"] == 1}
    return "\n".join(
        [
            HEADING,
            "",
            f"Machine: {report['machine']}, shared with other jobs. Measured {report['measured']} with "
            "`nice -n 10 python -m bench.phone_latency` (Whisper tiny.en int8 on CPU, the embedded director, "
            f"eSpeak NG answers, a 10-minute template with {questions} skills; one engine process per path, "
            "the candidates in the benchmark's process). The same answers go down every path: 16 kHz for "
            "WebRTC and the WebSocket fallback, resampled to 8 kHz and μ-law encoded for the phone. "
            f"{plan} (the interviewer of a 10-minute interview asks more). 'Ended well': the interview "
            "completed, or the candidate hung up after the last scripted answer.",
            "",
            *rows,
            *missing,
            "",
            "### Where a turn's time goes, per path (engine side, p50 / p95 ms)",
            "",
            *split,
            "",
            "**Reading it.** Voice-to-voice is measured at the client, from the end of the candidate's speech "
            "(the answer's last 20 ms frame with sound in it) to the first interviewer audio with sound in it "
            "(above -45 dBFS), over every turn of every session at that concurrency. The engine's split "
            "comes from its per-turn marks (`GET /metrics/json`), as in the media table; each column is its "
            f"own percentile. {_comparison(results)}CPU per session-minute is the engine process's user + "
            "system time over the sessions' wall time, idle listening included; RSS is its peak over the "
            "path's run (one fresh process per path, the Whisper model loaded). " + _scaling(results),
            *_concurrency(results),
            "",
            f"**Endpointing is the same on every path.** {_endpointing(results)}",
            "",
            f"**Narrowband.** The WER at one session ({', '.join(f'{p} {w}' for p, w in wer_pairs.items())}) is the "
            "candidate's words in the stored transcript (after the whole-answer pass) against the script, "
            "over all sessions of the path, by jiwer after lower-casing and dropping punctuation. The phone "
            "carries 300-3400 Hz: what eSpeak puts above 4 kHz, the sibilants and fricatives first (s, sh, "
            "f, th), is gone before the recogniser sees the 8 kHz audio upsampled to 16 kHz, so word "
            "endings and s-initial words are what it tends to get wrong ('search' heard as 'earth' in the phone "
            "test). In the 2026-12-04 run the phone lost 'rebuilt the search system' (heard as 'reveal the "
            "first system') and 'write tests first' ('right steps') where the 16 kHz paths kept 'search' "
            "and 'tests'; errors on every path ('review' heard as 'remove', WebRTC's '3' for 'three', which "
            "the WER counts: numbers are not normalised) are eSpeak's voice and Opus. The same four "
            "sentences repeat, so the WER has few independent samples. Synthetic speech over a clean line flatters both paths; a real phone line adds codec "
            "loss, noise and packet concealment that this does not model.",
            "",
            load,
            "",
        ]
    )
