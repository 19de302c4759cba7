"""The unit of work: one transaction (its connection is what every ``storage`` function
takes first), the time it runs at, the messages it adds to the outbox, the due items it
schedules and what runs once it has committed.

A command's context and a due item's context are both units of work, so code run from
either takes a ``UnitOfWork``. Once the transaction has committed, ``committed()`` wakes the
delivery engine for the messages it added and the scheduler for the items it scheduled.

``apart()`` runs writes that must share their transaction with nothing else where the
database keeps each row's transaction id (an anonymous ballot on PostgreSQL, whose rows of
one transaction share ``xmin``): there they run once the caller's own transaction has ended,
each ``separate()`` block a unit of work of its own. SQLite keeps no transaction id with a
row, and the order its WAL keeps links separate transactions as much as one: there they run
at once, in the caller's unit (which holds the single writer), and ``separate()`` is that
unit. Outside ``apart()``, ``separate()`` is always a unit of work of its own, opened once
the caller's transaction has ended (``after_commit``), never inside it, since on SQLite that
transaction holds the single writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Messages
from storage import queue
from storage.queue import NewDueItem

if TYPE_CHECKING:
    from bot.services import Services


@dataclass
class UnitOfWork:
    """One transaction and what it adds; see the module's docstring."""

    services: Services
    conn: AsyncConnection
    #: the moment this unit of work runs at, when fixed (scheduled work runs at the moment
    #: it was claimed); otherwise the application's clock is read
    at: datetime | None = field(default=None, kw_only=True)
    _messages: Messages | None = field(default=None, kw_only=True, repr=False)
    _scheduled: list[datetime] = field(default_factory=list, kw_only=True, repr=False)
    _after_commit: list[Callable[[], Awaitable[None]]] = field(
        default_factory=list, kw_only=True, repr=False
    )
    #: inside ``apart()`` on SQLite: ``separate()`` is this unit
    _apart_here: bool = field(default=False, kw_only=True, repr=False)

    @property
    def now(self) -> datetime:
        """The current time: the unit's fixed moment, or the application's clock."""
        return self.at if self.at is not None else self.services.clock.now()

    @property
    def messages(self) -> Messages:
        """Posts and direct messages to send once this unit of work commits."""
        if self._messages is None:
            self._messages = Messages(self.conn, self.now)
        return self._messages

    async def schedule(self, *, kind: str, due_at: datetime, key: str, **fields: Any) -> int | None:
        """Add a due item in this unit of work; the scheduler is woken for it after commit."""
        item_id = await queue.schedule(self.conn, kind=kind, due_at=due_at, key=key, **fields)
        if item_id is not None:
            self._scheduled.append(due_at)
        return item_id

    async def reschedule(self, *, kind: str, due_at: datetime, key: str, **fields: Any) -> None:
        """Move the pending due item with this key to ``due_at``, or add it if none is
        pending; the scheduler is woken for it after commit."""
        if not await queue.move_due(self.conn, key, due_at):
            await queue.schedule(self.conn, kind=kind, due_at=due_at, key=key, **fields)
        self._scheduled.append(due_at)

    async def schedule_many(self, items: list[NewDueItem]) -> None:
        """Add many due items in one statement; keys already scheduled are left alone."""
        await queue.schedule_many(self.conn, items)
        self._scheduled += [item.due_at for item in items]

    async def cancel_due(self, kind: str, ref_id: int, member_id: int | None = None) -> None:
        """Cancel what is still scheduled of a kind for one row (only one member's, if given)."""
        await queue.cancel_due(self.conn, kind, ref_id, member_id)

    def after_commit(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` once this unit of work has committed; a write it makes goes in a unit of
        work of its own (``separate``)."""
        self._after_commit.append(job)

    async def apart(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job``, which writes only in ``separate()`` blocks, apart from this unit's
        transaction where the database keeps each row's transaction id (PostgreSQL): once
        this unit has committed, each block a transaction of its own. On SQLite, which keeps
        none, ``job`` runs now and each block is this unit, whose command is then declared
        ``writes_apart`` so that it holds the writer; its writes are committed with the
        unit's, and with the other units of a group commit as any unit's are."""
        if self.services.db.stores_transaction_ids:
            self.after_commit(job)
            return
        if self.conn.sync_connection.get_execution_options().get("rallybot_read_only", False):
            # A read-only unit has not got the writer: its command must be writes_apart.
            raise RuntimeError("apart() on SQLite needs a command declared writes_apart")
        self._apart_here = True
        try:
            await job()
        finally:
            self._apart_here = False

    def committed(self) -> None:
        """Called once the transaction has committed: wake the delivery engine for the
        messages it added and the scheduler for the items it scheduled."""
        services = self.services
        if self._messages is not None and self._messages.added and services.delivery:
            services.delivery.wake()
        if services.scheduler is not None:
            for due_at in self._scheduled:
                services.scheduler.notify(due_at)

    async def run_after_commit(self) -> None:
        """Run the jobs left for after the commit, in order; a refusal in one is the answer."""
        for job in self._after_commit:
            await job()

    @asynccontextmanager
    async def separate(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work of its own, committed when the block ends (then woken for and its
        own after-commit jobs run) and rolled back if it raises. It writes only what the block
        writes, so no transaction id links that write to another. Open it once this unit of
        work's transaction has ended (from ``after_commit``). Within ``apart()`` on SQLite,
        which keeps no transaction id, it is this unit, committed with it."""
        if self._apart_here:
            yield self
            return
        async with self.services.db.transaction() as conn:
            unit = UnitOfWork(self.services, conn, at=self.at)
            yield unit
        unit.committed()
        await unit.run_after_commit()
