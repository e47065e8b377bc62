"""The Chromium benchmark's section of docs/benchmarks.md ("Reply latency in Chromium"), written from
the runs `bench.browser_latency` keeps in its JSON: the table of runs, what they say, and each turn's
time split by the end-of-turn voice model's verdict."""

from __future__ import annotations

from typing import Any

from bench.report import pct

__all__ = ["markdown"]


def _alignment(run: dict[str, Any]) -> str:
    found = run.get("recording_alignment_ms")
    # Real people pause for more than the 1 s that splits answers in the recording: no turn to match.
    if not found or not found["turns"] or run.get("candidate_voice") == "human":
        return "-"
    return f"{found['median']} / {found['abs_p95']}"


def markdown(runs: dict[str, dict[str, Any]]) -> str:
    first = next(iter(runs.values()))
    lines = [
        "## Reply latency in Chromium",
        "",
        f"`python -m bench.browser_latency` on {first['machine']}. One candidate at a time in Debian's "
        "Chromium through the join page; the answer is played into a synthetic microphone and the reply "
        "is heard on the page's own remote stream, both timed on the page's AudioContext clock: from the "
        "last sample of the candidate's voice to the first sample of the interviewer's reply with sound. "
        "Answers are 8-12 s of synthetic speech (the voice is in the table). The engine runs in its own "
        "process; each row names the settings that differ from its defaults. A cut-in is a turn where the "
        "interviewer started talking before the answer ended.",
        "",
        "| run | candidate voice | turns | p50 (ms) | p95 (ms) | min | max | cut-ins | engine CPU (share of a core) "
        "| engine: endpointing p50 / p95 | engine: transcription p50 / p95 | engine: first audio p50 / p95 "
        "| recording vs heard: median / p95 of abs (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in runs.items():
        phases = r["server_phases_ms"]
        lines.append(
            f"| {label} | {r['candidate_voice']} | {r['turns']} | {r['reply_ms_p50']} | {r['reply_ms_p95']} "
            f"| {r['reply_ms_min']} | {r['reply_ms_max']} | {r['cut_ins']} | {r['engine_cpu_share']} "
            f"| {phases['endpointing_ms']['p50']} / {phases['endpointing_ms']['p95']} "
            f"| {phases['transcription_ms']['p50']} / {phases['transcription_ms']['p95']} "
            f"| {phases['first_audio_ms']['p50']} / {phases['first_audio_ms']['p95']} "
            f"| {_alignment(r)} |"
        )
    lines += [
        "",
        "Endpointing runs from the end of the candidate's voice to the end of the turn and includes the "
        "final transcription; the rest of the client's figure is the reply's first sentence, the network, "
        "Opus, Chromium's jitter buffer and playout. Target at one session: p50 <= 600 ms, p95 <= 900 ms. "
        "'Recording vs heard' compares, turn by turn, the gap between the end of the answer and the "
        "interviewer's next sound in the session's stereo recording with the same gap as the page heard "
        "it (target: within 20 ms); the page's own onset timing (an AnalyserNode polled every 5 ms) is "
        "part of the error, and so are Chromium's capture and rendering buffers, which getStats does not "
        "report (the engine hears of the jitter buffer and the round trip only). With acknowledging at "
        "once, the first sound is the acknowledgement; the engine's columns are the reply's, whose "
        "endpointing then includes the acknowledgement being spoken (1-1.6 s) when the final came in "
        "during it. The same run without the 400 ms wait (IE_TURN__ACKNOWLEDGE_AFTER_MS=0) heard the "
        "acknowledgement after a p50 of about 675 ms, but in the pause between two sentences on 3 of 16 "
        "turns. Transcribing answers in 4 s pieces while they are spoken halved the final's time (p50 "
        "1043 to 563 ms) and brought the p95 the candidate hears from 2189 to 1688 ms; the median moved "
        "less (1184 to 1117 ms) because the first sound is still the acknowledgement, 400 ms after the "
        "voice model heard a finished turn. Without the acknowledgement the median is worse (1357 ms): "
        "the voice model hears about a third of these synthetic answers' ends as unfinished (turns at "
        "about 1.7 s, the 1 s hesitation), and the others wait for the final.",
        "",
        "Real people's recordings (`--voice human`: the recordings of `bench.real_speech` that ship in "
        "packages, 3-30 s of voice, taken from each set in turn: disfluent clips, phone prompts, read and "
        "spontaneous speech, played as they were recorded, pauses included). With the voice model's "
        "threshold at 0.5 and two other jobs on the machine (load about 3): p50 1148 ms, p95 3036 ms over "
        "20 turns, 2 cut-ins, the final transcription p50 749 / p95 2814 ms (answers run up to 26 s), one "
        "turn at 7.7 s not yet explained. With the defaults (threshold 0.9) on a quiet machine (load under "
        "1): p50 869 ms, p95 1772 ms over 20 turns, 4 cut-ins (two on the session's first two answers, "
        "disfluent clips with long pauses, as at 0.5), transcription p50 257 / p95 745 ms. The two runs "
        "differ in load as well as threshold, and each session's answers fall on different questions, so "
        "they do not isolate the threshold; the turn-taking benchmark above does. Turns of 200-300 ms are "
        "probably replies already under way when a recording's last words came after a pause the engine "
        "took as the end (not checked turn by turn). The 'recording vs heard' column is left out for these runs: real people pause for more than "
        "the 1 s that separates answers in the recording.",
        "",
    ]
    return "\n".join(lines + _by_verdict(runs))


def _by_verdict(runs: dict[str, dict[str, Any]]) -> list[str]:
    """The engine's marks turn by turn, split by the voice model's verdict, for the runs that kept them."""
    rows = []
    for label, run in runs.items():
        turns = [t for t in run.get("server_turns", []) if t.get("verdict_ms") is not None]
        for complete, name in ((True, "finished: the fast path"), (False, "unfinished: the hesitation wait")):
            group = [t for t in turns if t.get("verdict_complete") is complete]
            if not group:
                continue

            def spread(values: list[float]) -> str:
                return f"{pct(values, 0.5)} / {pct(values, 0.95)}"

            closed = [t["endpointing_ms"] - t["transcription_ms"] for t in group]
            rows.append(
                f"| {label} | {name} | {len(group)} | {spread([t['verdict_ms'] for t in group])} "
                f"| {spread(closed)} | {spread([t['transcription_ms'] for t in group])} "
                f"| {spread([t['endpointing_ms'] for t in group])} | {spread([t['total_ms'] for t in group])} |"
            )
    if not rows:
        return []
    return [
        "### Where a turn's time goes, by the voice model's verdict",
        "",
        "The engine's own marks for every turn of the runs that kept them (`verdict_ms` and "
        "`verdict_complete` in `GET /metrics/json`), from the end of the candidate's voice, p50 / p95 in ms. "
        "'Utterance closed' is the end of the voice to the VAD's end of the utterance (a finished verdict "
        "closes it at once); 'final after it' is that end to the final transcript (the speculation taken "
        "at the pause, when the utterance ended in it). Cut-in turns count here too (the page measures no "
        "latency for them).",
        "",
        "| run | verdict | turns | verdict | utterance closed | final after it | endpointing | engine total |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "On the fast path of the first 2026-12-06 run the voice model's verdict came about 340 ms after "
        "the end of the voice: the 100 ms pause it is asked at (`IE_TURN__PAUSE_MS`), the 80 ms aiortc's "
        "inbound jitter buffer then held each frame, the VAD's frame and the inference (about 85 ms alone "
        "on an idle core, more beside Chromium). The turn then waits for the final, the speculation "
        "started at the pause, which ends about 190 ms after the verdict at the median: the recogniser is "
        "the fast path's critical path, and its tail is the acknowledgement turns (the reply then also "
        'waits for "Thank you." to be spoken). At the page that run\'s turns fell in two groups, 640-870 '
        "ms and 1620-1780 ms (the 1 s hesitation after the VAD's 300 ms hangover), with a few outliers, and "
        "the median is whichever group most turns fall in (18 of 28 turns sounded finished there). Handing "
        "each inbound packet to the decoder on arrival (`media/audio_jitter.py`, the last run) brought the "
        "verdict to 256 ms (p50) and the fast path's engine total from 548 to 478 ms; at the page the same "
        "recordings' fast turns fell by 50-150 ms each (e.g. 801 to 646, 1617 to 762, 869 to 814 ms) and "
        "the median from 869 to 799 ms. Starting the speculative final 40 ms into each silence instead of "
        "at the voice model's 100 ms pause (`IE_TURN__SPECULATE_AFTER_MS`, the run after) brought the final "
        "from 198 to 144 ms after the utterance closed, but the verdict from 256 to 286 ms (the two now "
        "share the cores at the same moment): the fast path's engine total 478 to 447 ms, the page median "
        "799 to 779 ms, within the run-to-run noise turn by turn. That run also read Chromium's own "
        "figures (getStats at each session's end): its jitter buffer held the interviewer's audio 29 ms "
        "on average (target 21 ms), and the page's AudioContext reports 10 ms base and 30 ms output "
        "latency; of the 200-230 ms between the engine's total and the page's figure on the same turn, "
        "that is about 70 ms, the rest being the candidate's side (Chromium's capture, Opus's 20 ms "
        "frames and look-ahead) and the page's rendering, not yet taken apart. The engine's own clock "
        "also starts late: on these 40 recordings the VAD's end of voice (webrtcvad, aggressiveness 2) "
        "trails the last 10 ms above -45 dBFS by a median 120 ms on the 23 whose last sound it heard as "
        "voice (70-260 ms; it classifies the fading tail and the room tone after it as speech), and every "
        "timer (the speculation, the voice model's pause, the hangover) counts from there; at "
        "aggressiveness 3 that lag is about 60 ms, but 19 rather than 17 answers then end before their "
        "last sound. A lead, not built. "
        "The same recordings are played in the same order in every run, so "
        "the turns compare one by one; this run had two more sessions (a session that ends early restarts "
        "the list), hence more cut-ins, on the same clips as before (the 18 s, 7 s and 4 s disfluent "
        "ones). To reach 600 ms at the page the final must still come about 100-200 ms sooner; hearing "
        "the later pieces of an answer in the recogniser's shorter window, tried the same day, gained "
        "26 ms per call (see 'Recognition of real speech').",
        "",
    ]
