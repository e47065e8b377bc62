"""Review pages benchmark: how long the API calls behind the recruiter pages take as a company grows.

Seeds one company with N participants, one session each (a quarter of them test sessions, which
complete at once with a full generated scorecard), and a recruiter. Then, signed in with the recruiter's
cookie as the pages are, it times the calls the pages make: signing in (scrypt), the sessions list's
first page plain, filtered by status, and searched by a rare and by a common substring, and a completed
session with its scorecard. The engine runs in this process (create_app, SQLite by default, or
--database-url), over httpx's ASGI transport, so the numbers are the engine's own, without a network.

    .venv/bin/python -m bench.review_latency --participants 1000,5000 --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.report import machine, pct, write_section
from config.settings import AsrSettings, Settings
from engine.app import create_app
from engine.auth import issue_api_key
from tests.helpers import participant_body, profile_body

SECTION = "## Review pages: the API calls behind them"
PASSWORD = "a long benchmark passphrase"  # noqa: S105 (a throw-away account in a temp dir)
BULK = 500


async def seed(client: httpx.AsyncClient, participants: int) -> tuple[str, str]:
    """N participants with a session each; returns (a completed session id, the rarest name)."""
    profile = await client.post("/v1/agent-profiles", json=profile_body(focus="generic"))
    profile_id = profile.json()["id"]
    rows = [
        participant_body(
            name=f"Candidate {i:06d}", email=f"candidate{i:06d}@example.com", external_id=f"ats-{i}"
        )
        for i in range(participants)
    ]
    ids: list[str] = []
    for start in range(0, participants, BULK):
        made = await client.post("/v1/participants/bulk", json={"participants": rows[start : start + BULK]})
        made.raise_for_status()
        ids += [r["id"] for r in made.json()["results"]]
    completed = ""
    for index, person in enumerate(ids):
        body = {"participant_id": person, "agent_profile_id": profile_id, "is_test": index % 4 == 0}
        booked = await client.post("/v1/sessions", json=body)
        booked.raise_for_status()
        if index % 4 == 0:
            completed = booked.json()["id"]
    return completed, f"Candidate {participants // 2:06d}"


async def timed(call: Callable[[], Awaitable[httpx.Response]], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = await call()
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(times, 0.5) * 1000, 1),  # type: ignore[operator]
        "p95_ms": round(pct(times, 0.95) * 1000, 1),  # type: ignore[operator]
    }


async def run(participants: int, args: argparse.Namespace) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="ie-bench-review-"))
    settings = Settings(
        data_dir=data, database_url=args.database_url, asr=AsrSettings(preload=False), log_level="WARNING"
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services = app.state.services
        async with services.database.transaction() as db:
            key = (await issue_api_key(db, f"bench-{participants}", services.clock)).secret_key
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as admin,
            httpx.AsyncClient(transport=transport, base_url="https://bench") as page,
        ):
            started = time.perf_counter()
            completed, rare = await seed(admin, participants)
            seeded_s = time.perf_counter() - started
            email = f"recruiter{participants}@example.com"
            made = await admin.post(
                "/v1/recruiters", json={"email": email, "name": "R", "password": PASSWORD}
            )
            made.raise_for_status()
            login = {"email": email, "password": PASSWORD}
            calls: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
                "sign in": lambda: page.post("/v1/auth/login", json=login),
                "list, first 50": lambda: page.get("/v1/sessions", params={"limit": 50}),
                "list, completed": lambda: page.get(
                    "/v1/sessions", params={"limit": 50, "status": "completed"}
                ),
                "search, 1 match": lambda: page.get("/v1/sessions", params={"limit": 50, "q": rare}),
                "search, every row": lambda: page.get("/v1/sessions", params={"limit": 50, "q": "candidate"}),
                "session with scorecard": lambda: page.get(f"/v1/sessions/{completed}"),
            }
            await calls["sign in"]()  # the cookie for the rest
            results = {name: summary(await timed(call, args.repeats)) for name, call in calls.items()}
    return {"participants": participants, "seed_s": round(seeded_s, 1), "calls": results}


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    names = list(results[0]["calls"])
    header = "| call | " + " | ".join(f"{r['participants']} sessions" for r in results) + " |"
    rows = [header, "|---|" + "---|" * len(results)]
    for name in names:
        cells = " | ".join(f"{r['calls'][name]['p50_ms']} / {r['calls'][name]['p95_ms']}" for r in results)
        rows.append(f"| {name} | {cells} |")
    store = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    return "\n".join(
        [
            SECTION,
            "",
            f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')} with `python -m bench.review_latency` "
            f"(one company; one session per participant, a quarter of them completed with a scorecard; the "
            f"engine in-process on {store}, called over httpx's ASGI transport with the recruiter's sign-in "
            f"cookie; {args.repeats} calls each). p50 / p95 in ms.",
            "",
            *rows,
            "",
            "Signing in is scrypt (n=2^15, r=8): about 100 ms of one core by design, run in a worker thread. "
            "Search is a substring match (`LIKE '%text%'`) over the company's participants, so it reads all of "
            "them; the list pages by (created_at, id) and reads only a page.",
            "",
        ]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", default="1000,5000", help="comma-separated company sizes")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", type=Path, default=Path("bench/results/review_latency.json"))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    results = []
    for size in [int(s) for s in args.participants.split(",") if s.strip()]:
        result = await run(size, args)
        print(json.dumps(result), flush=True)
        results.append(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    if args.markdown:
        write_section(args.markdown, markdown(results, args))
    print(markdown(results, args))


if __name__ == "__main__":
    asyncio.run(main())
