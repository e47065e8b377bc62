"""Request rate limits, kept with the maintained `limits` library (moving windows, in this process's
memory; with several engines behind a balancer each counts its own requests).

* sign-ups through a template's public link, per client address (`IE_RATE__PUBLIC_PER_ADDRESS`) and
  per link (`IE_RATE__PUBLIC_PER_LINK`), so a script cannot create sessions without end; with email
  verification on, the same limits count the sign-ups that send an email, and the confirmation links
  opened count per address too (each may book a session);
* every authenticated API call, per API key or per dashboard sign-in (`IE_RATE__PER_CALLER`), so one
  runaway integration cannot starve the others;
* sign-in attempts, per client address (`IE_RATE__SIGN_IN_PER_ADDRESS`), on top of the account
  lock-out after repeated wrong passwords (which guards one account, not a sweep over many).

A refusal is a 429 with `Retry-After` and the `RateLimit-Limit` / `RateLimit-Remaining` /
`RateLimit-Reset` headers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from config.settings import RateSettings
from engine.errors import TooManyRequests

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, rates: RateSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_address = parse(rates.public_per_address)
        self._per_link = parse(rates.public_per_link)
        self._per_caller = parse(rates.per_caller)
        self._sign_in = parse(rates.sign_in_per_address)

    async def caller(self, caller: str) -> None:
        """Counts one API call by `caller` (an API key's id, or a sign-in's); TooManyRequests past it."""
        await self._hit(self._per_caller, ("caller", caller), "too many requests with this credential")

    async def sign_in(self, address: str) -> None:
        """Counts one sign-in attempt from `address`; TooManyRequests past the limit."""
        await self._hit(self._sign_in, ("sign-in", address), "too many sign-in attempts from your address")

    async def _hit(self, item: RateLimitItem, keys: tuple[str, ...], what: str) -> None:
        if not await self._limiter.hit(item, *keys):
            stats = await self._limiter.get_window_stats(item, *keys)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(f"{what}; try again in {retry} s", retry, limit=item.amount)

    async def public_verification(self, address: str) -> None:
        """Counts one opening of a public-link sign-up's confirmation link from `address` (it may book a
        session), under the sign-up limit per address; TooManyRequests past it."""
        await self._hit(
            self._per_address,
            ("public-verify", address),
            "too many confirmation links opened from your address",
        )

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
