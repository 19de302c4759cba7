"""`rallybot demo` as a newcomer runs it: a real process that starts both stand-ins and the bot,
plays the scripted cast and ends by itself, showing each platform's messages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_the_demo_shows_alert_tally_rsvps_and_poll_on_both_platforms(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rallybot", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
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
    # nothing left behind where it ran
    assert list(tmp_path.iterdir()) == []
