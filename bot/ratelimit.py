"""Pacing: a token bucket for outgoing calls that a platform's 429 answers can pause, and an
allowance per client for requests coming in.

Rate limits are about real seconds on the network, so these use the monotonic clock, not
the application's movable clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict


class TokenBucket:
    """At most ``rate`` calls a second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Stop every call for ``seconds`` (a platform said: retry after)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._tokens = 0.0

    async def acquire(self) -> None:
        """Wait for a token."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    self._stamp = time.monotonic()
                    continue
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


class KeyedAllowance:
    """At most ``per_minute`` requests a minute for each key (a client's address), bursts of
    up to ``burst``; answered at once, never waited for. At most ``keys`` keys are tracked,
    the least recently seen forgotten first, so the memory itself stays bounded."""

    def __init__(self, per_minute: float, burst: float, *, keys: int = 10_000) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.burst = max(burst, 1.0)
        self.keys = keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take one request for ``key``: 0 when allowed, else the seconds until it would be."""
        now = time.monotonic()
        tokens, stamp = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.keys:
            self._buckets.popitem(last=False)
        return wait
