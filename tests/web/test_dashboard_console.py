"""`/dashboard` at `rallybot console --web PORT`, the real command in a process of its own: the
console is a conversation with oneself, so the login link is printed, and it signs in once;
the session lasts until the console gives the person another role (the dashboard asks the
console); without --web the console says how to turn the dashboard on."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import aiohttp

from tests.support import ROOT, run_rallybot
from tests.web.test_web_server import free_port


async def test_the_console_prints_a_login_link_that_works_once(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    console = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rallybot", "console", "--web", str(port),
        cwd=tmp_path, env=env, stdin=PIPE, stdout=PIPE, stderr=PIPE,
    )  # fmt: skip
    assert console.stdin is not None and console.stdout is not None

    async def said(line: str, until: str) -> str:
        assert console.stdin is not None and console.stdout is not None
        console.stdin.write(line.encode() + b"\n")
        await console.stdin.drain()
        while True:
            out = (await asyncio.wait_for(console.stdout.readline(), 60)).decode()
            assert out, "the console ended"
            if until in out:
                return out

    try:
        await said("/dashboard", "needs the organizer role")
        await said("!as olu organizer", "You are now olu")
        answer = await said("/dashboard", "dashboard/login/")
        found = re.search(rf"(http://localhost:{port}|http://127\.0\.0\.1:{port})(\S+)", answer)
        assert found, answer
        link = f"http://127.0.0.1:{port}{found.group(2)}"
        async with aiohttp.ClientSession() as session:
            async with session.get(link) as shown:
                assert shown.status == 200 and "Sign in" in await shown.text()
            async with session.post(link, allow_redirects=False) as signed:
                assert (
                    signed.status == 303 and "rallybot_dashboard=" in signed.headers["Set-Cookie"]
                )
                cookie = {
                    "Cookie": f"rallybot_dashboard={signed.cookies['rallybot_dashboard'].value}"
                }
            async with session.post(link, allow_redirects=False) as again:
                assert again.status == 410
            home = f"http://127.0.0.1:{port}/dashboard"
            async with session.get(home, headers=cookie) as shown:
                assert shown.status == 200
            # the console gives olu another role: the dashboard asks the console, so once the
            # minute its answer is remembered has passed, the session is refused
            await said("!as olu member", "You are now olu")
            await said("!wait 2m", "clock moved forward")
            async with session.get(home, headers=cookie) as refused:
                assert refused.status == 403
        console.stdin.write(b"!quit\n")
        await console.stdin.drain()
        assert await asyncio.wait_for(console.wait(), 60) == 0
    finally:
        if console.returncode is None:
            console.kill()
            await console.wait()


def test_without_web_the_console_says_how_to_turn_the_dashboard_on(tmp_path: Path) -> None:
    done = run_rallybot(["console"], tmp_path, "!as olu organizer\n/dashboard\n!quit\n")
    assert done.returncode == 0, done.stderr
    assert "start the console with --web 8080" in done.stdout
