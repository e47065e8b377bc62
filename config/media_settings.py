"""The media plane's settings: ICE servers, speech recognition, voice activity, the interviewer's voice,
turn-taking, live sessions' limits, load shedding and recordings. Groups of `config.settings.Settings`
(IE_ASR__*, IE_VAD__*, IE_TTS__*, IE_TURN__*, IE_MEDIA__*, IE_LOAD__*, IE_RECORDINGS__*), kept apart from
the engine's other settings so each module stays one concern."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from config.enums import TtsEngine
from config.settings_group import SettingsGroup

__all__ = [
    "AsrSettings",
    "IceServer",
    "LoadSettings",
    "MediaSettings",
    "RecordingSettings",
    "TtsSettings",
    "TurnSettings",
    "VadSettings",
]


class IceServer(SettingsGroup):
    """One STUN/TURN server, in the shape the browser's RTCPeerConnection takes."""

    urls: list[str] = Field(min_length=1, description="e.g. ['stun:stun.example.org:3478']")
    username: str | None = Field(default=None, description="TURN user name.")
    credential: str | None = Field(default=None, description="TURN password.")


class AsrSettings(SettingsGroup):
    """Streaming transcription (faster-whisper). Env: IE_ASR__MODEL, IE_ASR__DEVICE, ..."""

    model: str = Field(
        default="",
        description="Model directory or faster-whisper model name; empty = bundled Whisper tiny.en.",
    )
    device: str = Field(default="cpu", description="cpu, cuda or auto.")
    compute_type: str = Field(default="int8", description="CTranslate2 compute type (int8 on CPU).")
    cpu_threads: int = Field(default=0, ge=0, le=256, description="Threads per inference; 0 = all cores.")
    beam_size: int = Field(default=1, ge=1, le=10, description="Beam size; 1 is greedy and fastest.")
    language: str = Field(default="en", description="Spoken language code.")
    workers: int = Field(default=1, ge=1, le=16, description="Inference lanes shared by all sessions.")
    max_batch: int = Field(default=8, ge=1, le=64, description="Most utterances decoded in one batch.")
    window_s: float = Field(
        default=20.0,
        ge=6.0,
        le=30.0,
        description="Encoder window for utterances up to half its length. 20 s costs 2.3x less than "
        "Whisper's 30 s with the same accuracy on our test speech (bench/asr_batching.py); 30 gives "
        "exactly faster-whisper's transcribe().",
    )
    draft_window_s: float = Field(
        default=10.0,
        ge=1.0,
        le=30.0,
        description="Encoder window for caption partials (drafts) up to half its length. Half the cost "
        "of the 20 s window per draft; captions are replaced by the final, whose window is window_s.",
    )
    fallback_temperatures: list[float] = Field(
        default=[0.0, 0.4, 0.8],
        min_length=1,
        max_length=10,
        description="Temperatures a final's second pass tries when its greedy decode is unreliable (too "
        "repetitive or too unlikely), as faster-whisper's transcribe() does with [0.0, 0.2, ..., 1.0]; "
        "from 0.0, rising, at most 1.0. [0.0] keeps the greedy text. Fewer cost the recogniser's lane "
        "less on hard audio; the stored transcript's whole-answer pass keeps Whisper's own.",
    )
    fallback_best_of: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Samples drawn at each fallback temperature above 0 (transcribe()'s own: 5).",
    )
    partial_interval_ms: int = Field(
        default=1000, ge=200, le=10_000, description="Minimum audio between partial hypotheses."
    )
    preload: bool = Field(default=True, description="Load the model at start-up instead of first use.")
    revision_quiet_ms: int = Field(
        default=1000,
        ge=0,
        le=10_000,
        description="A whole answer's second transcription (the stored transcript's revision) waits until "
        "the recogniser has been asked for nothing else this long (nobody is speaking), so that a reply "
        "never waits behind it; 0: as soon as no final waits.",
    )
    revision_max_wait_s: float = Field(
        default=10.0,
        ge=0,
        le=600,
        description="The longest a revision waits for that quiet moment before it runs anyway.",
    )
    hurry_batch: int = Field(
        default=3,
        ge=0,
        le=64,
        description="When at least this many finals wait for one recogniser call (answers that ended "
        "together), each is heard in the caption drafts' shorter window (IE_ASR__DRAFT_WINDOW_S), about "
        "half the call's time, and its answer is heard again whole for the stored transcript once the "
        "recogniser is quiet. 0: never.",
    )

    @field_validator("fallback_temperatures")
    @classmethod
    def _rising_from_zero(cls, temperatures: list[float]) -> list[float]:
        if temperatures[0] != 0.0 or temperatures != sorted(set(temperatures)) or temperatures[-1] > 1.0:
            raise ValueError("must start at 0.0 and rise, each at most 1.0, e.g. [0.0, 0.4, 0.8]")
        return temperatures


class VadSettings(SettingsGroup):
    """Voice activity detection (webrtcvad). Env: IE_VAD__AGGRESSIVENESS, ..."""

    aggressiveness: int = Field(default=2, ge=0, le=3, description="0 keeps most audio, 3 filters most.")
    frame_ms: Literal[10, 20, 30] = Field(default=20, description="Frame length the classifier sees.")
    start_ms: int = Field(default=60, ge=0, le=1000, description="Speech needed before speech starts.")
    pre_roll_ms: int = Field(default=300, ge=0, le=2000, description="Audio kept before speech starts.")
    hangover_ms: int = Field(default=300, ge=0, le=5000, description="Silence before speech ends.")
    split_after_s: float = Field(
        default=4.0,
        ge=0,
        le=28,
        description="Speech longer than this is cut into pieces at the next pause (the speaker going on), "
        "each transcribed while the answer continues (the next one in the context of the one before), so "
        "the final the reply waits for covers only the last few seconds: 4 s halves the final's time "
        "against 12 s, and the whole-answer pass keeps the stored transcript as accurate "
        "(docs/benchmarks.md); 0 cuts only at the 30 s cap.",
    )
    split_pause_ms: int = Field(
        default=80,
        ge=20,
        le=1000,
        description="The shortest pause (in unvoiced VAD frames) that long speech is cut in.",
    )


class TtsSettings(SettingsGroup):
    """The interviewer's voice. Env: IE_TTS__ENGINE, IE_TTS__THREADS, IE_TTS__PRELOAD."""

    engine: TtsEngine = Field(
        default=TtsEngine.PIPER,
        description="piper: the bundled neural voice (en_US-joe-medium), about 6 s of one core per minute "
        "of speech; espeak: eSpeak NG, robotic but ~100x cheaper, for hosts short of CPU. A profile's "
        "voice.engine overrides it.",
    )
    threads: int = Field(
        default=1,
        ge=1,
        le=16,
        description="onnxruntime threads per Piper sentence. 1 keeps one synthesis on one core, so "
        "concurrent sessions spread over the cores instead of contending; 2 about halves a lone "
        "sentence's time on an idle host.",
    )
    preload: bool = Field(
        default=True, description="Load the Piper voice at start-up (about 1.5 s) instead of first use."
    )
    cache_mb: int = Field(
        default=48,
        ge=0,
        le=4096,
        description="Rendered interviewer lines kept per voice engine, so the same line in the same voice "
        "(a template's questions, the acknowledgements and nudges) is synthesised once for every session; "
        "0: render every line every time.",
    )
    ahead_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Lines rendered ahead (the interviewer's likely next words, while the candidate is "
        "still talking) are synthesised on threads this many nice steps below the engine's priority, so "
        "they give the core to the recogniser when answers end together; 0: the same priority.",
    )


class TurnSettings(SettingsGroup):
    """When the candidate's turn is over: the voice model (Smart Turn v3.2) beside the VAD and the
    transcript. Env: IE_TURN__SMART, IE_TURN__THRESHOLD, ... (bench/turn_taking.py measures the trade-off)."""

    smart: bool = Field(
        default=True,
        description="Ask the voice model whether the candidate sounds finished at each pause; false: the "
        "VAD and the transcript alone decide (IE_MEDIA__TURN_SILENCE_MS). Needs the model package "
        "(pip install --no-deps 'pipecat-ai==1.14.0'); without it the engine logs a warning and goes on "
        "without.",
    )
    threshold: float = Field(
        default=0.9,
        gt=0,
        lt=1,
        description="Model probability at or above which the voice counts as finished. Higher: fewer "
        "replies into a pause, more turns that wait IE_TURN__HESITATION_MS. 0.9 from bench/turn_taking.py: "
        "on real speakers' recordings it cut into 0-1 of 16-20 mid-sentence pauses (two runs) against 3-4 "
        "at 0.5, with the same median delay.",
    )
    pause_ms: int = Field(
        default=100,
        ge=20,
        le=2000,
        description="Silence inside an utterance after which the model is asked; it only speeds replies "
        "up while shorter than IE_VAD__HANGOVER_MS.",
    )
    confident_silence_ms: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Extra silence before replying when the voice sounds finished and the transcript looks "
        "complete (the utterance is closed at the model's verdict).",
    )
    hesitation_ms: int = Field(
        default=1000,
        ge=0,
        le=10_000,
        description="Extra silence after the VAD's end of speech before replying when the voice sounds "
        "unfinished: the longest the interviewer waits.",
    )
    acknowledge_min_words: int = Field(
        default=6,
        ge=0,
        le=200,
        description="When the voice sounded finished and the words so far look complete but the final "
        'transcript is still being worked out, say a short acknowledgement ("Thank you.") at once if the '
        "answer has at least this many words; the reply follows when it is ready and leaves its own "
        "acknowledgement out. 0: never (the candidate hears nothing until the reply).",
    )
    acknowledge_after_ms: int = Field(
        default=400,
        ge=0,
        le=5000,
        description="How long the acknowledgement waits after the turn sounded over: the pause between "
        "two sentences often sounds finished too, and a candidate who goes on within this time hears "
        "nothing.",
    )
    workers: int = Field(default=1, ge=1, le=16, description="Threads running the model for all sessions.")
    speculate: bool = Field(
        default=True,
        description="Transcribe the answer so far at each pause (IE_TURN__PAUSE_MS into a silence) instead "
        "of after the VAD's hangover; used when the utterance ends in that pause, dropped when the voice "
        "comes back. Costs recogniser time at every pause, at partial priority (shed under load).",
    )
    speculate_after_ms: int = Field(
        default=40,
        ge=20,
        le=2000,
        description="Silence inside an utterance after which the speculative final starts (with "
        "IE_TURN__SPECULATE), before the voice model is asked at IE_TURN__PAUSE_MS: the final is the fast "
        "path's last wait, so it starts as soon as the voice stops. Shorter silences are mostly gaps "
        "between words, each a recogniser call thrown away (on real people's recordings about 9 a minute "
        "at 40 ms against 5 at 100 ms). At or above IE_TURN__PAUSE_MS: at the pause, as before.",
    )


class MediaSettings(SettingsGroup):
    """WebRTC, recording and the live session. Env: IE_MEDIA__ICE_SERVERS='[{"urls": [...]}]', ..."""

    ice_servers: list[IceServer] = Field(
        default_factory=list, description="STUN/TURN servers for both the engine and the browser."
    )
    recordings_dir: Path | None = Field(
        default=None, description="Where recordings are written; default <data_dir>/recordings."
    )
    turn_silence_ms: int = Field(
        default=250,
        ge=0,
        le=10_000,
        description="Extra silence after the VAD's end of speech before the interviewer replies.",
    )
    max_live_sessions: int = Field(
        default=32,
        ge=1,
        le=10_000,
        description="Concurrent connected live sessions: a peer counts once its connection is up.",
    )
    max_connecting: int = Field(
        default=8,
        ge=1,
        le=10_000,
        description="Peers that have offered but not connected yet, beyond which a new offer gets 503: "
        "their own budget, so offers that never connect cannot take the slots of candidates talking.",
    )
    connect_timeout_s: float = Field(
        default=15.0, gt=0, le=600, description="Time a new peer connection has to connect."
    )
    abandon_after_h: float = Field(
        default=24.0,
        gt=0,
        le=24 * 90,
        description="A session still in progress with nobody connected this many hours after it started "
        "(the candidate never came back, or the engine stopped mid-call) is ended: its recording marked "
        "ready, the analysis run (reporting it ended early). Until then its link resumes it.",
    )
    abandon_check_s: float = Field(
        default=600.0, gt=0, le=86_400, description="How often to look for abandoned sessions."
    )
    disconnect_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="How long a disconnected peer may take to recover before the live session ends "
        "(the session stays resumable from its link).",
    )
    barge_in_ms: int = Field(
        default=1200,
        ge=0,
        le=5000,
        description="Candidate speech over the interviewer (VAD start to end) that stops it for good.",
    )
    barge_in_hold: bool = Field(
        default=True,
        description="Pause the interviewer as soon as the candidate talks over it; resume after shorter speech.",
    )
    idle_nudge_s: float = Field(
        default=15.0, gt=0, le=600, description="Silence after which the interviewer offers to repeat."
    )
    resume_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="Time allowed to fetch a participant's resume_url."
    )
    resume_allow_private: bool = Field(
        default=False, description="Allow resume_url on private or loopback addresses (intranets, tests)."
    )
    idle_end_s: float = Field(
        default=60.0, gt=0, le=3600, description="Silence after which the interviewer ends the call."
    )


class LoadSettings(SettingsGroup):
    """Overload protection, per engine process (engine/live/load.py, docs/media.md "Capacity and
    overload"). Env: IE_LOAD__ADMISSION, IE_LOAD__REFUSE_LAG_MS, ... The signal is the event loop's lag
    and how long finals wait for the recogniser, each averaged over `window_s`."""

    admission: bool = Field(
        default=True,
        description="Refuse a new live session (503 with Retry-After) while the engine is overloaded; "
        "false: only IE_MEDIA__MAX_LIVE_SESSIONS limits them.",
    )
    window_s: float = Field(
        default=10.0,
        ge=1.0,
        le=120.0,
        description="Seconds the signal averages over (finals come a few per turn: a shorter window "
        "reads one slow final as overload).",
    )
    hold_s: float = Field(
        default=10.0,
        ge=0.0,
        le=600.0,
        description="How long a level holds after the signal falls below it, so the engine does not "
        "flap between admitting and refusing.",
    )
    shed_lag_ms: float = Field(
        default=25.0, gt=0, le=10_000, description="Event-loop lag from which partials are spaced out."
    )
    refuse_lag_ms: float = Field(
        default=60.0, gt=0, le=10_000, description="Event-loop lag from which new sessions are refused."
    )
    shed_wait_ms: float = Field(
        default=150.0,
        gt=0,
        le=60_000,
        description="Mean wait of finals for the recogniser from which partials are spaced out.",
    )
    refuse_wait_ms: float = Field(
        default=500.0,
        gt=0,
        le=60_000,
        description="Mean wait of finals for the recogniser from which new sessions are refused.",
    )
    join_burst: int = Field(
        default=4,
        ge=0,
        le=10_000,
        description="New live sessions admitted within one window_s, before the signal can show their "
        "load (a candidate talks only after the greeting); more get 503 with Retry-After for when the "
        "oldest leaves the window, and the join page retries by itself. 0: no such limit.",
    )
    shed_partial_factor: int = Field(
        default=3,
        ge=1,
        le=100,
        description="While shedding, partials come this many times less often (IE_ASR__PARTIAL_INTERVAL_MS "
        "times this); while refusing, none at all. Finals are never dropped.",
    )
    retry_after_s: int = Field(
        default=30, ge=1, le=3600, description="Retry-After of the 503 a refused session gets."
    )


class RecordingSettings(SettingsGroup):
    """Finished recordings (IE_RECORDINGS__OPUS, ...): transcoded from WAV to Ogg Opus once the session
    is over and its analysis has read the WAV (engine.storage.transcodes, docs/media.md)."""

    opus: bool = Field(
        default=True,
        description="Transcode finished recordings to Ogg Opus (about 20x smaller than the 16 kHz stereo "
        "WAV; the WAV is deleted once the Opus file is written, and uploaded when a bucket is set).",
    )
    opus_bitrate: int = Field(
        default=24_000,
        ge=12_000,
        le=128_000,
        description="Opus target bit rate (bit/s, both channels together, VBR). Below 24000 the encoder "
        "starts mixing the two voices (bench/recording_opus.py).",
    )
    opus_after_s: float = Field(
        default=600.0,
        ge=0,
        le=7 * 86_400,
        description="Seconds a finished recording stays WAV before it is transcoded: a webhook receiver "
        "told of `recording.ready` (content type audio/wav) or a player already open keeps reading the "
        "same bytes meanwhile.",
    )
    poll_s: float = Field(
        default=30.0, gt=0, le=3600, description="How often recordings due for transcoding are looked for."
    )
