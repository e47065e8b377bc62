"""Test utilities: a ticking clock, API clients per company, and request bodies that pass validation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from engine.api.context import Services
from engine.auth import issue_api_key

__all__ = ["ApiClients", "StepClock", "participant_body", "profile_body", "template_body"]


class StepClock:
    """Moves forward 1 ms on every reading, so rows created one after another never share a timestamp."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class ApiClients:
    """Creates API keys through the engine's own key issuing, and httpx clients that send them in-process."""

    def __init__(self, app: FastAPI, clock: StepClock) -> None:
        self.app = app
        self.clock = clock
        self._clients: list[httpx.AsyncClient] = []

    async def key(self, company: str, scopes: Sequence[str] | None = None) -> str:
        services: Services = self.app.state.services
        async with services.database.transaction() as session:
            issued = await issue_api_key(session, company, self.clock, scopes=scopes)
        return issued.secret_key

    async def client(self, company: str = "acme", scopes: Sequence[str] | None = None) -> httpx.AsyncClient:
        key = await self.key(company, scopes)
        return self.raw_client({"Authorization": f"Bearer {key}"})

    def raw_client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver", headers=headers or {}
        )
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


def profile_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Senior Engineering Interviewer",
        "intro": "Alex, a senior engineer at Acme.",
        "rubric": [
            {"name": "System Design", "description": "Designs for scale", "weight": 50},
            {"name": "Communication", "description": "Explains clearly", "weight": 30},
            {"name": "Ownership", "description": "Owns outcomes", "weight": 20},
        ],
    }
    body.update(overrides)
    return body


def template_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Senior Backend Engineer",
        "preset": "hiring",
        "objective": "Assess whether the candidate can own backend system design.",
        "skills": ["Go", "PostgreSQL", "Distributed Systems"],
        "traits": ["Communication", "Ownership"],
    }
    body.update(overrides)
    return body


def participant_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Jane Smith",
        "email": "jane@example.com",
        "external_id": "greenhouse-8821",
        "profile": {"title": "Software Engineer", "experienceLevel": "senior"},
        "tags": ["senior", "backend"],
    }
    body.update(overrides)
    return body
