"""`rallybot demo` as a newcomer runs it: a real process that starts both stand-ins and the bot,
plays the scripted cast and ends by itself, showing each platform's messages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def test_the_demo_shows_alert_tally_rsvps_and_poll_on_both_platforms(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rallybot", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's code, not an installed one
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.rstrip().endswith("rallybot demo: done")
    # the alert in both alert channels, and by DM on each platform
    for where in ("[slack #alerts]", "[discord #alerts]", "[slack DM ana]", "[discord DM bea]"):
        assert f"{where} " in out and "Save the Elm St branch" in out.split(f"{where} ", 1)[1]
    # the linked member signs once; one tally, edited on both
    assert "You already signed alert 1" in out
    assert "[slack #alerts, edited] 2 signed · 2 acted" in out
    assert "[discord #alerts, edited] 2 signed · 2 acted" in out
    # the RSVPs, counted once across platforms
    assert re.search(r"going: 2\s+maybe: 1", out), out
    # the poll's results posted on both platforms, alike
    for platform in ("slack", "discord"):
        posted = re.search(rf"\[{platform} #alerts\] \*?Results of poll 1(.*?)\n\S", out, re.S)
        assert posted, f"no results on {platform}"
        assert "Pay equity wins with 3 of 4 ballots." in posted.group(1)
        assert re.search(r"Staffing\s+1\s+25%", posted.group(1))
    # a long reply is printed whole, on its line; every line of a message starts under its first
    assert re.search(
        r"\[slack reply to dev\] Your link code is \S+\. Within 10 minutes, on your other "
        r"platform, type /link code:\S+ — it works once\. Give it to no one else: whoever enters "
        r"it and confirms joins their account to yours\.\n",
        out,
    ), out
    assert [line for line in out.splitlines() if line.endswith("…")] == []
    # the results table's columns line up on both platforms, as the console lays them out
    for platform in ("slack", "discord"):
        tag = f"[{platform} #alerts] "
        posted = out.split(tag + "*" if platform == "slack" else tag + "Results of poll 1")[-1]
        lines = posted.splitlines()
        rule = next(i for i, line in enumerate(lines) if line.strip().startswith("-----"))
        table = lines[rule - 1 : rule + 4]
        assert [line.split()[0] for line in table] == [
            "option",
            "-" * 14,
            "Pay",
            "Staffing",
            "Safer",
        ]
        starts = [m.start() for m in re.finditer(r"-+", table[1])]
        assert len(starts) == 3
        for line in table:
            assert line[: starts[0]] == " " * len(tag), line
            for start in starts:
                assert line[start] != " " and line[start - 1] == " ", (line, start)
    # nothing left behind where it ran
    assert list(tmp_path.iterdir()) == []
