"""The scope a command works in: its transaction, its partnership and who is acting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from grants import audit_chain
from grants.clock import acting_on as acting_on
from grants.clock import now as now
from grants.clock import today, wall_clock
from grants.db import ensure_schema, session_scope, sqlite_file
from grants.errors import BadInput, NotFound
from grants.identity import acting_handle, resolve_actor
from grants.models import AuditEvent, Member, Partnership
from grants.options import Options
from grants.privileges import check_identity_setup


@dataclass
class Scope:
    """One command's transaction, partnership and actor."""

    session: Session
    options: Options
    partnership: Partnership
    _actor: Member | None = field(default=None, repr=False)
    # Events of this command, recorded when its work is done (see `audit`).
    _pending: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list, repr=False)
    # Digests of rows the command hashed as it wrote them, for the seal of its last event.
    _presealed: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def actor(self) -> Member:
        """The acting member; refuses when nobody or an unknown handle is acting."""
        if self._actor is None:
            handle = acting_handle(self.session, self.options.actor)
            self._actor = resolve_actor(self.session, self.partnership, handle)
        return self._actor

    @property
    def actor_or_none(self) -> Member | None:
        handle = acting_handle(self.session, self.options.actor)
        if not handle:
            return None
        return self.actor

    @property
    def today(self) -> date:
        return today()

    def acting_as(self, handle: str) -> Scope:
        """Another member acting in this same transaction (bulk set-ups: benchmarks, tests): their
        events join this command's, so they are recorded and sealed at the same commit."""
        from dataclasses import replace

        return Scope(
            self.session,
            replace(self.options, actor=handle),
            self.partnership,
            _pending=self._pending,
            _presealed=self._presealed,
        )

    def audit(self, action: str, subject: str, **fields: object) -> None:
        """Record an event, stamped by the command's clock (grants.clock); when a replay acts on
        another day than the real one (the demo), the details also say so: `effective_on`.

        The event's content and time are fixed now, but it joins the chain when the command's
        work is done (`record_pending`, before the commit), so that its seal covers every row the
        command wrote, whatever order the command wrote them in (see grants.seals)."""
        day = self.today
        if day != wall_clock().date():
            details = fields.get("details")
            fields["details"] = {
                **(details if isinstance(details, dict) else {}),
                "effective_on": day.isoformat(),
            }
        fields.setdefault("at", audit_chain.now_stamp())
        self._pending.append((self.actor.handle, action, subject, fields))

    def preseal(self, table: str, digest: Any) -> None:
        """The command wrote these rows of a sealed table and hashed them as it went (a
        grants.seals.RangeDigest): its last event's seal takes the digest if the count agrees."""
        self._presealed[table] = digest

    def record_pending(self) -> list[AuditEvent]:
        """Append the command's events to the chain, in the order they happened; the last one
        seals the rows the command wrote (so removing it leaves them unsealed)."""
        last = len(self._pending) - 1
        events = [
            audit_chain.record(
                self.session,
                self.partnership.id,
                handle,
                action,
                subject,
                seal_rows=i == last,
                presealed=self._presealed if i == last else None,
                **fields,
            )
            for i, (handle, action, subject, fields) in enumerate(self._pending)
        ]
        self._pending.clear()
        return events


def find_partnership(session: Session, slug: str | None) -> Partnership:
    """The partnership named by --partnership, or the only one there is."""
    if slug:
        found = session.execute(select(Partnership).where(Partnership.slug == slug)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"there is no partnership {slug!r}; `grants init` creates one")
        return found
    found = list(session.execute(select(Partnership).order_by(Partnership.slug).limit(6)).scalars())
    if not found:
        raise NotFound("there is no partnership yet; create one with `grants init`")
    if len(found) > 1:
        raise BadInput(
            "this database holds several partnerships "
            f"({', '.join(p.slug for p in found)}): choose one with --partnership SLUG"
        )
    return found[0]


@contextmanager
def open_scope(options: Options, *, write: bool, bulk: bool = False) -> Iterator[Scope]:
    """Open the command's one transaction and resolve its partnership (`bulk`: see
    grants.db.session_scope)."""
    url = options.url
    missing = sqlite_file(url)
    if missing is not None and not missing.exists():
        # Connecting would create an empty file; say there is no database and leave no trace.
        raise NotFound(
            f"there is no grants database at {missing}; create one with `grants init` (or try `grants demo`)"
        )
    with session_scope(url, write=write, bulk=bulk) as session:
        ensure_schema(session, url)
        check_identity_setup(session)
        partnership = find_partnership(session, options.partnership)
        if write:
            # Every write appends to the partnership's audit chain, whose head is this row, so
            # writes to one partnership are serial anyway. Taking the lock first, before any bid
            # or pot row, gives every command the same lock order: no deadlocks between, say, an
            # award (bid, then pot) and a transfer (pots). SQLite's BEGIN IMMEDIATE already
            # serialises writers; there FOR UPDATE is a no-op.
            session.execute(select(Partnership.id).where(Partnership.id == partnership.id).with_for_update())
        scope = Scope(session, options, partnership)
        yield scope
        scope.record_pending()
