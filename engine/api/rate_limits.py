"""Request rate limits, kept with the maintained `limits` library (moving windows, in this process's
memory; with several engines behind a balancer each counts its own requests).

Today: sign-ups through a template's public link, per client address (`IE_RATE__PUBLIC_PER_ADDRESS`)
and per link (`IE_RATE__PUBLIC_PER_LINK`), so a script cannot create sessions without end. A refusal
is a 429 with `Retry-After` and the `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset`
headers. (Per-API-key and sign-in limits are the API issue's.)
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from engine.errors import TooManyRequests

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, public_per_address: str, public_per_link: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_address = parse(public_per_address)
        self._per_link = parse(public_per_link)

    async def public_sign_up(self, token: str, address: str) -> None:
        """Counts one sign-up through the link `token` from `address`; TooManyRequests past a limit."""
        checks: tuple[tuple[RateLimitItem, tuple[str, ...], str], ...] = (
            (self._per_address, ("public", token, address), "from your address"),
            (self._per_link, ("public", token), "through this link"),
        )
        for item, keys, where in checks:
            if not await self._limiter.hit(item, *keys):
                stats = await self._limiter.get_window_stats(item, *keys)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                raise TooManyRequests(
                    f"too many interviews were started {where} just now; try again in {retry} s",
                    retry,
                    limit=item.amount,
                )
