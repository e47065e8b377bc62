"""The `interview-engine` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from config.recruiters import RecruiterCreate
from config.settings import Settings
from engine.auth import ALL_SCOPES
from engine.bootstrap import create_key, create_recruiter, first_run_key
from engine.clock import SystemClock
from engine.errors import ApiError, ValidationFailed

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
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        _serve(settings)
        return 0
    if args.command == "recruiter":
        return _create_recruiter(settings, args)
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
