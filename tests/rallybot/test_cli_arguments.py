"""The command line's own mistakes, each named: an export without the id it needs (or given
one it does not take), and an organization slug that does not exist, answered with the
slugs that do."""

from __future__ import annotations

from pathlib import Path

import pytest

from rallybot.cli import main

TWO_ORGS = """\
[[orgs]]
slug = "il-library-workers"

[[orgs]]
slug = "wi-library-workers"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any database the command line would open is made in the test's own folder."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["export", "signers"],
            "rallybot: --alert: export signers needs --alert ID, the alert's number "
            "(e.g. rallybot export signers --alert 7)",
        ),
        (
            ["export", "rsvps"],
            "rallybot: --event: export rsvps needs --event ID, the event's number "
            "(e.g. rallybot export rsvps --event 7)",
        ),
        (
            ["export", "layoffs", "--alert", "3"],
            "rallybot: --alert: is for export signers only, not export layoffs",
        ),
        (
            ["export", "signers", "--alert", "3", "--event", "4"],
            "rallybot: --event: is for export rsvps only, not export signers",
        ),
    ],
)
def test_an_export_names_the_option_it_lacks_or_does_not_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message and captured.out == ""
    assert not (tmp_path / "rallybot.db").exists()  # refused before any database is opened


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "layoffs", "--org", "nowhere"],
        ["import", "optouts", "rows.csv", "--org", "nowhere"],
        ["roles", "list", "--org", "nowhere"],
        ["console", "--org", "nowhere"],
    ],
)
def test_an_unknown_org_lists_the_slugs_there_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(TWO_ORGS, encoding="utf-8")
    (tmp_path / "rows.csv").write_text("slack,U024BE7LH\n", encoding="utf-8")
    assert main([*argv, "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "no organization with slug 'nowhere'" in err
    assert "(the organizations: il-library-workers, wi-library-workers)" in err


def test_an_unknown_org_in_the_demo_names_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--org", "nowhere"]) == 2
    assert "(the organizations: demo)" in capsys.readouterr().err
