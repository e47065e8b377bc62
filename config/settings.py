"""Engine settings, read once at start-up from the environment or `.env` and passed down explicitly."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import limits
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.email_settings import EmailSettings, SmtpSettings
from config.enums import TtsEngine
from config.phone_settings import PhoneSettings
from config.retention import RetentionSettings

__all__ = [
    "AnalysisSettings",
    "AsrSettings",
    "IceServer",
    "LlmSettings",
    "LoadSettings",
    "MediaSettings",
    "NodeSettings",
    "ObjectStoreSettings",
    "OtelSettings",
    "PrivacySettings",
    "RecordingSettings",
    "Settings",
    "SignInSettings",
    "TtsSettings",
    "VadSettings",
    "WorkerSettings",
]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IceServer(_Group):
    """One STUN/TURN server, in the shape the browser's RTCPeerConnection takes."""

    urls: list[str] = Field(min_length=1, description="e.g. ['stun:stun.example.org:3478']")
    username: str | None = Field(default=None, description="TURN user name.")
    credential: str | None = Field(default=None, description="TURN password.")


class AsrSettings(_Group):
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


class VadSettings(_Group):
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


class TtsSettings(_Group):
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


class TurnSettings(_Group):
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


class LlmSettings(_Group):
    """An OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp server, hosted APIs).
    Env: IE_LLM__BASE_URL, IE_LLM__MODEL, IE_LLM__API_KEY, ... Empty base_url: the embedded director."""

    base_url: str = Field(default="", description="e.g. http://127.0.0.1:11434/v1; empty disables the LLM.")
    model: str = Field(default="", description="Model name the endpoint serves.")
    api_key: SecretStr | None = Field(default=None, description="Bearer token, if the endpoint wants one.")
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120, description="TCP/TLS connect timeout.")
    first_token_timeout_s: float = Field(
        default=4.0, gt=0, le=120, description="Longest wait for the first streamed token."
    )
    idle_timeout_s: float = Field(default=5.0, gt=0, le=120, description="Longest gap between tokens.")
    max_tokens: int = Field(default=300, ge=16, le=4096, description="Cap on one reply.")
    temperature: float = Field(default=0.4, ge=0, le=2, description="Sampling temperature.")


# Points of 100 around the pass mark inside which the embedded scorer's verdict goes to a human. Its
# median error on the overall rating is 7-11 points on the independent calibration sets; measured there
# (bench.scoring_validity's close-call table), 5 took the share of wrong automatic verdicts from 12 of 48
# to 7 of 36, while 10 held 22 of 48 interviews for one mistake fewer still.
EMBEDDED_REVIEW_MARGIN = 5.0


class AnalysisSettings(_Group):
    """Scoring completed sessions. Env: IE_ANALYSIS__POLL_S, IE_ANALYSIS__USE_LLM, IE_ANALYSIS__LLM_SAMPLES,
    IE_ANALYSIS__FLAG_..."""

    poll_s: float = Field(
        default=1.0, gt=0, le=60, description="How often the worker looks for pending analyses."
    )
    use_llm: bool = Field(
        default=True,
        description="Score with the LLM (IE_LLM__*) when one is configured; the embedded scorer is the fallback.",
    )
    llm_max_tokens: int = Field(
        default=800, ge=200, le=4096, description="Reply cap for one dimension's score."
    )
    llm_samples: int = Field(
        default=1,
        ge=1,
        le=9,
        description="LLM requests per dimension; with more than one, the median score is kept (needs "
        "IE_LLM__TEMPERATURE above 0 to differ; costs that many times the requests).",
    )
    coverage_threshold: float = Field(
        default=70.0,
        ge=0,
        le=100,
        description="Percent of the rubric weight that must be assessed for a verdict; below it the "
        "recommendation is needs_review and the stage pipeline waits for a human.",
    )
    embedded_review_margin: float = Field(
        default=EMBEDDED_REVIEW_MARGIN,
        ge=0,
        le=50,
        description="Points of 100 around the pass mark inside which the embedded scorer's verdict is a "
        "close call: the recommendation is needs_review and the stage pipeline waits for a human (the "
        "default's measurement: docs/scoring.md); 0 lets it decide every case. An LLM scorer's verdicts "
        "are not held.",
    )
    min_evidence_words: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Candidate words on a dimension below which it is not scored (insufficient evidence).",
    )
    flag_pause_then_fluent: int = Field(
        default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100."
    )
    flag_reading_like: int = Field(
        default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100."
    )
    flag_multiple_voices: int = Field(
        default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100."
    )
    flag_source_changed: int = Field(
        default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100."
    )
    flag_focus_lost: int = Field(default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100.")
    flag_background_voice: int = Field(
        default=60, ge=0, le=100, description="Authenticity flag threshold, 0-100."
    )


class WebhookSettings(_Group):
    """Webhook delivery. Env: IE_WEBHOOKS__RETRY_SCHEDULE_S='[0, 5, 300]', IE_WEBHOOKS__ALLOW_PRIVATE, ..."""

    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
        max_length=30,
        description="Wait before each attempt (the first is usually 0); after the last, the delivery fails.",
    )
    timeout_s: float = Field(default=15.0, gt=0, le=120, description="Per attempt, response included.")
    poll_s: float = Field(default=1.0, gt=0, le=60, description="How often the dispatcher looks for work.")
    max_concurrency: int = Field(default=8, ge=1, le=100, description="Deliveries in flight at once.")
    max_retry_after_s: float = Field(
        default=86_400, gt=0, description="Longest Retry-After (429/503) honoured; longer ones are capped."
    )
    rotation_overlap_s: float = Field(
        default=86_400, ge=0, description="After a secret rotation, the old secret also signs for this long."
    )
    allow_private: bool = Field(
        default=False,
        description="Allow endpoints on private or loopback addresses (tests, on-premise receivers).",
    )

    @field_validator("retry_schedule_s")
    @classmethod
    def _non_negative(cls, schedule: list[float]) -> list[float]:
        if any(not 0 <= s <= 7 * 86_400 for s in schedule):
            raise ValueError("each wait must be between 0 and 604800 seconds")
        return schedule


class WorkerSettings(_Group):
    """The background workers (analysis, webhook deliveries, emails). Env: IE_WORKERS__EMBEDDED,
    IE_WORKERS__LEASE_S."""

    embedded: bool = Field(
        default=True,
        description="Run the workers inside the engine (`serve`); false when separate "
        "`interview-engine worker` processes do that work against the same database.",
    )
    lease_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="How long a claimed analysis or webhook delivery stays its worker's without news: the "
        "worker renews it every third of it while working, and a dead worker's job is claimed again once "
        "it runs out.",
    )


class SignInSettings(_Group):
    """Recruiters' browser sign-in. Env: IE_SIGNIN__SESSION_TTL_S, IE_SIGNIN__IDLE_TIMEOUT_S, ..."""

    session_ttl_s: float = Field(
        default=12 * 3600, gt=0, le=30 * 86_400, description="A sign-in lasts at most this long."
    )
    idle_timeout_s: float = Field(
        default=2 * 3600, gt=0, le=30 * 86_400, description="A sign-in unused for this long ends."
    )
    max_failures: int = Field(
        default=5, ge=1, le=100, description="Failed passwords in a row before the account is locked."
    )
    lockout_s: float = Field(default=900, ge=0, le=86_400, description="How long a lock lasts.")
    secure_cookie: bool | None = Field(
        default=None,
        description="Mark the cookie Secure; default: when public_base_url is https.",
    )


class RateSettings(_Group):
    """Request rate limits ("N/second|minute|hour|day", the `limits` library's notation). Env:
    IE_RATE__PUBLIC_PER_ADDRESS, IE_RATE__PUBLIC_PER_LINK, IE_RATE__PER_CALLER,
    IE_RATE__SIGN_IN_PER_ADDRESS."""

    public_per_address: str = Field(
        default="10/minute",
        description="Interviews started through one public link from one client address.",
    )
    public_per_link: str = Field(
        default="120/minute", description="Interviews started through one public link in all."
    )

    per_caller: str = Field(
        default="600/minute",
        description="Authenticated API calls per API key, or per dashboard sign-in.",
    )
    sign_in_per_address: str = Field(
        default="20/minute", description="Sign-in attempts (POST /v1/auth/login) from one client address."
    )

    @field_validator("public_per_address", "public_per_link", "per_caller", "sign_in_per_address")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"not a rate such as '10/minute': {value!r}") from None
        return value


class MediaSettings(_Group):
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


class LoadSettings(_Group):
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


class RecordingSettings(_Group):
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


class ObjectStoreSettings(_Group):
    """An S3-compatible bucket for finished recordings (IE_OBJECT_STORE__URL, __BUCKET, ...). Unset URL or
    bucket: recordings stay on local disk only (the embedded default)."""

    url: str | None = Field(
        default=None,
        description="Endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000.",
    )
    bucket: str | None = Field(default=None, description="Bucket the recordings go to (must exist).")
    access_key_id: str | None = Field(default=None, description="Default: boto3's credential chain.")
    secret_access_key: SecretStr | None = Field(default=None)
    region: str = Field(default="us-east-1")
    prefix: str = Field(default="recordings/", description="Key prefix in the bucket.")
    resume_prefix: str = Field(
        default="resumes/", description="Key prefix of uploaded resume files in the bucket."
    )
    poll_s: float = Field(
        default=10.0, gt=0, le=3600, description="How often pending uploads are looked for and retried."
    )
    delete_local: bool = Field(
        default=False, description="Delete the local file once its upload is confirmed."
    )
    presign: bool = Field(
        default=False,
        description="Answer recording downloads with a redirect to a presigned URL instead of proxying.",
    )
    presign_ttl_s: int = Field(default=300, ge=10, le=86400)

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.bucket)


class SecretsSettings(_Group):
    """The key webhook signing secrets are encrypted with at rest (engine/secret_box.py, docs/deploy.md).
    Env: IE_SECRETS__KEY, IE_SECRETS__OLD_KEYS."""

    key: SecretStr | None = Field(
        default=None,
        description="Fernet key (32 url-safe base64 bytes) that encrypts stored secrets. Unset: a key is "
        "generated once into secrets.key beside the SQLite database (or in data_dir), owner-only.",
    )
    old_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated keys still read during a rotation; values are re-encrypted with "
        "`key` at start-up.",
    )
    key_file: Path | None = Field(
        default=None, description="Where the generated key lives when `key` is unset."
    )


class OtelSettings(_Group):
    """Optional OpenTelemetry tracing (IE_OTEL__ENDPOINT): spans of API requests, live turns and jobs sent
    to an OTLP/HTTP collector. Unset endpoint: off, and no OpenTelemetry module is imported. Needs the
    `otel` extra (pip install 'interview-engine[otel]')."""

    endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces. Unset: no tracing.",
    )
    service_name: str = Field(default="interview-engine", min_length=1, max_length=200)
    sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Share of new traces kept (parent-based)."
    )
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="Export request timeout.")

    @property
    def enabled(self) -> bool:
        return bool(self.endpoint)


class NodeSettings(_Group):
    """This engine as one node of several on one PostgreSQL database (docs/deploy.md, "Several engines").
    Env: IE_NODE__URL, IE_NODE__HEARTBEAT_S, IE_NODE__DEAD_AFTER_S, IE_NODE__DRAIN_S."""

    url: str | None = Field(
        default=None,
        description="Where the other engines reach this one: a join offer that reaches another engine is "
        "forwarded here while this one holds the live interview (e.g. http://10.0.0.5:8000). Default "
        "http://<host>:<port>, with the machine's host name when host is 0.0.0.0 or ::.",
    )
    heartbeat_s: float = Field(
        default=5.0, gt=0, le=60, description="How often this engine writes its heartbeat to the database."
    )
    dead_after_s: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="An engine whose heartbeat is older than this is taken for dead: another one takes its "
        "live interviews over when their links are opened again (at least twice heartbeat_s, so one "
        "late write is no death). Keep the engines' clocks in sync (NTP).",
    )
    drain_s: float = Field(
        default=600.0,
        ge=0,
        le=86_400,
        description="On SIGTERM, how long interviews already running may go on (new ones are refused with "
        "503 or sent to another engine) before the rest are interrupted, resumable from their links. The "
        "process manager's stop timeout must be longer (compose stop_grace_period, Kubernetes "
        "terminationGracePeriodSeconds, systemd TimeoutStopSec).",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        if not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"not an http:// or https:// URL: {url!r}")
        return url.strip().rstrip("/")

    @model_validator(mode="after")
    def _beats_before_death(self) -> NodeSettings:
        if self.dead_after_s < 2 * self.heartbeat_s:
            raise ValueError("dead_after_s must be at least twice heartbeat_s")
        return self


class PrivacySettings(_Group):
    """What the candidate is told about their data (IE_PRIVACY__POLICY_URL; docs/privacy.md)."""

    policy_url: str | None = Field(
        default=None,
        max_length=2000,
        description="The company's own privacy policy, linked from the join page next to the recording "
        "notice (an http:// or https:// URL). Unset: no link.",
    )

    @field_validator("policy_url")
    @classmethod
    def _http_policy_url(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        url = url.strip()
        parsed = urlsplit(url)
        # The page builds an <a href> from it: only web URLs, never javascript: or data:.
        if parsed.scheme not in ("http", "https") or not parsed.hostname or any(c.isspace() for c in url):
            raise ValueError(f"not an http:// or https:// URL: {url!r}")
        return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IE_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(
        default=Path("data"), description="Where the embedded database and recordings live."
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("IE_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; postgres:// URLs use asyncpg. Default: SQLite file in data_dir.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server binds.")
    public_base_url: str | None = Field(
        default=None, description="Base URL that join links use; default http://host:port."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger request bodies get 413.")
    max_upload_bytes: int = Field(
        default=25 * 1_048_576,
        ge=1024,
        description="Body limit of the file upload routes (engine.api.limits.UPLOAD_PATHS); each route "
        "also limits its own file.",
    )
    default_page_size: int = Field(default=50, ge=1, le=500)
    max_page_size: int = Field(default=200, ge=1, le=1000)
    log_level: str = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per record; json: one JSON object per line (timestamp, "
        "level, logger, message, request_id, session_id, exc_info) for a log collector.",
    )
    asr: AsrSettings = Field(default_factory=AsrSettings)
    vad: VadSettings = Field(default_factory=VadSettings)
    turn: TurnSettings = Field(default_factory=TurnSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    load: LoadSettings = Field(default_factory=LoadSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    signin: SignInSettings = Field(default_factory=SignInSettings)
    rate: RateSettings = Field(default_factory=RateSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    workers: WorkerSettings = Field(default_factory=WorkerSettings)
    object_store: ObjectStoreSettings = Field(default_factory=ObjectStoreSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    node: NodeSettings = Field(default_factory=NodeSettings)
    otel: OtelSettings = Field(default_factory=OtelSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    phone: PhoneSettings = Field(default_factory=PhoneSettings)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        url = url.strip()
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'interview-engine.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return self.media.recordings_dir or self.data_dir / "recordings"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def node_url(self) -> str:
        """Where the other engines reach this one (IE_NODE__URL, or derived from host and port)."""
        if self.node.url:
            return self.node.url.rstrip("/")
        host = self.host
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 - a wildcard bind is reached by the host's name
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"
