"""Serve the Discord stand-in as its own process (for benchmarks): ``python -m
standins.discord [--token T] [--global-rate N] [--guild ID ...]`` prints its API base URL,
serves until standard input closes, then prints its counts as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from standins.discord import DiscordStandIn, Guild
from standins.server import until_stdin_closes


async def _serve(args: argparse.Namespace) -> None:
    guilds = [Guild(g, channels=[str(int(g) + 1)]) for g in args.guild]
    standin = DiscordStandIn(guilds, token=args.token, global_rate=args.global_rate)
    await standin.start()
    print(standin.api_url, flush=True)
    await until_stdin_closes()
    print(json.dumps(standin.stats()), flush=True)
    await standin.stop()


def main() -> None:
    """Serve a stand-in until standard input closes; print its API base URL first."""
    parser = argparse.ArgumentParser(description="A local stand-in for Discord.")
    parser.add_argument("--token", default="standin-bot-token")
    parser.add_argument("--global-rate", type=float, default=50.0)
    parser.add_argument("--guild", action="append", default=[])
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
