"""Fuzzing: nothing a client sends may make the server answer 5xx, or answer with a body its schema
does not describe.

* schemathesis generates requests for every operation in /openapi.json (valid and invalid ones) and
  replays them over TCP against a real uvicorn server on SQLite, seeded so that some ids exist;
  a stateful run chains operations through the links schemathesis infers.
* a hypothesis test throws arbitrary JSON at every write endpoint on PostgreSQL, which is the stricter
  store: no NUL in text, no NaN in JSONB, no lone surrogates, bounded integers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.settings import RateSettings, Settings
from engine.app import create_app
from engine.bootstrap import create_key
from engine.clock import SystemClock
from tests.helpers import participant_body, profile_body, template_body
from tests.postgres_server import asyncpg_dsn
from tests.server_thread import ServerThread

SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
JsonStrategy = st.SearchStrategy[Any]


class ErrorLog(logging.Handler):
    """Collects ERROR records (unhandled exceptions) from the in-process server."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in self.records[:3])


@dataclass
class Target:
    base_url: str
    key: str
    ids: dict[str, str]
    stage_ids: list[str]
    errors: ErrorLog = field(default_factory=ErrorLog)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@contextlib.contextmanager
def _running(cfg: Settings, error_log: ErrorLog) -> Iterator[Target]:
    """A seeded server on loopback for the block, stopped afterwards whatever happens."""
    thread, target = _serve(cfg)
    target.errors = error_log
    try:
        yield target
    finally:
        thread.stop()


def _created(client: httpx.Client, path: str, body: dict[str, Any]) -> str:
    r = client.post(path, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _seed(base_url: str, key: str) -> tuple[dict[str, str], list[str]]:
    """A profile, a template with two stages, a participant and a session, so some ids exist."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        created = functools.partial(_created, c)
        profile = created("/v1/agent-profiles", profile_body())
        template = created("/v1/templates", template_body())
        stages = [
            created(f"/v1/templates/{template}/stages", {"name": n, "agent_profile_id": profile})
            for n in ("Phone Screen", "Technical")
        ]
        participant = created("/v1/participants", participant_body(evaluation_template_id=template))
        session = created("/v1/sessions", {"participant_id": participant, "stage_id": stages[0]})
        link = c.put(f"/v1/templates/{template}/public-link", json={"enabled": True})
        assert link.status_code == 200, link.text
        public_token = str(link.json()["url"]).rsplit("/", 1)[1]
        # Loopback, which the dispatcher refuses (private addresses are off by default): nothing leaves.
        endpoint = created("/v1/webhook-endpoints", {"url": "https://127.0.0.1:9/hooks"})
        test = c.post(f"/v1/webhook-endpoints/{endpoint}/test")
        assert test.status_code == 202, test.text
        delivery = str(test.json()["id"])
        recruiter = created(
            "/v1/recruiters", {"email": "fuzz@example.com", "name": "Fuzz", "password": "fuzzing passphrase"}
        )
        api_key = created("/v1/api-keys", {"name": "fuzz", "scopes": ["read:templates"]})
    ids = {
        "token": public_token,
        "profile_id": profile,
        "agent_profile_id": profile,
        "template_id": template,
        "evaluation_template_id": template,
        "stage_id": stages[0],
        "participant_id": participant,
        "session_id": session,
        "endpoint_id": endpoint,
        "delivery_id": delivery,
        "recruiter_id": recruiter,
        "key_id": api_key,
        "kind": "invitation",
    }
    return ids, stages


# The fuzzer sends thousands of requests with one key in a few minutes: the per-caller limit would
# answer most of them with 429 and test nothing else.
FUZZ_RATES = RateSettings(per_caller="1000000/minute")


def _serve(settings_: Settings) -> tuple[ServerThread, Target]:
    issued = asyncio.run(create_key(settings_, "fuzz", None, SystemClock()))
    thread = ServerThread(create_app(settings_))
    base_url = thread.start()
    try:
        ids, stage_ids = _seed(base_url, issued.secret_key)
    except BaseException:
        thread.stop()
        raise
    return thread, Target(base_url, issued.secret_key, ids, stage_ids)


@pytest.fixture(scope="module")
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture(autouse=True)
def _fresh_error_log(error_log: ErrorLog) -> None:
    """Each test answers for the errors logged while it ran, not for an earlier test's."""
    error_log.records.clear()


@pytest.fixture(scope="module")
def sqlite_target(tmp_path_factory: pytest.TempPathFactory, error_log: ErrorLog) -> Iterator[Target]:
    data_dir = tmp_path_factory.mktemp("fuzz-sqlite")
    cfg = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'fuzz.db'}",
        rate=FUZZ_RATES,
    )
    with _running(cfg, error_log) as target:
        yield target


# The schema is loaded at import, from the app itself (no server needed to read it): schemathesis'
# lazy `from_fixture` loader does not run under this pytest. The ids that exist are only known once the
# server is seeded, so the generation hooks read them from here at draw time.
SEEDED: dict[str, Any] = {}

SPEC: dict[str, Any] = create_app(Settings(_env_file=None)).openapi()
schema = schemathesis.openapi.from_dict(
    SPEC,
    config=schemathesis.Config.from_dict({"generation": {"database": "none"}}),
)


def _swap_ids(value: Any) -> Any:
    if not isinstance(value, dict) or not SEEDED:
        return value
    out = {k: SEEDED["ids"].get(k, v) for k, v in value.items()}
    if "stage_ids" in out:
        out["stage_ids"] = list(reversed(SEEDED["stage_ids"]))
    return out


# Half the generated ids, in paths and bodies, are replaced by ids that exist, so the fuzzer gets past
# the 404s into the code that loads, checks and changes real rows.
@schema.hook
def before_generate_path_parameters(_ctx: Any, strategy: JsonStrategy) -> JsonStrategy:
    return st.one_of(strategy, strategy.map(_swap_ids))


@schema.hook
def before_generate_body(_ctx: Any, strategy: JsonStrategy) -> JsonStrategy:
    return st.one_of(strategy, strategy.map(_swap_ids))


@pytest.fixture(scope="module")
def fuzz_target(sqlite_target: Target) -> Iterator[Target]:
    SEEDED.update(ids=sqlite_target.ids, stage_ids=sqlite_target.stage_ids)
    try:
        yield sqlite_target
    finally:
        SEEDED.clear()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=SUPPRESSED, database=None)
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case[Any], fuzz_target: Target) -> None:
    response = case.call(base_url=fuzz_target.base_url, headers=fuzz_target.auth, timeout=30)
    assert response.status_code < 500, f"{case.as_curl_command()}\n-> {response.status_code} {response.text}"
    # Every response body, of every status, must match the schema the document gives it (all typed).
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    assert not fuzz_target.errors.records, fuzz_target.errors.report()


# --- arbitrary JSON at every write endpoint, on PostgreSQL -------------------------------------------

WRITE_ENDPOINTS: dict[tuple[str, str], Callable[[Target], dict[str, Any]]] = {
    ("POST", "/v1/agent-profiles"): lambda t: profile_body(),
    ("PATCH", "/v1/agent-profiles/{profile_id}"): lambda t: {
        "name": "Renamed",
        "rubric": profile_body()["rubric"],
    },
    ("POST", "/v1/recommendation-logic/check"): lambda t: {
        "recommendation_logic": 'overall >= 7 and "Skill" > 5 -> hire',
        "dimensions": ["Skill", "Communication"],
        "use_case": "hiring",
        "scoring_method": "rule_based",
    },
    ("POST", "/v1/templates"): lambda t: template_body(),
    ("PATCH", "/v1/templates/{template_id}"): lambda t: {"objective": "Assess design.", "skills": ["Go"]},
    ("PUT", "/v1/templates/{template_id}/public-link"): lambda t: {"enabled": True},
    ("POST", "/v1/templates/{template_id}/stages"): lambda t: {
        "name": "Onsite",
        "agent_profile_id": t.ids["profile_id"],
    },
    ("PUT", "/v1/templates/{template_id}/stages/order"): lambda t: {"stage_ids": t.stage_ids},
    ("PATCH", "/v1/stages/{stage_id}"): lambda t: {"name": "Screen", "pass_threshold": 70},
    ("POST", "/v1/participants"): lambda t: participant_body(email=f"{uuid.uuid4().hex}@example.com"),
    ("POST", "/v1/participants/bulk"): lambda t: {
        "participants": [participant_body(email="bulk@example.com")]
    },
    ("PATCH", "/v1/participants/{participant_id}"): lambda t: {"name": "Jane Doe", "tags": ["x"]},
    # multipart/form-data: JSON of any shape is a 4xx there, which is what these tests check
    ("POST", "/v1/participants/import"): lambda t: {"template_id": t.ids["template_id"], "dry_run": True},
    ("POST", "/v1/resumes/parse"): lambda t: {"files": []},  # multipart/form-data, as the import
    ("POST", "/v1/sessions"): lambda t: {
        "participant_id": t.ids["participant_id"],
        "stage_id": t.stage_ids[1],
    },
    ("PATCH", "/v1/sessions/{session_id}"): lambda t: {"metadata": {"source": "fuzz"}},
    ("POST", "/v1/sessions/{session_id}/cancel"): lambda t: {},
    ("POST", "/v1/sessions/{session_id}/invitation"): lambda t: {},
    ("POST", "/v1/sessions/{session_id}/retake"): lambda t: {"metadata": {"attempt": 2}},
    ("POST", "/v1/sessions/{session_id}/analysis/rerun"): lambda t: {},
    ("POST", "/v1/sessions/{session_id}/approve"): lambda t: {},
    ("POST", "/v1/sessions/{session_id}/reject"): lambda t: {},
    ("POST", "/v1/webhook-endpoints"): lambda t: {
        "url": "https://127.0.0.1:9/hooks",
        "event_types": ["session.completed"],
    },
    ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): lambda t: {"description": "ATS", "enabled": True},
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): lambda t: {},
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/test"): lambda t: {},
    ("POST", "/v1/webhook-deliveries/{delivery_id}/redeliver"): lambda t: {},
    ("POST", "/v1/recruiters"): lambda t: {
        "email": f"{uuid.uuid4().hex}@example.com",
        "name": "Rita",
        "password": "a long enough passphrase",
    },
    ("PATCH", "/v1/recruiters/{recruiter_id}"): lambda t: {"name": "Rita R", "unlock": True},
    ("POST", "/v1/api-keys"): lambda t: {"name": "Fuzzed", "scopes": ["read:templates"]},
    ("PUT", "/v1/email-templates/{kind}"): lambda t: {
        "subject": "Your interview, $participant_name",
        "html": '<p><a href="$join_url">Start</a></p>',
        "text": "Start: $join_url",
    },
    ("POST", "/v1/email-templates/{kind}/preview"): lambda t: {
        "subject": "Your interview, $participant_name",
        "html": "<p>$company_name</p>",
        "text": "Start: $join_url",
    },
    ("PATCH", "/v1/company"): lambda t: {"monthly_interview_minutes_limit": 100_000},
    ("POST", "/v1/auth/login"): lambda t: {"email": "fuzz@example.com", "password": "not the passphrase"},
    ("POST", "/v1/auth/logout"): lambda t: {},
    ("POST", "/public/{token}/sessions"): lambda t: {
        "name": "Jo",
        "email": f"{uuid.uuid4().hex}@example.com",
    },
    # form-encoded, as Twilio posts it: JSON of any shape is a 4xx there
    ("POST", "/v1/phone-streams/{token}/status"): lambda t: {
        "CallSid": "CA" + "0" * 32,
        "CallStatus": "busy",
    },
    ("POST", "/join/{token}/offer"): lambda t: {
        "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        "type": "offer",
        "consent": True,
    },
}

NASTY_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfff", "\U0010ffff", "\u202e", "", " ", "NaN", "0" * 400]
NASTY_NUMBERS: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
    1e308,
    5e-324,
    2**31,
    2**63,
    -(2**63) - 1,
    2**64,
    10**100,
    -(10**1000),
]

text_values = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=[]), max_size=30), st.sampled_from(NASTY_TEXT)
)
json_values: JsonStrategy = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(NASTY_NUMBERS),
        text_values,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(text_values, children, max_size=5)
    ),
    max_leaves=12,
)


def _mutated(base: dict[str, Any]) -> JsonStrategy:
    """The valid body with one field, top-level or one level down, replaced or added."""
    keys = st.sampled_from([*base, "metadata", "unexpected"])

    def put(key: str, value: Any, nested: bool) -> dict[str, Any]:
        out = dict(base)
        inner = out.get(key)
        if nested and isinstance(inner, dict) and inner:
            out[key] = {**inner, next(iter(inner)): value}
        elif nested and isinstance(inner, list) and inner:
            out[key] = [value, *inner[1:]]
        else:
            out[key] = value
        return out

    return st.builds(put, keys, json_values, st.booleans())


def _encode(payload: Any, raw_utf8: bool) -> bytes:
    """JSON as Python writes it (NaN and Infinity included); lone surrogates either as `\\ud800`
    escapes or, with raw_utf8, as the bytes `surrogatepass` gives, which are not valid UTF-8."""
    if raw_utf8:
        return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(payload).encode()


@pytest.fixture(scope="module")
def postgres_target(
    postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory, error_log: ErrorLog
) -> Iterator[Target]:
    name = f"fuzz_{uuid.uuid4().hex[:16]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(postgres_admin_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        cfg = Settings(
            _env_file=None,
            rate=FUZZ_RATES,
            data_dir=tmp_path_factory.mktemp("fuzz-postgres"),
            database_url=f"{postgres_admin_url.rpartition('/')[0]}/{name}",
        )
        with _running(cfg, error_log) as target:
            yield target
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _url(client: httpx.Client, target: Target, path: str) -> str:
    """The path with seeded ids; a session of its own, still scheduled, for the session endpoints,
    so what an earlier test did to the seeded one (cancel it, say) does not decide what this one tests."""
    ids = dict(target.ids)
    # A monthly minutes limit an earlier random PATCH /v1/company left would refuse the booking below.
    client.patch("/v1/company", json={"monthly_interview_minutes_limit": None})
    if "{session_id}" in path or path.startswith(("/join/", "/v1/phone-streams/")):
        r = client.post(
            "/v1/sessions", json={"participant_id": ids["participant_id"], "stage_id": ids["stage_id"]}
        )
        if r.status_code != 201:
            # An earlier random example may have legitimately changed the seeded stage or participant
            # (e.g. made the stage manual_review); book against freshly made resources instead.
            assert r.status_code < 500, r.text
            r = client.post("/v1/sessions", json=_fresh_session_body(client))
        assert r.status_code == 201, r.text
        ids["session_id"] = r.json()["id"]
        if path.startswith("/join/"):
            ids["token"] = str(r.json()["join_url"]).rsplit("/", 1)[1]
        if path.startswith("/v1/phone-streams/"):
            stream = client.get(f"/v1/sessions/{ids['session_id']}/phone-stream")
            assert stream.status_code == 200, stream.text
            ids["token"] = str(stream.json()["url"]).rsplit("/", 1)[1]
    return path.format(**ids)


def _fresh_session_body(client: httpx.Client) -> dict[str, Any]:
    created = functools.partial(_created, client)
    profile = created("/v1/agent-profiles", profile_body())
    template = created("/v1/templates", template_body())
    stage = created(f"/v1/templates/{template}/stages", {"name": "Fresh", "agent_profile_id": profile})
    email = f"fresh-{uuid.uuid4().hex[:12]}@example.com"
    person = created("/v1/participants", participant_body(email=email, evaluation_template_id=template))
    return {"participant_id": person, "stage_id": stage}


def test_write_endpoint_list_covers_the_api() -> None:
    writes = {
        (method.upper(), path)
        for path, ops in SPEC["paths"].items()
        for method in ops
        if method in ("post", "put", "patch")
    }
    assert writes == set(WRITE_ENDPOINTS)


@pytest.mark.parametrize(("method", "path"), list(WRITE_ENDPOINTS), ids=lambda v: str(v))
def test_random_json_never_answers_5xx_on_postgres(method: str, path: str, postgres_target: Target) -> None:
    base = WRITE_ENDPOINTS[(method, path)](postgres_target)

    with httpx.Client(base_url=postgres_target.base_url, headers=postgres_target.auth, timeout=30) as client:
        url = _url(client, postgres_target, path)

        @settings(max_examples=25, deadline=None, suppress_health_check=SUPPRESSED, database=None)
        @given(payload=st.one_of(json_values, _mutated(base)), raw_utf8=st.booleans())
        def run(payload: Any, raw_utf8: bool) -> None:
            body = _encode(payload, raw_utf8)
            r = client.request(method, url, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code < 500, f"{method} {url} {body[:300]!r} -> {r.status_code} {r.text}"
            if r.status_code >= 400:
                assert set(r.json()) == {"error"}, r.text
            assert not postgres_target.errors.records, postgres_target.errors.report()

        run()


# --- every body field, one at a time, set to values stores choke on --------------------------------

NASTY_FIELD_VALUES: list[Any] = [
    None,
    "\x00",
    "\ud800",
    float("nan"),
    float("-inf"),
    10**100,
    -(2**63) - 1,
    "0001-01-01T00:00:00+01:00",  # year 0 once in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 once in UTC
    "0001-01-01",
    [{}],
    {"\x00": "\x00"},
]


def _body_fields(method: str, path: str) -> list[str]:
    """Top-level property names of the operation's request body, from the published schema."""
    body = SPEC["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return []
    # The one content type each operation takes: JSON, or multipart/form-data for the file uploads.
    (content,) = body["content"].values()
    root = content["schema"]
    names: list[str] = []
    for option in [root, *root.get("anyOf", [])]:
        if "$ref" in option:
            component = SPEC["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
            names += list(component.get("properties", {}))
    return names


def _field_paths(base: dict[str, Any], fields: list[str]) -> list[tuple[str | int, ...]]:
    """Every body field, and one level into the objects and first list items the valid body holds."""
    paths: list[tuple[str | int, ...]] = [(name,) for name in dict.fromkeys([*fields, *base])]
    for name, value in base.items():
        if isinstance(value, dict):
            paths += [(name, key) for key in value]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            paths += [(name, 0, key) for key in value[0]]
    return paths


def _replace(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict) and isinstance(head, str):
        return {**body, head: _replace(body.get(head), rest, value)}
    assert isinstance(body, list)
    assert isinstance(head, int)
    return [_replace(body[head], rest, value), *body[head + 1 :]]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize(("method", "path"), list(WRITE_ENDPOINTS), ids=lambda v: str(v))
def test_every_body_field_survives_nasty_values(
    method: str, path: str, backend: str, request: pytest.FixtureRequest
) -> None:
    target: Target = request.getfixturevalue(f"{backend}_target")
    make_base = WRITE_ENDPOINTS[(method, path)]
    field_paths = _field_paths(make_base(target), _body_fields(method, path))
    assert field_paths or (
        method == "POST"
        and path.endswith(
            (
                "/cancel",
                "/invitation",
                "/rerun",
                "/approve",
                "/reject",
                "/rotate-secret",
                "/test",
                "/redeliver",
                "/logout",
            )
        )
    )  # no body
    with httpx.Client(base_url=target.base_url, headers=target.auth, timeout=30) as client:
        url = _url(client, target, path)
        for field_path in field_paths:
            for value in NASTY_FIELD_VALUES:
                body = json.dumps(_replace(make_base(target), field_path, value)).encode()
                r = client.request(method, url, content=body, headers={"Content-Type": "application/json"})
                assert r.status_code < 500, f"{method} {url} {body[:300]!r} -> {r.status_code} {r.text}"
                assert not target.errors.records, target.errors.report()
