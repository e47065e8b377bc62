"""Engine settings, read once at start-up from the environment or `.env` and passed down explicitly."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import limits
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.email_settings import EmailSettings, SmtpSettings
from config.media_settings import (
    AsrSettings,
    IceServer,
    LoadSettings,
    MediaSettings,
    RecordingSettings,
    TtsSettings,
    TurnSettings,
    VadSettings,
)
from config.phone_settings import PhoneSettings
from config.retention import RetentionSettings
from config.settings_group import SettingsGroup

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
    "TurnSettings",
    "VadSettings",
    "WorkerSettings",
]


class LlmSettings(SettingsGroup):
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


class AnalysisSettings(SettingsGroup):
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
    recording_wait_s: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="With an object store, how long after the interview's end a worker that cannot read "
        "its recording on its own disk (another host) waits for it in the bucket before scoring without "
        "the audio-based checks; 0 never waits (engine.analysis.audio_source).",
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


class WebhookSettings(SettingsGroup):
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


class WorkerSettings(SettingsGroup):
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


class SignInSettings(SettingsGroup):
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


class RateSettings(SettingsGroup):
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


class ObjectStoreSettings(SettingsGroup):
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


class SecretsSettings(SettingsGroup):
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


class OtelSettings(SettingsGroup):
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


class NodeSettings(SettingsGroup):
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


class PrivacySettings(SettingsGroup):
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
