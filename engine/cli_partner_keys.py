"""`interview-engine partner-key ...`: the operator's commands for integrators' keys, which serve several
companies (engine.services.partner_keys). Companies are named as elsewhere on the command line; the
output gives their ids, which the partner sends as `?company_id=`."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from engine.auth import ensure_company
from engine.clock import Clock, SystemClock
from engine.errors import ApiError, NotFound
from engine.secret_box import settings_box
from engine.services import partner_keys
from engine.store.database import Database
from engine.store.tables import CompanyRow

__all__ = ["add_parser", "run"]

T = TypeVar("T")


def add_parser(sub: Any) -> None:
    """The `partner-key` command and its actions, on the CLI's subparsers."""
    keys = sub.add_parser(
        "partner-key", help="manage partner (integrator) keys, which serve several companies"
    ).add_subparsers(dest="action", required=True)

    def data_dir(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--data-dir", type=Path, help="data directory (default ./data)")

    def key_id(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("key_id", metavar="KEY_ID", help="the key's id (as `list` shows it) or iep_<id>_")

    create = keys.add_parser("create", help="create a partner key and print it once")
    create.add_argument("--name", required=True, help="label: the integrator's name")
    create.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        metavar="SCOPE",
        help="repeatable; default every scope but write:api_keys and write:recruiters (never granted)",
    )
    create.add_argument(
        "--company",
        action="append",
        dest="companies",
        default=[],
        metavar="NAME",
        help="repeatable: a company it may act for (created if new); more with `grant`",
    )
    data_dir(create)
    grant = keys.add_parser("grant", help="let a partner key act for a company (created if new)")
    key_id(grant)
    grant.add_argument("--company", required=True, help="company (tenant) name")
    data_dir(grant)
    ungrant = keys.add_parser(
        "revoke-grant", help="stop a partner key acting for a company, from its next request"
    )
    key_id(ungrant)
    ungrant.add_argument("--company", required=True, help="company (tenant) name")
    data_dir(ungrant)
    listing = keys.add_parser("list", help="list partner keys and their companies (never their secrets)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    data_dir(listing)
    revoke = keys.add_parser("revoke", help="revoke a partner key everywhere: refused from now on")
    key_id(revoke)
    data_dir(revoke)


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            return await work(session)
    finally:
        await database.dispose()


async def _existing(session: AsyncSession, name: str) -> CompanyRow:
    company = (await session.scalars(select(CompanyRow).where(CompanyRow.name == name))).first()
    if company is None:
        raise NotFound(f"no company named {name!r}")
    return company


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _key_id(raw: str) -> str | None:
    found = re.fullmatch(r"(?:iep_)?([0-9a-f]{16})_?", raw.strip())
    return found.group(1) if found else None


def _create(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    async def work(session: AsyncSession) -> tuple[partner_keys.IssuedPartnerKey, list[CompanyRow]]:
        issued = await partner_keys.issue(session, args.name, clock, args.scopes)
        companies = [await ensure_company(session, name, clock) for name in args.companies]
        for company in companies:
            await partner_keys.grant(session, issued.key_id, company, clock)
        return issued, companies

    issued, companies = asyncio.run(_in_transaction(settings, work))
    print(issued.secret_key)
    print(f"partner key {issued.key_id} ({args.name}); scopes: {' '.join(issued.scopes)}", file=sys.stderr)
    for company in companies:
        print(f"  acts for {company.name}: company_id={company.id}", file=sys.stderr)
    return 0


def _grant(settings: Settings, args: argparse.Namespace, key: str, clock: Clock) -> int:
    async def work(session: AsyncSession) -> tuple[CompanyRow, bool]:
        company = await ensure_company(session, args.company, clock)
        return company, await partner_keys.grant(session, key, company, clock)

    company, new = asyncio.run(_in_transaction(settings, work))
    state = "now acts" if new else "already acted"
    print(f"partner key {key} {state} for {company.name}: company_id={company.id}")
    return 0


def _revoke_grant(settings: Settings, args: argparse.Namespace, key: str) -> int:
    async def work(session: AsyncSession) -> bool:
        return await partner_keys.revoke_grant(session, key, await _existing(session, args.company))

    removed = asyncio.run(_in_transaction(settings, work))
    state = "no longer acts" if removed else "did not act"
    print(f"partner key {key} {state} for {args.company}")
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    keys = asyncio.run(_in_transaction(settings, partner_keys.list_all))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": k.row.id,
                        "name": k.row.name,
                        "scopes": list(k.row.scopes),
                        "created_at": k.row.created_at.isoformat(),
                        "last_used_at": k.row.last_used_at and k.row.last_used_at.isoformat(),
                        "revoked_at": k.row.revoked_at and k.row.revoked_at.isoformat(),
                        "companies": [{"id": c.id, "name": c.name} for c in k.companies],
                    }
                    for k in keys
                ],
                indent=2,
            )
        )
        return 0
    for k in keys:
        print(
            f"{k.row.id}  {k.row.name}  created {_when(k.row.created_at)}  last used "
            f"{_when(k.row.last_used_at)}  revoked {_when(k.row.revoked_at)}"
        )
        print(f"  scopes: {' '.join(k.row.scopes)}")
        for company in k.companies:
            print(f"  acts for {company.name}: company_id={company.id}")
    return 0


def _revoke(settings: Settings, key: str, clock: Clock) -> int:
    async def work(session: AsyncSession) -> datetime | None:
        return (await partner_keys.revoke(session, key, clock)).revoked_at

    revoked_at = asyncio.run(_in_transaction(settings, work))
    print(f"partner key {key}: revoked at {_when(revoked_at)} UTC")
    return 0


def run(settings: Settings, args: argparse.Namespace, clock: Clock | None = None) -> int:
    """One `partner-key` action; 2 with a message on stderr for bad input or an unknown key/company."""
    clock = clock or SystemClock()
    try:
        if args.action == "create":
            return _create(settings, args, clock)
        if args.action == "list":
            return _list(settings, args)
        key = _key_id(args.key_id)
        if key is None:
            print(f"error: {args.key_id!r} is not a partner key id (16 hex characters)", file=sys.stderr)
            return 2
        if args.action == "grant":
            return _grant(settings, args, key, clock)
        if args.action == "revoke-grant":
            return _revoke_grant(settings, args, key)
        return _revoke(settings, key, clock)
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
