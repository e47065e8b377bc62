"""The participant's resume (`resume_url`): fetched with size and time limits, text extracted, and the
skills it names merged into the participant's background so the plan asks about their own experience.

Reading the file (PDF, DOCX or plain text) is `engine.resumes.extract`, shared with the dashboard's
resume upload; `ResumeError` and `extract_text` are re-exported from there.

The URL comes from an integrator, so the fetch is a server-side request to an address someone else
chose: only http(s), a hard byte cap, a total time limit, no redirects, and by default no private,
loopback or link-local addresses (`IE_MEDIA__RESUME_ALLOW_PRIVATE=true` for intranet deployments).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from engine.resumes.extract import ResumeError, extract_text
from engine.url_guard import GuardedTransport, UnsafeUrl, check_url
from scoring.answers import analyse

__all__ = ["MAX_RESUME_BYTES", "ResumeError", "extract_text", "fetch_resume", "with_resume_skills"]

logger = logging.getLogger(__name__)

MAX_RESUME_BYTES = 5 * 1024 * 1024


async def _check_host(url: str, allow_private: bool) -> None:
    try:
        await check_url(url, allow_private=allow_private)
    except UnsafeUrl as exc:
        raise ResumeError(f"resume_url {exc}") from None


async def fetch_resume(
    url: str,
    *,
    timeout_s: float = 8.0,
    max_bytes: int = MAX_RESUME_BYTES,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """The resume's text. Raises ResumeError for anything that goes wrong."""
    host = urlsplit(url).hostname or "?"
    try:
        async with asyncio.timeout(timeout_s):
            await _check_host(url, allow_private)
            async with (
                httpx.AsyncClient(
                    transport=GuardedTransport(allow_private=allow_private, inner=transport),
                    follow_redirects=False,
                    timeout=timeout_s,
                ) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise ResumeError(f"resume host {host} answered {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise ResumeError(f"resume larger than {max_bytes} bytes")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise ResumeError(f"resume larger than {max_bytes} bytes")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except TimeoutError:
        raise ResumeError(f"resume host {host} took longer than {timeout_s:g} s") from None
    except (httpx.HTTPError, OSError, ValueError) as exc:
        raise ResumeError(f"resume host {host}: {type(exc).__name__}") from None
    # The path's file name helps when the host sends no useful type (application/octet-stream).
    return await asyncio.to_thread(extract_text, bytes(body), content_type, urlsplit(url).path)


def with_resume_skills(participant: Mapping[str, Any], resume_text: str, limit: int = 8) -> dict[str, Any]:
    """The participant with the technologies their resume names added to `background.skills`."""
    found = list(analyse(resume_text, None).technologies)[:limit]
    background = dict(participant.get("background") or {})
    skills = list(background.get("skills") or [])
    known = {str(s).casefold() for s in skills}
    skills += [name for name in found if name.casefold() not in known]
    background["skills"] = skills
    return {**participant, "background": background}
