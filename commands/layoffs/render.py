"""What people see of a report: the moderation post organizers decide on (its buttons closed
once decided), and the numbers, places and counts shown in lists and statistics."""

from __future__ import annotations

from bot.reply import Action, Reply
from storage import layoffs as store


def workers_text(n: int | None) -> str:
    """A number of workers as shown, ``unknown`` when not given."""
    return "unknown" if n is None else f"{n:,}"


def place_text(city: str | None, state: str | None) -> str:
    """A city and state as shown, a dash when neither is given."""
    return ", ".join(p for p in (city, state) if p) or "—"


def counts_text(counts: list[store.Count], unnamed: str) -> str:
    """Groups of reports with their workers, on one line."""
    return "; ".join(f"{c.label or unnamed} {c.reports:,} ({c.workers:,} workers)" for c in counts)


def moderation_reply(
    r: store.LayoffRecord, outcome: str = "", *, publishable: bool = False
) -> Reply:
    """The post organizers decide on; with an outcome, its buttons are closed. A verified
    report without a source link that the public tracker could show (``publishable``)
    gets a button to show it there, or, once shown, to hide it again."""
    contact = "ok to contact" if r.ok_to_contact else "please do not contact"
    reporter = f"{r.reporter_name or '(erased their data)'} ({contact})"
    dup = r.possible_duplicate_of
    shown = [
        ("Employer", r.employer),
        ("Kind", r.kind),
        ("Where", place_text(r.city, r.state)),
        ("Workers", workers_text(r.workers)),
        ("Effective", r.effective_date.isoformat() if r.effective_date else None),
        ("Library type", r.library_type),
        ("Classifications", ", ".join(r.classifications) or None),
        ("Schedule", r.schedule),
        ("Union-represented", r.union_represented),
        ("Source", r.source_url),
        ("Details", r.details),
        ("Reporter", "anonymous" if r.anonymous else reporter),
        ("Possible duplicate", dup and f"of L-{dup} (same employer within 30 days)"),
        ("Status", outcome or "pending review"),
    ]
    args, closed = {"id": str(r.ref)}, bool(outcome)
    return Reply(
        title=f"Layoff report L-{r.ref}",
        fields=[(name, value) for name, value in shown if value],
        actions=[
            Action("Verify", "layoff verify", args, style="primary", disabled=closed),
            Action("Reject", "layoff reject", args, style="danger", disabled=closed),
            Action("Duplicate of…", "layoff duplicate", args, disabled=closed),
            *(
                [
                    Action("Hide from the public tracker", "layoff unpublish", args)
                    if r.published
                    else Action("Show on the public tracker", "layoff publish", args)
                ]
                if publishable
                else []
            ),
        ],
        ephemeral=False,
    )
