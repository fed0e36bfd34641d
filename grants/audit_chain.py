"""Recording the audit trail: immutable events hash-chained per partnership, the chain's head and
anchors, and the hash arithmetic that checks a chain (used by grants.checks). Reading the trail
for people, and the whole-trail verdict of `grants audit verify`, live in grants.audit_reading."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from grants import clock
from grants.errors import IntegrityFailed
from grants.models import AuditEvent, Partnership, table_of

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """The one text form hashed everywhere: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_stamp() -> str:
    return clock.now().isoformat(timespec="microseconds")


def event_payload(event: Any) -> dict[str, Any]:
    """What an event's hash covers: every field but its own hash. `event` is an AuditEvent or a
    row of the audit table (verification reads rows: no ORM objects to build). The seals are
    covered when the event has them (events made before seals existed hash as they always did)."""
    payload = {
        "partnership": event.partnership_id,
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "from": event.from_state,
        "to": event.to_state,
        "reason": event.reason,
        "details": event.details,
        "content_hash": event.content_hash,
    }
    sealed = getattr(event, "seals", None)
    if sealed is not None:
        payload["seals"] = sealed
    return payload


def chain_hash(prev_hash: str, event: Any) -> str:
    return sha256(prev_hash + canonical_json(event_payload(event)))


def event_row(
    partnership_id: int,
    seq: int,
    prev_hash: str,
    *,
    at: str,
    actor: str,
    action: str,
    subject: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    content_hash: str | None = None,
    seals: str | None = None,
) -> dict[str, Any]:
    """One event's columns, its hash included: the one shape `record` and `BulkChain` write."""
    row: dict[str, Any] = {
        "partnership_id": partnership_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "details": canonical_json(details or {}),
        "content_hash": content_hash,
        "seals": seals,
        "prev_hash": prev_hash,
    }
    row["hash"] = chain_hash(prev_hash, SimpleNamespace(**row))
    return row


class BulkChain:
    """`record` in bulk, for the benchmark data generator: events appended to the partnership's
    chain (its head's row locked), hashed as `record` hashes them, written by executemany. They
    carry no seals: the generator seals everything it wrote with one baseline event at the end
    (grants.seals.baseline_all), as an upgraded database is sealed."""

    def __init__(self, connection: Any, partnership_id: int, *, batch: int = 20_000) -> None:
        self.connection, self.partnership_id, self.batch = connection, partnership_id, batch
        self.head, self.count = connection.execute(
            select(Partnership.audit_head, Partnership.audit_count)
            .where(Partnership.id == partnership_id)
            .with_for_update()
        ).one()
        self.rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, actor: str, action: str, subject: str, *, at: str, **fields: Any) -> None:
        row = event_row(
            self.partnership_id,
            self.count + 1,
            self.head,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            **fields,
        )
        self.head, self.count = row["hash"], row["seq"]
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        from sqlalchemy import insert

        if self.rows:
            self.connection.execute(insert(table_of(AuditEvent)), self.rows)
            self.written += len(self.rows)
            self.rows = []
        self.connection.execute(
            update(Partnership)
            .where(Partnership.id == self.partnership_id)
            .values(audit_head=self.head, audit_count=self.count)
        )


def record(
    session: Session,
    partnership_id: int,
    actor: str,
    action: str,
    subject: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    content_hash: str | None = None,
    at: str | None = None,
    seal_rows: bool = True,
    presealed: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the partnership's chain, holding the chain head's row lock. The event
    seals the rows the command wrote since the event before (unless `seal_rows` is false: a later
    event of the same command seals them) and the state it leaves (see grants.seals), so every
    write is flushed first. `presealed`: see grants.seals.make."""
    from grants import seals

    head, count = session.execute(
        select(Partnership.audit_head, Partnership.audit_count)
        .where(Partnership.id == partnership_id)
        .with_for_update()
    ).one()
    session.flush()
    sealed = seals.make(session, partnership_id, count, rows=seal_rows, presealed=presealed)
    event = AuditEvent(
        **event_row(
            partnership_id,
            count + 1,
            head,
            at=at or now_stamp(),
            actor=actor,
            action=action,
            subject=subject,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            details=details,
            content_hash=content_hash,
            seals=sealed,
        )
    )
    _append_at_head(session, partnership_id, event)
    return event


def _append_at_head(session: Session, partnership_id: int, event: AuditEvent) -> None:
    """Insert the event and move the partnership's chain head to it."""
    session.flush()  # the command's own rows first: an error below is the event's
    session.add(event)
    try:
        session.flush()
    except IntegrityError as error:
        # Only a change made outside grants puts an event where the head says the next one goes
        # (the head wound back): say so, instead of a traceback, and write nothing.
        count = event.seq - 1
        raise IntegrityFailed(
            f"the audit trail is out of step with its head: the partnership records {count} events, "
            f"but event #{event.seq} cannot be added after them (it exists already, or the partnership "
            "is gone); the database was changed outside grants and nothing was written. Run "
            "`grants audit verify` to see where, and restore a backup"
        ) from error
    session.execute(
        update(Partnership)
        .where(Partnership.id == partnership_id)
        .values(audit_head=event.hash, audit_count=event.seq)
        .execution_options(synchronize_session=False)
    )
    session.flush()


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the recomputed chain differs from the stored one."""

    seq: int | None
    message: str


def verify_chain(session: Session, partnership: Partnership) -> ChainBreak | None:
    """Recompute the partnership's chain; name the first broken link, or None when intact."""
    prev = GENESIS
    expected_seq = 1
    rows = session.execute(
        select(*table_of(AuditEvent).columns)
        .where(AuditEvent.partnership_id == partnership.id)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=2000)
    )
    for event in rows:
        where = f"audit event #{event.seq} ({event.action} {event.subject} by {event.actor})"
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, f"audit event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainBreak(event.seq, f"{where} does not link to the event before it")
        if chain_hash(prev, event) != event.hash:
            return ChainBreak(event.seq, f"{where} was changed after it was recorded")
        prev = event.hash
        expected_seq += 1
    head = session.execute(
        select(Partnership.audit_head, Partnership.audit_count).where(Partnership.id == partnership.id)
    ).one()
    if head.audit_count != expected_seq - 1 or head.audit_head != prev:
        return ChainBreak(
            None,
            f"the chain ends at event #{expected_seq - 1} but the partnership records "
            f"{head.audit_count} events: events were removed",
        )
    return None


# --- the head, and anchors: the head recorded somewhere else ------------------------------------

SHORT_HASH = 12


@dataclass(frozen=True)
class AuditHead:
    """Where the partnership's audit chain stood when a paper or export was made: how many events
    and the hash of the last, so the document can later be matched to the books it came from.
    Kept elsewhere (committee papers), it is an anchor: `grants audit verify --anchor COUNT:HASH`."""

    count: int
    hash: str

    @property
    def short(self) -> str:
        return self.hash[:SHORT_HASH]

    @property
    def text(self) -> str:
        """`audit head: event 143, 9f2c4e1a7b3d` — the line every paper and export carries."""
        return f"audit head: event {self.count}, {self.short}"

    @property
    def anchor(self) -> str:
        """`143:9f2c4e1a7b3d`, as `grants audit verify --anchor` takes it."""
        return f"{self.count}:{self.short}"

    def line(self) -> str:
        return f"Audit head {self.anchor} (event {self.count}; prove it with `grants audit verify --anchor {self.anchor}`)"

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "hash": self.hash, "short": self.short, "anchor": self.anchor}


def audit_head(session: Session, partnership_id: int) -> AuditHead:
    """The partnership's audit head as stored now (read, never cached from an earlier object)."""
    head, count = session.execute(
        select(Partnership.audit_head, Partnership.audit_count).where(Partnership.id == partnership_id)
    ).one()
    return AuditHead(count, head)


@dataclass(frozen=True)
class Anchor:
    """`COUNT:HASH` as given to `audit verify --anchor`: an event number and its hash (at least
    8 hex digits of it)."""

    count: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        from grants.errors import BadInput

        count, sep, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if (
            not sep
            or not count.strip().isascii()
            or not count.strip().isdigit()
            or int(count) < 1
            or not 8 <= len(digest) <= 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise BadInput(
                f"anchor {shown!r} is not COUNT:HASH; give the audit head as a report printed it, "
                "e.g. --anchor 139:3f2a9c1b7d4e (at least 8 hex digits of the hash)"
            )
        return cls(int(count), digest)


def anchor_break(session: Session, partnership_id: int, anchor: Anchor) -> str | None:
    """Why the chain does not contain the anchored head, or None when it does (the chain's own
    links are verified apart, by verify_chain)."""
    stored = session.execute(
        select(AuditEvent.hash).where(
            AuditEvent.partnership_id == partnership_id, AuditEvent.seq == anchor.count
        )
    ).scalar_one_or_none()
    given = f"{anchor.count}:{anchor.hash}"
    if stored is None:
        return (
            f"the chain has no event #{anchor.count}, so it does not contain the head {given} recorded "
            "elsewhere: events were removed or the chain was rebuilt"
        )
    if not stored.startswith(anchor.hash):
        return (
            f"audit event #{anchor.count} has hash {stored[:SHORT_HASH]}, not the {given} recorded elsewhere: "
            "the chain was rewritten since that head was recorded"
        )
    return None


def with_head(markdown: str, head: AuditHead | None) -> str:
    """A Markdown report ending with the audit head it was made at (see AuditHead)."""
    if head is None:
        return markdown
    return f"{markdown}\n---\n\n{head.line()}\n"


def baseline(session: Session, partnership_id: int, why: str) -> AuditEvent:
    """One event sealing every row and the state as they stand (after an upgrade)."""
    return record(
        session,
        partnership_id,
        "grants",
        "audit.baseline",
        "audit seals",
        reason=why,
        details={"why": why},
    )


def baseline_all(session: Session, why: str) -> int:
    """A baseline for every partnership whose newest event is unsealed; how many were sealed."""
    from grants import seals

    done = 0
    for (partnership_id,) in session.execute(select(Partnership.id).order_by(Partnership.id)).all():
        if seals.needs_baseline(session, partnership_id):
            baseline(session, partnership_id, why)
            done += 1
    return done
