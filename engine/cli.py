"""The `interview-engine` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from config.api_keys import ApiKey
from config.recruiters import RecruiterCreate
from config.settings import Settings
from engine import cli_partner_keys
from engine.auth import ALL_SCOPES
from engine.bootstrap import create_key, create_recruiter, first_run_key, list_keys, revoke_key
from engine.clock import SystemClock
from engine.errors import ApiError, ValidationFailed
from engine.observability.logs import configure_logging
from engine.process_memory import limit_malloc_arenas

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-engine", description="Real-time AI voice interview engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--data-dir", type=Path, help="data directory (default ./data)")

    worker = sub.add_parser(
        "worker",
        help="run the background workers (analysis, webhooks, emails) without the HTTP server; "
        "any number may run against one PostgreSQL database",
    )
    worker.add_argument("--data-dir", type=Path, help="data directory (default ./data)")

    keys = sub.add_parser("api-key", help="manage API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create an API key and print it once")
    create.add_argument("--company", required=True, help="company (tenant) name; created if new")
    create.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        metavar="SCOPE",
        help=f"repeatable; default all scopes ({', '.join(ALL_SCOPES[:3])}, ...)",
    )
    create.add_argument("--name", default="cli", help="label for the key")
    create.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    listing = keys.add_parser("list", help="list a company's API keys (never their secrets)")
    listing.add_argument("--company", required=True, help="company (tenant) name")
    listing.add_argument("--json", action="store_true", help="print JSON, as GET /v1/api-keys shows keys")
    listing.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    revoke = keys.add_parser("revoke", help="revoke an API key: refused from now on, kept in the list")
    revoke.add_argument("--company", required=True, help="company (tenant) name")
    revoke.add_argument(
        "key_id", metavar="KEY_ID", help="the key's id (as `list` shows it), or its ie_<id>_ prefix"
    )
    revoke.add_argument("--data-dir", type=Path, help="data directory (default ./data)")

    cli_partner_keys.add_parser(sub)

    people = sub.add_parser("recruiter", help="manage recruiter accounts (review pages sign-in)")
    add = people.add_subparsers(dest="action", required=True).add_parser(
        "create", help="create a recruiter; the password is read from the terminal or, piped, from stdin"
    )
    add.add_argument("--company", required=True, help="company (tenant) name; created if new")
    add.add_argument("--email", required=True, help="sign-in email")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument(
        "--scope", action="append", dest="scopes", metavar="SCOPE", help="repeatable; default: review"
    )
    add.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k in ("host", "port", "data_dir") if (v := getattr(args, k, None)) is not None}
    return Settings(**overrides)


def _serve(settings: Settings) -> None:
    import uvicorn

    from engine import serving
    from engine.app import create_app

    issued = asyncio.run(first_run_key(settings, SystemClock()))
    if issued is not None:
        # Printed to the console once, never logged: this is the only copy of the key.
        print("First run: created company 'default' and an admin API key (shown only now):")
        print(f"  {issued.secret_key}")
        print("Try it:")
        print(f"  curl -H 'Authorization: Bearer {issued.secret_key}' {settings.base_url}/v1/agent-profiles")
        print(
            f"Review interviews at {settings.base_url}/review: sign in with this key, or create a recruiter"
        )
        print("  with `interview-engine recruiter create --company default --email ... --name ...`.")
        # Flushed now: under Docker or systemd stdout is a pipe, block-buffered, and the key would
        # otherwise sit in the buffer until the server exits.
        sys.stdout.flush()
    # access_log off: uvicorn would log join tokens in paths; engine.api.access_log logs them redacted.
    # In JSON, uvicorn's own lines go through the root logger's JSON handler too (log_config=None: it
    # installs no handlers of its own); in text, its familiar console format stays.
    # engine.serving: uvicorn, but the first SIGTERM drains the live interviews before it stops, and the
    # process then exits 0 (plain uvicorn.run re-raises the signal: 143).
    serving.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        access_log=False,
    )


def _read_password() -> str:
    """Never from an argument: those show up in `ps` and shell history."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password (12 characters or more): ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _create_recruiter(settings: Settings, args: argparse.Namespace) -> int:
    try:
        body = RecruiterCreate(
            email=args.email, name=args.name, password=_read_password(), scopes=args.scopes
        )
        recruiter_id = asyncio.run(create_recruiter(settings, args.company, body, SystemClock()))
    except (ValueError, ApiError) as exc:  # pydantic's ValidationError is a ValueError
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(
        f"recruiter {body.email} ({recruiter_id}) of company {args.company}: sign in at {settings.base_url}/review"
    )
    return 0


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _key_lines(keys: list[ApiKey]) -> list[str]:
    """A table: one key a line, times in UTC to the minute, "all" for a key holding every scope."""
    rows = [("ID", "NAME", "CREATED", "LAST USED", "REVOKED", "SCOPES")]
    for key in keys:
        scopes = "all" if set(key.scopes) >= set(ALL_SCOPES) else " ".join(key.scopes)
        rows.append(
            (key.id, key.name, _when(key.created_at), _when(key.last_used_at), _when(key.revoked_at), scopes)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[5]]) for row in rows
    ]


def _list_keys(settings: Settings, args: argparse.Namespace) -> int:
    try:
        keys = asyncio.run(list_keys(settings, args.company))
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([key.model_dump(mode="json") for key in keys], indent=2))
    else:
        print("\n".join(_key_lines(keys)))
    return 0


def _revoke_key(settings: Settings, args: argparse.Namespace) -> int:
    found = re.fullmatch(r"(?:ie_)?([0-9a-f]{16})_?", args.key_id.strip())
    if found is None:
        print(f"error: {args.key_id!r} is not an API key id (16 hex characters)", file=sys.stderr)
        return 2
    try:
        key = asyncio.run(revoke_key(settings, args.company, found.group(1), SystemClock()))
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"API key {key.id} ({key.name}) of company {args.company}: revoked at {_when(key.revoked_at)} UTC")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("serve", "worker"):
        # Before any thread starts (engine.process_memory: RSS stays flat over hours of sessions).
        limit_malloc_arenas()
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "serve":
        _serve(settings)
        return 0
    if args.command == "worker":
        from engine.workers import run_workers

        asyncio.run(run_workers(settings))
        return 0
    if args.command == "recruiter":
        return _create_recruiter(settings, args)
    if args.command == "partner-key":
        return cli_partner_keys.run(settings, args)
    if args.action == "list":
        return _list_keys(settings, args)
    if args.action == "revoke":
        return _revoke_key(settings, args)
    try:
        issued = asyncio.run(create_key(settings, args.company, args.scopes, SystemClock(), args.name))
    except ValidationFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(issued.secret_key)
    print(f"company {args.company} ({issued.company_id}); scopes: {' '.join(issued.scopes)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
