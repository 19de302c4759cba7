"""The systemd units in deploy/: they pass `systemd-analyze verify` without a warning (with
ExecStart pointed at a program that exists here, as verify requires), and the service keeps
its hardening."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("rallybot.service", "rallybot-backup.service", "rallybot-backup.timer")
INSTALLED = "/opt/rallybot/.venv/bin/rallybot"


def _directives(unit: str) -> set[str]:
    lines = (DEPLOY / unit).read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed here (Debian and Ubuntu: apt install systemd)",
)
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED, sys.executable), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 on an unknown key or a value it cannot parse, but says so
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_service_runs_as_its_own_user_and_writes_only_its_data_folder() -> None:
    service = _directives("rallybot.service")
    assert {
        "User=rallybot",
        "Restart=on-failure",
        "EnvironmentFile=/etc/rallybot/rallybot.env",
        f"ExecStart={INSTALLED} run --config /etc/rallybot/config.toml",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/rallybot",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "CapabilityBoundingSet=",
        "UMask=0077",
    } <= service
    backup = _directives("rallybot-backup.service")
    assert {"Type=oneshot", "User=rallybot", "ProtectSystem=strict", "UMask=0077"} <= backup
    assert any(f"exec {INSTALLED} backup --config" in line for line in backup)
    assert {"Unit=rallybot-backup.service", "Persistent=true"} <= _directives(
        "rallybot-backup.timer"
    )
