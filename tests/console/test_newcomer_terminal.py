"""The newcomer's walk typed on a terminal: `rallybot console` on a pseudo-terminal, each
command typed without its options, so it opens a form, and every question the form asks
answered as a person would (the optional ones too)."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support import ROOT

YEAR = datetime.now(ZoneInfo("America/New_York")).year + 1
#: the end of what the console prints while it waits for a line: a command or a question
WAITING = re.compile(r"(?:^|\n)([^\n]*(?:> |: ))$")
#: a prompt with a background delivery printed right after it, on the same line
BEFORE_DELIVERY = re.compile(r"(?:^|\n)([^\n\[]*(?:> |: ))\[")
COMMAND_PROMPT = re.compile(r"^[\w.-]+(?:@\w+)?> $")


class Terminal:
    """`rallybot console` on a pseudo-terminal: type lines, read what it prints."""

    def __init__(self, cwd: Path) -> None:
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYBOT_")}
        env["PYTHONPATH"] = str(ROOT)
        env["TERM"] = "dumb"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rallybot", "console", "--files", str(cwd / "files")],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.pending = ""
        self.transcript = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the console has ended
            data = b""
        if not data:
            raise EOFError(self.pending)
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.pending += text
        self.transcript += text
        return True

    def wait(self, within: float = 30.0) -> str:
        """Everything printed until the console waits for a line (output quiet for a moment
        and ending in a prompt); the prompt stays at the end of what is returned. A message
        delivered in the background right after the prompt is moved before it."""
        deadline = time.monotonic() + within
        quiet_since = time.monotonic()
        while True:
            if WAITING.search(self.pending) and not self._read(0.3):
                printed, self.pending = self.pending, ""
                return printed
            if time.monotonic() - quiet_since > 1.5:
                interrupted = list(BEFORE_DELIVERY.finditer(self.pending))
                if interrupted:
                    prompt = interrupted[-1]
                    printed, self.pending = self.pending, ""
                    rest = printed[prompt.end(1) :].rstrip("\n")
                    return printed[: prompt.start(1)] + rest + "\n" + prompt.group(1)
            if time.monotonic() > deadline:
                raise TimeoutError(f"the console did not wait for a line:\n{self.pending}")
            if self._read(0.1):
                quiet_since = time.monotonic()

    def expect(self, text: str, within: float = 30.0) -> None:
        """Read until ``text`` has been printed (a delivery made in the background)."""
        deadline = time.monotonic() + within
        while text not in self.transcript:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} was not printed:\n{self.pending}")
            self._read(0.1)
        while self._read(1.0):  # and the rest of that delivery
            pass
        self.pending = ""

    def type(self, line: str) -> None:
        """Type a line and Enter."""
        os.write(self.master, (line + "\n").encode())

    def close(self) -> None:
        """Leave with !quit and wait for the process to end."""
        if self.process.poll() is None:
            self.type("!quit")
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    t = Terminal(tmp_path)
    try:
        yield t
    finally:
        t.close()


def question(printed: str) -> str | None:
    """The question a form asks at the end of ``printed`` (its label), or None when the
    console is back at its command prompt."""
    last = printed.rsplit("\n", 1)[-1]
    if COMMAND_PROMPT.match(last):
        return None
    label = re.sub(r"\s*\[[^\]]*\]", "", last.removesuffix(": "))
    label = re.sub(r"^[\w ]+ — ", "", label)  # the field's name, before a label not saying it
    return re.sub(r"\s*\((required|now:?[^)]*|current[^)]*)\)", "", label).strip().lower()


def fill(terminal: Terminal, line: str, answers: dict[str, str]) -> tuple[str, list[str]]:
    """Type ``line`` and answer each question of the form it opens from ``answers`` (by the
    start of the question's label, any case), checking that it asks every one of them (but
    those starting with ``?``); what was printed, and the questions asked."""
    terminal.type(line)
    printed = terminal.wait()
    asked: list[str] = []
    shown = printed
    while (label := question(printed)) is not None:
        asked.append(label)
        matching = [
            text for start, text in answers.items() if label.startswith(start.lower().lstrip("?"))
        ]
        assert matching, f"the form asked {label!r}, which the walk has no answer for:\n{shown}"
        assert len(asked) < 40, f"the form keeps asking:\n{shown}"
        terminal.type(matching[0])
        printed = terminal.wait()
        shown += printed
    unasked = [
        start
        for start in answers
        if not start.startswith("?") and not any(a.startswith(start.lower()) for a in asked)
    ]
    assert not unasked, f"the form of {line!r} never asked {unasked}:\n{shown}"
    return shown, asked


def run(terminal: Terminal, line: str, expect: str = "") -> str:
    """Type a line that opens no form; what was printed (which contains ``expect``)."""
    terminal.type(line)
    printed = terminal.wait()
    assert question(printed) is None, f"{line!r} asked {printed!r}"
    if expect:
        deadline = time.monotonic() + 30
        while expect not in printed:  # a delivery may print after the prompt
            assert time.monotonic() < deadline, f"{expect!r} not in {printed!r}"
            if terminal._read(0.2):
                printed += terminal.pending
                terminal.pending = ""
    return printed


def test_the_newcomer_walk_on_a_terminal_answers_every_form_question(
    terminal: Terminal, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    assert "rallybot console" in terminal.wait()
    run(terminal, "!as ana", "You are now ana (member).")
    run(terminal, '/profile name:"Ana Ruiz" state:IL timezone:America/Chicago', "Ana Ruiz")

    # a layoff report typed as a bare command: the form asks for everything a report holds
    shown, asked = fill(
        terminal,
        "/layoff report",
        {
            "library or library system": "Springfield Public Library",
            "us state": "IL",
            "city": "Springfield",
            "what happened": "layoff",
            "workers affected": "12",
            "when it takes effect": "",
            "library type": "public",
            "classifications affected": "librarian, page",
            "full- or part-time": "full-time",
            "union-represented": "yes",
            "a news story": "",
            "anything else": "Cut in the budget vote",
            "leave your name off": "yes",
            "organizers may contact you": "no",
        },
    )
    assert re.search(r"Your report is L-\d+\. It is anonymous", shown), shown
    assert asked[0] == "library or library system"
    run(terminal, "!as olu organizer")
    run(terminal, "!wait 20m", "Layoff report L-")
    verified = run(terminal, "!press Verify", "is now marked verified")
    assert re.search(r"Workers\s+12\n", verified) and re.search(r"Schedule\s+full-time", verified)
    stats = run(terminal, "/layoff stats", "Workers affected  12")
    assert "IL 1 (12 workers)" in stats

    # an alert with targets, created through its form, sent, and signed through the signing form
    shown, asked = fill(
        terminal,
        "/alert create",
        {
            "a short title": "Save the library jobs",
            "what is happening": "The council votes Thursday on cutting 12 jobs.",
            "what members are asked": "sign-on",
            "a page with more": "https://example.org/jobs",
            "only members in these states": "",
            "only these library types": "",
            "only these worker classifications": "",
            "when it closes": "in 2 days",
            "what to say": "Dear {target}, I am {name} from {state}.",
            "who to contact": "IL,7,Jane Smith,Rep.,555-0100,jsmith@example.org",
        },
    )
    assert "Preview of alert 1 (draft)" in shown, shown
    run(terminal, "!press Send now", "Alert 1 goes out now")
    run(terminal, "!as ana", "You are now ana (member).")
    shown, asked = fill(
        terminal,
        "/alert sign id:1",
        {
            "name": "Ana Ruiz",
            "job title": "Librarian",
            "library or system": "Springfield PL",
            "city": "Springfield",
            "state": "IL",
        },
    )
    assert "Thank you for signing, Ana Ruiz. Alert 1 so far: 1 signed · 0 acted." in shown
    assert asked == ["name", "job title", "library or system", "city", "state"], asked
    shown = run(
        terminal, "/alert show id:1", "Dear Jane Smith (Rep.), I am Ana Ruiz from Illinois."
    )
    assert "Jane Smith (Rep., 555-0100, jsmith@example.org)" in shown
    terminal.expect("1 signed · 0 acted\n")  # the tally edit of the alert's posts, before a form

    # a legislative day made through its form; Going asks the delegation questions
    run(terminal, "!as olu organizer")
    shown, asked = fill(
        terminal,
        "/event create",
        {
            "a short title": "National Library Legislative Day",
            "what kind of event": "legislative-day",
            "when it starts": f"{YEAR}-04-12 09:00",
            "when it ends": "17:00",
            "the event's iana timezone": "America/New_York",
            "what it is about": "Meet your members of Congress",
            "where it is": "Capitol Hill",
            "a link to join": "",
            "how many can go": "",
            "the rsvp deadline": "",
            "reminders before the start": "",
            "a message in the event's channels when it starts": "",
            "make it a repeating event": "",
            "with repeat: the last day": "",
            "with repeat: how many times": "",
            "ping here": "",
        },
    )
    assert "Event 1 created" in shown, shown
    run(
        terminal,
        f'/event meeting id:1 state:IL office:"Sen. Duckworth\'s" legislator:"Tammy Duckworth" '
        f'at:"{YEAR}-04-12 11:00" place:"Hart 524"',
        "Meeting added for the IL delegation",
    )
    run(terminal, "!as ana", "You are now ana (member).")
    shown, asked = fill(
        terminal,
        "/event rsvp id:1 status:going",
        {
            "state delegation": "IL",
            "congressional district": "7",
            "in person or virtual": "in-person",
            "first time": "yes",
            "accessibility needs": "step-free entrance",
            "willing to lead a meeting": "yes",
        },
    )
    assert "You're going to “National Library Legislative Day” (event 1)" in shown, shown
    assert asked == [
        "state delegation",
        "congressional district",
        "in person or virtual",
        "first time?",
        "accessibility needs",
        "willing to lead a meeting?",
    ], asked
    mine = run(terminal, "/event mine", "Delegation: Illinois")
    assert "Meeting: Tammy Duckworth (Sen. Duckworth's)" in mine
    assert "Your accessibility needs are noted; only organizers see them." in mine
    run(terminal, "/event ics id:1", "saved ")
    assert "Tammy Duckworth" in (files / "event-1.ics").read_text()
    run(terminal, "!as olu organizer")
    run(terminal, "/event attendees id:1", "saved ")
    (row,) = csv.DictReader(io.StringIO((files / "event-1-rsvps.csv").read_text()))
    assert (row["state"], row["attend"], row["first_time"], row["willing_to_lead"]) == (
        "IL",
        "in-person",
        "yes",
        "yes",
    ), row
    assert row["accessibility"] == "step-free entrance"

    # a ranked poll through its form, a ballot through the voting form, the results
    shown, asked = fill(
        terminal,
        "/poll create",
        {
            "what the poll asks": "What should we push for first?",
            "2 to 20 options": "Pay equity | Staffing | Benefits",
            "single (pick one)": "ranked",
            "multiple: the most": "",
            "yes (the default)": "yes",
            "when it closes": "",
            "live, or after-close": "after-close",
            "equity-priorities": "",
        },
    )
    assert "Poll 1 is posted" in shown, shown
    assert "Counted by instant runoff." in shown
    run(terminal, "!as ana", "You are now ana (member).")
    shown, asked = fill(
        terminal,
        "/poll vote id:1",
        {
            "?the poll's number": "1",  # asked again only where the form re-asks it
            "an option": "",
            "multiple or approval": "",
            "ranked": "Staffing > Pay equity",
        },
    )
    assert "Your ballot in poll 1 is counted: Staffing > Pay equity." in shown, shown
    run(terminal, "!as olu organizer")
    results = run(terminal, "/poll close id:1", "Staffing wins")
    assert "1 ballot." in results
