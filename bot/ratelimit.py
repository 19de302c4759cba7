"""Pacing: a token bucket for outgoing calls that a platform's 429 answers can pause, the
pace of each destination (a channel, a person's direct messages) of a platform, and an
allowance per client for requests coming in.

Rate limits are about real seconds on the network, so these use the monotonic clock, not
the application's movable clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass


class TokenBucket:
    """At most ``rate`` calls a second on average, bursts of up to ``burst``.

    A pause (a platform's 429) also halves the pace until the platform takes it again: the
    pace the bucket was given proved too fast for the platform now, and each 429 may cost a
    whole second (Slack's Retry-After is whole seconds). The pace climbs back to ``rate``
    over ``RECOVERY`` seconds without a pause."""

    #: seconds from the slowest pace back to ``rate``
    RECOVERY = 10.0
    #: the slowest pace, as a share of ``rate``
    SLOWEST = 1 / 16

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(burst, 1.0)
        #: the pace now: ``rate``, or less after a pause
        self.pace = rate
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Stop every call for ``seconds`` (a platform said: retry after), and slow down
        (once for the calls that were under way together)."""
        now = time.monotonic()
        if now >= self._paused_until:
            self.pace = max(self.rate * self.SLOWEST, self.pace / 2)
        self._paused_until = max(self._paused_until, now + seconds)
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
                elapsed = now - self._stamp
                self._tokens = min(self.burst, self._tokens + elapsed * self.pace)
                self.pace = min(self.rate, self.pace + elapsed * self.rate / self.RECOVERY)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.pace)


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


@dataclass(frozen=True)
class Pace:
    """How much one destination of a platform (a channel, or a person's direct messages)
    takes: at most ``inflight`` calls under way at once (posts and edits), and new posts at
    one per ``interval`` seconds on average with bursts of ``burst`` (no pace when 0)."""

    interval: float = 0.0
    burst: int = 1
    inflight: int = 4

    def __post_init__(self) -> None:
        if self.interval < 0 or self.burst < 1 or self.inflight < 1:
            raise ValueError("pace: interval must be at least 0, burst and inflight at least 1")


class DestinationPacer:
    """Keeps each destination within its :class:`Pace`, so that one busy destination never
    holds up the others: the engine asks which destinations can take nothing now (or no new
    post now) and claims around them.

    New posts follow a generic cell rate algorithm: ``_free_at`` is when a destination's
    schedule of posts is next free; a post may begin while that is at most
    ``(burst - 1) * interval`` ahead. A claimed post counts against its destination from
    the claim and takes its turn when it begins."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._free_at: dict[str, float] = {}
        #: calls claimed and not finished, by destination
        self._calls: Counter[str] = Counter()
        #: posts claimed whose turn is not taken yet, by destination
        self._posts: Counter[str] = Counter()

    @property
    def _allowance(self) -> float:
        return (self.pace.burst - 1) * self.pace.interval

    def _turns(self, target: str, now: float) -> float:
        """How many posts the destination may begin now, before the claimed ones."""
        if not self.pace.interval:
            return math.inf
        ahead = max(now, self._free_at.get(target, 0.0)) - now
        if ahead > self._allowance:
            return 0
        return math.floor((self._allowance - ahead) / self.pace.interval) + 1

    def room(self, target: str, *, post: bool) -> bool:
        """Whether the destination may take one more call now (a new post, with ``post``)."""
        if self._calls[target] >= self.pace.inflight:
            return False
        return not post or self._turns(target, time.monotonic()) > self._posts[target]

    def busy(self) -> tuple[list[str], list[str]]:
        """The destinations that may take no call now, and those that may take an edit but
        no new post now."""
        now = time.monotonic()
        self._free_at = {t: at for t, at in self._free_at.items() if at > now}
        full = [t for t, n in self._calls.items() if n >= self.pace.inflight]
        waiting = {t for t in self._free_at if not self._turns(t, now)}
        waiting.update(t for t, n in self._posts.items() if n and self._turns(t, now) <= n)
        return full, sorted(waiting.difference(full))

    def claim(self, target: str, *, post: bool) -> None:
        """Count a claimed call against its destination until :meth:`finish`."""
        self._calls[target] += 1
        if post:
            self._posts[target] += 1

    def turn(self, target: str) -> float:
        """Take a claimed post's turn; how long to wait for it (0 when it is now)."""
        self._posts[target] -= 1
        if not self._posts[target]:
            del self._posts[target]
        if not self.pace.interval:
            return 0.0
        now = time.monotonic()
        free_at = max(now, self._free_at.get(target, 0.0))
        self._free_at[target] = free_at + self.pace.interval
        return max(0.0, free_at - now - self._allowance)

    def finish(self, target: str, *, post: bool = False) -> None:
        """A claimed call ended (``post``: a post that never took its turn)."""
        self._calls[target] -= 1
        if not self._calls[target]:
            del self._calls[target]
        if post:
            self._posts[target] -= 1
            if not self._posts[target]:
                del self._posts[target]

    def next_turn(self) -> float | None:
        """Seconds until the first destination now waiting for a post's turn gets one."""
        if not self.pace.interval:
            return None
        # a destination gets its turn when its schedule is at most the allowance ahead
        turns_from = time.monotonic() + self._allowance
        later = [at for at in self._free_at.values() if at > turns_from]
        return min(later) - turns_from if later else None
