# ruff: noqa: E501  (the walk is typed as a person types it, one command a line)
"""The newcomer's walk through every feature, piped into the real `rallybot console` and typed
on a terminal: what each person reads at each step reads right.

report → verify → stats; an alert with targets → sign → tally → closed by its deadline; a
legislative day with a delegation meeting and a milestone → RSVPs with the detail options
typed → the .ics file; a ranked poll → results.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support import run_rallybot

#: the legislative day is next April: always ahead, and always outside the current year
YEAR = datetime.now(ZoneInfo("America/New_York")).year + 1
DAY = datetime(YEAR, 4, 12)
HOTEL = datetime(YEAR, 3, 12)
#: how those days read: with their year, as they are outside the current one
ON_DAY = f"{DAY:%a %b} 12, {YEAR}"
HOTEL_DAY = f"{HOTEL:%a %b} 12, {YEAR}"

WALK = f"""\
# a layoff, reported anonymously, verified, counted
!as ana
/profile name:"Ana Ruiz" state:IL timezone:America/Chicago library_type:public classification:librarian
/layoff report "Oak Library" city:Oak Park
/layoff report employer:"Springfield Public Library" workers:12 state:IL city:Springfield library_type:public
!as olu organizer
!wait 20m
!press Verify
/layoff stats
/layoff list
# an alert with targets: signed, tallied, closed by its deadline
!as bea
/profile name:"Bea Olsen" state:WI
!as olu organizer
/alert create title:"Save the library jobs" body:"The council votes Thursday on cutting 12 jobs." kind:sign-on deadline:"in 2 days" script:"Dear {{target}}, I am {{name}} from {{state}}." targets:"IL,7,Jane Smith,Rep.,555-0100,jsmith@example.org;WI,,Tom Berg,Sen.,,"
!press Send now
!as ana
/alert show id:1
/alert sign id:1 title:Librarian institution:"Springfield PL" city:Springfield
/alert sign id:1
!as bea
/alert sign id:1
!as cam
/alert decline id:1
!wait 10s
!as olu organizer
/alert status id:1
!wait 3d
!as ana
/alert sign id:1
# a legislative day with a delegation meeting and a milestone
!as olu organizer
/event create title:"National Library Legislative Day" kind:legislative-day start:"{DAY:%Y-%m-%d} 09:00" end:"17:00" timezone:America/New_York place:"Capitol Hill"
/event meeting id:1 state:IL office:"Sen. Duckworth's" legislator:"Tammy Duckworth" at:"{DAY:%Y-%m-%d} 11:00" place:"Hart 524"
/event milestone id:1 title:"Hotel block ends" at:"{HOTEL:%Y-%m-%d} 17:00"
!as ana
/event rsvp id:1 status:going state:IL district:7 attend:in-person first_time:yes accessibility:"step-free entrance" lead_meeting:yes
!as bea
/event rsvp id:1 status:going state:WI district:2 attend:virtual first_time:no lead_meeting:no
!as cam
/event rsvp id:1 status:maybe
!as olu organizer
/event lead id:1 member:ana
/event attendees id:1
!as ana
/event mine
/event ics id:1
# a ranked poll and its results
!as olu organizer
/poll create question:"What should we push for first?" options:"Pay equity | Staffing | Benefits" kind:ranked
!as ana
/poll vote id:1 ranking:"Pay equity > Staffing > Benefits"
!as bea
/poll vote id:1 ranking:"Staffing > Pay equity"
!as cam
/poll vote id:1 ranking:"Benefits > Pay equity"
!as olu organizer
/poll close id:1
/poll results id:1
"""

PROMPT = re.compile(r"^([\w.-]+(?:@\w+)?)> ", re.M)


def steps(out: str) -> list[tuple[str, str, str]]:
    """Each typed line as ``(who, line, what was printed after it up to the next one)``."""
    marks = list(PROMPT.finditer(out))
    found = []
    for mark, end in zip(marks, [*(m.start() for m in marks[1:]), len(out)], strict=True):
        typed, _, printed = out[mark.end() : end].partition("\n")
        found.append((mark.group(1), typed, printed))
    return found


def test_the_newcomer_walk_reads_right_end_to_end(tmp_path: Path) -> None:
    files = tmp_path / "files"
    run = run_rallybot(["console", "--files", str(files)], tmp_path, WALK)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Traceback" not in out + run.stderr
    said = steps(out)

    def answer(typed: str, who: str | None = None, nth: int | None = None) -> str:
        """What was printed after the line starting with ``typed`` (typed by ``who``; the
        ``nth`` of several)."""
        found = [p for w, t, p in said if t.startswith(typed) and who in (None, w)]
        assert found, f"{typed!r} was not run"
        assert nth is not None or len(found) == 1, f"{typed!r} was run {len(found)} times"
        return found[nth or 0]

    # the layoff: a value with spaces typed without quotes is refused, not glued to another
    assert answer('/layoff report "Oak Library" city:Oak Park').strip() == (
        'city: a value with spaces needs quotes: city:"Oak Park"'
    )
    filed = answer('/layoff report employer:"Springfield Public Library" workers:12 state:IL')
    (ref,) = re.findall(r"Your report is (L-\d+)\. It is anonymous", filed)
    moderation = answer("!wait 20m")
    assert f"Layoff report {ref}" in moderation and "Reporter      anonymous" in moderation
    verified = answer("!press Verify")
    assert f"{ref} is now marked verified." in verified and "verified by olu" in verified
    stats = answer("/layoff stats")
    assert "Reports           1" in stats and "Workers affected  12" in stats
    assert "IL 1 (12 workers)" in stats and "public 1 (12 workers)" in stats
    assert (files / "layoffs-by-month.png").exists()
    listed = answer("/layoff list")
    assert re.search(rf"{ref}\s+Springfield Public Library\s+Springfield, IL\s+layoff\s+12", listed)
    assert "Oak Library" not in out.split("/layoff stats", 1)[1]  # the refused one was not filed

    # the alert: each member's DM names their own state's target, and no one else's
    sent = answer("!press Send now")
    assert "Alert 1 goes out now" in sent
    dm_ana = sent.split("[DM ana] ", 1)[1].split("\n[", 1)[0]
    assert "Dear Jane Smith (Rep.), I am Ana Ruiz from Illinois." in dm_ana
    assert "Jane Smith (Rep., 555-0100, jsmith@example.org)" in dm_ana
    assert "Tom Berg" not in dm_ana and "no one to contact" not in dm_ana
    dm_bea = sent.split("[DM bea] ", 1)[1].split("\n[", 1)[0]
    assert "Dear Tom Berg (Sen.), I am Bea Olsen from Wisconsin." in dm_bea
    assert "Jane Smith" not in dm_bea
    # a member who has no state yet is told how to set it, not given someone else's contacts
    dm_olu = sent.split("[DM olu] ", 1)[1].split("\n[", 1)[0]
    assert "/profile state:" in dm_olu and "Jane Smith" not in dm_olu
    assert "0 signed · 0 acted" in sent.split("[#alerts] ", 1)[1]
    assert "Jane Smith" not in sent.split("[#alerts] ", 1)[1].split("\n[", 1)[0]
    shown = answer("/alert show id:1")
    assert "Dear Jane Smith (Rep.), I am Ana Ruiz from Illinois." in shown
    assert "Thank you for signing, Ana Ruiz. Alert 1 so far: 1 signed · 0 acted." in answer(
        "/alert sign id:1 title:Librarian"
    )
    assert answer("/alert sign id:1", "ana", 1).startswith("You already signed alert 1 on ")
    assert answer("/alert sign id:1", "bea").strip() == (
        "Thank you for signing, Bea Olsen. Alert 1 so far: 2 signed · 0 acted."
    )
    assert answer("/alert decline id:1", "cam").strip() == (
        "Got it: alert 1 is not for you. We won't remind you about it."
    )
    tally = answer("!wait 10s")
    assert "[#alerts (edit of" in tally and "2 signed · 0 acted" in tally
    status = answer("/alert status id:1")
    assert re.search(r"signed\s+2\n\s+acted\s+0\n\s+declined\s+1", status), status
    assert re.search(r"state IL\s+1\s+0\s+0", status) and re.search(r"state WI\s+1\s+0\s+0", status)
    assert re.search(r"\nno state given\s+0\s+0\s+1\n", status), status  # cam has none
    closed = answer("!wait 3d")
    assert "Closed. Final: 2 signed · 0 acted." in closed
    # a reminder before the deadline goes to those who have not answered, not to signers
    assert "[DM olu] A reminder: “Save the library jobs” closes" in closed
    assert "[DM ana] A reminder" not in closed and "[DM cam] A reminder" not in closed
    assert answer("/alert sign id:1", "ana", 2).startswith("Alert 1 closed on ")

    # the legislative day, its meeting and milestone, the RSVPs with their details
    created = answer("/event create title:")
    assert "Event 1 created" in created and f"{ON_DAY}, 9:00 AM – 5:00 PM EDT" in created
    assert "; reminders 7d, 1d, 2h before. See who comes with /event attendees id:1." in created
    assert (
        "Meeting added for the IL delegation (meeting 1): Tammy Duckworth (Sen. Duckworth's)"
        in answer("/event meeting id:1")
    )
    milestone = answer("/event milestone id:1")
    assert (
        f"Milestone added to event 1 (milestone 1): Hotel block ends, {HOTEL_DAY}, 5:00 PM EST"
        in milestone
    )
    assert milestone.rstrip().endswith("(reminder 1d before).")  # of the milestone, not the day
    going = answer("/event rsvp id:1", "ana")
    assert going.startswith(
        f"You're going to “National Library Legislative Day” (event 1), {ON_DAY}, "
    )
    bea_going = answer("/event rsvp id:1", "bea")
    assert bea_going.startswith("You're going to “National Library Legislative Day”")
    assert answer("/event rsvp id:1", "cam").startswith("Noted as a maybe for")
    led = answer("/event lead id:1 member:ana")
    assert "ana leads the IL delegation at event 1." in led
    assert "[DM ana] You lead the Illinois delegation" in led
    attendees = answer("/event attendees id:1")
    assert re.search(r"going\s+2\n\s+maybe\s+1\n\s+waitlisted\s+0\n\s+can't go\s+0", attendees)
    assert re.search(r"IL\s+1\s+0\s+0\s+Ana Ruiz", attendees)
    assert re.search(r"WI\s+1\s+0\s+0\s+—", attendees)
    rsvps = (files / "event-1-rsvps.csv").read_text()
    assert "step-free entrance" in rsvps and "virtual" in rsvps and "in-person" in rsvps
    mine = answer("/event mine")
    assert "National Library Legislative Day (event 1)" in mine and "going" in mine
    assert "Delegation: Illinois (lead: Ana Ruiz)" in mine
    assert "Meeting: Tammy Duckworth (Sen. Duckworth's)" in mine and "Hart 524" in mine
    assert f"Hotel block ends: {HOTEL_DAY}" in mine and "Meeting: Tammy Duckworth" in mine
    assert mine.count(str(YEAR)) >= 3  # the day, the meeting and the milestone
    assert "Your accessibility needs are noted; only organizers see them." in mine
    assert "saved " in answer("/event ics id:1")
    ics = (files / "event-1.ics").read_text()
    assert "SUMMARY:National Library Legislative Day" in ics
    assert f"DTSTART;TZID=America/New_York:{DAY:%Y%m%d}T090000" in ics
    assert "Tammy Duckworth" in ics and "Hotel block ends" in ics
    assert "ORGANIZER" in ics

    # the ranked poll: three ballots, counted by instant runoff
    posted = answer("/poll create question:")
    assert "Poll 1 is posted" in posted and "Counted by instant runoff." in posted
    for who in ("ana", "bea", "cam"):
        ballot = answer("/poll vote id:1", who)
        assert ballot.startswith("Your ballot in poll 1 is counted: "), ballot
    results = answer("/poll close id:1")
    assert "Poll 1 is closed; the results are posted in the alert channels." in results
    assert "3 ballots." in results
    assert (
        "Round 1: Pay equity 1 · Staffing 1 · Benefits 1 → Benefits eliminated (tied on fewest "
        "votes and first choices; listed later in the poll)"
    ) in results
    assert "Pay equity wins by instant runoff after 2 rounds." in results
    assert re.search(r"Pay equity\s+1\s+2\n", results), results
    assert (files / "poll-1-results.png").exists()
    again = answer("/poll results id:1")
    assert "Pay equity wins by instant runoff after 2 rounds." in again

    # nothing internal reaches a person, no markup shows raw, no count disagrees with its noun
    assert "**" not in out
    assert not re.search(r"console-\d", out)
    assert not re.search(r"\b1 (ballots|members|votes|reports|workers)\b", out)
    assert not re.search(r"\b([02-9]|\d\d+) (ballot|member|vote|report|worker)\b", out)
