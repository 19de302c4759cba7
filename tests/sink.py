"""A local message sink standing in for a chat platform's "post a message" call.

An aiohttp server on 127.0.0.1 (port 0) that accepts ``POST /send`` with a JSON message,
enforces a rate limit (429 with ``Retry-After`` past ``rate`` calls a second), can inject
faults on a share of calls (5xx answers, and no answer until the client gives up) and
records every delivery by its idempotency key. With ``dedupe`` it honours the key as
Discord honours a nonce: a second delivery of a key is answered as sent and not recorded
again (but counted as a resend).

``SinkSender`` is the delivery engine's sender for it. Tests run the sink in process;
benchmarks run it as a separate process (``python -m tests.sink``) so it does not compete
with the engine for the interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.delivery import Outgoing, SendResult
from bot.ratelimit import Pace
from standins.server import LocalServer, until_stdin_closes


@dataclass
class SinkFaults:
    """Shares of calls answered with a fault instead of being taken."""

    server_error: float = 0.0
    #: calls left unanswered until the client hangs up (at most ``hang_seconds``)
    hang: float = 0.0
    hang_seconds: float = 30.0


@dataclass
class Sink:
    """The server and what it received."""

    rate: float = 500.0
    burst: float = 1.0
    retry_after: float = 0.05
    dedupe: bool = False
    faults: SinkFaults = field(default_factory=SinkFaults)
    seed: int = 7
    received: Counter[str] = field(default_factory=Counter)
    resends: int = 0
    limited: int = 0
    faulted: int = 0
    order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._random = random.Random(self.seed)
        self._server: LocalServer | None = None
        self.url = ""

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = str(body.get("key", ""))
        if not key or len(json.dumps(body)) > 40_000:
            return web.json_response({"ok": False, "error": "invalid_message"}, status=400)
        if not self._take_token():
            self.limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": f"{self.retry_after:.3f}"},
            )
        roll = self._random.random()
        if roll < self.faults.server_error:
            self.faulted += 1
            return web.json_response({"ok": False, "error": "internal_error"}, status=503)
        if roll < self.faults.server_error + self.faults.hang:
            self.faulted += 1
            await self._hang(request)
            return web.json_response({"ok": False, "error": "too_late"}, status=504)
        if self.received[key] and self.dedupe:
            self.resends += 1
            return web.json_response({"ok": True, "ref": key, "duplicate": True})
        if self.received[key]:
            self.resends += 1
        self.received[key] += 1
        self.order.append(key)
        return web.json_response(
            {"ok": True, "ref": f"m{len(self.order)}"}, headers=self._limit_headers()
        )

    async def _hang(self, request: web.Request) -> None:
        """Answer nothing until the client gives up and closes the connection."""
        deadline = time.monotonic() + self.faults.hang_seconds
        while time.monotonic() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            await asyncio.sleep(0.02)

    def _limit_headers(self) -> dict[str, str]:
        """Discord-style hints: calls left in the bucket and seconds until one more."""
        whole = int(self._tokens)
        reset = 0.0 if whole >= 1 else (1.0 - self._tokens) / self.rate
        return {"X-RateLimit-Remaining": str(whole), "X-RateLimit-Reset-After": f"{reset:.4f}"}

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "delivered": sum(self.received.values()),
                "unique": len(self.received),
                "resends": self.resends,
                "limited": self.limited,
                "faulted": self.faulted,
                "duplicated": sum(1 for n in self.received.values() if n > 1),
            }
        )

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; return the base URL."""
        app = web.Application()
        app.router.add_post("/send", self._send)
        app.router.add_get("/stats", self._stats)
        self._server = LocalServer(app)
        self.url = await self._server.start()
        return self.url

    async def stop(self) -> None:
        """Close the server."""
        if self._server is not None:
            await self._server.stop()


class SinkSender:
    """Sends outbox messages to a sink over HTTP, reading its 429s and failures.

    ``timeout`` bounds each call. A call the sink answered but whose answer came later than
    that is taken for a failure and sent again, so it must leave room for a loaded machine:
    answers on one took up to 0.65 s, the default allows 3 s.
    """

    def __init__(
        self,
        url: str,
        *,
        platform: str = "sink",
        rate: float = 500.0,
        burst: float = 1.0,
        concurrency: int = 32,
        timeout: float = 3.0,
    ) -> None:
        self.url = url.rstrip("/") + "/send"
        self.platform = platform
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
        self.pace = Pace()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: Outgoing) -> SendResult:
        """POST the message; map the answer onto the engine's outcomes."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = {"key": message.key, "target": message.target, "text": message.reply.text}
        try:
            async with self._session.post(self.url, json=body) as response:
                data = await response.json()
                if response.status == 429:
                    return SendResult.limited(float(response.headers.get("Retry-After", "1")))
                if response.status >= 500:
                    return SendResult.retry(f"HTTP {response.status}")
                if response.status >= 400:
                    return SendResult.fail(str(data.get("error")))
                remaining = response.headers.get("X-RateLimit-Remaining")
                pause = None
                if remaining == "0":  # the bucket is empty: wait for it rather than hit a 429
                    pause = float(response.headers.get("X-RateLimit-Reset-After", "0")) or None
                return SendResult.sent(str(data.get("ref")), pause=pause)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return SendResult.retry(type(exc).__name__)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()


async def _serve(args: argparse.Namespace) -> None:
    sink = Sink(rate=args.rate, burst=args.burst, retry_after=args.retry_after, dedupe=args.dedupe)
    url = await sink.start()
    print(url, flush=True)
    await until_stdin_closes()
    await sink.stop()


def main() -> None:
    """Serve a sink until standard input closes; print its URL first."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--burst", type=float, default=1.0)
    parser.add_argument("--retry-after", type=float, default=0.05)
    parser.add_argument("--dedupe", action="store_true")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
