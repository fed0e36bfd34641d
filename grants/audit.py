"""The audit trail: immutable events, hash-chained per partnership, and their verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from grants import clock
from grants.errors import IntegrityFailed
from grants.models import AuditEvent, Partnership

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
    row of the audit table (verification reads rows: no ORM objects to build)."""
    return {
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


def chain_hash(prev_hash: str, event: Any) -> str:
    return sha256(prev_hash + canonical_json(event_payload(event)))


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
) -> AuditEvent:
    """Append one event to the partnership's chain, holding the chain head's row lock."""
    head, count = session.execute(
        select(Partnership.audit_head, Partnership.audit_count)
        .where(Partnership.id == partnership_id)
        .with_for_update()
    ).one()
    event = AuditEvent(
        partnership_id=partnership_id,
        seq=count + 1,
        at=now_stamp(),
        actor=actor,
        action=action,
        subject=subject,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=canonical_json(details or {}),
        content_hash=content_hash,
        prev_hash=head,
        hash="",
    )
    event.hash = chain_hash(head, event)
    session.flush()  # the command's own rows first: an error below is the event's
    session.add(event)
    try:
        session.flush()
    except IntegrityError as error:
        # Only a change made outside grants puts an event where the head says the next one goes
        # (the head wound back): say so, instead of a traceback, and write nothing.
        raise IntegrityFailed(
            f"the audit trail is out of step with its head: the partnership records {count} events, "
            f"but event #{count + 1} cannot be added after them (it exists already, or the partnership "
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
    return event


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
        select(*AuditEvent.__table__.columns)  # type: ignore[attr-defined]
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


@dataclass(frozen=True)
class AuditHead:
    """Where the partnership's audit chain stood when a paper or export was made: how many events
    and the hash of the last, so the document can later be matched to the books it came from."""

    count: int
    hash: str

    @property
    def short(self) -> str:
        return self.hash[:12]

    @property
    def text(self) -> str:
        """`audit head: event 143, 9f2c4e1a7b3d` — the line every paper and export carries."""
        return f"audit head: event {self.count}, {self.short}"

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "hash": self.hash, "short": self.short}


def audit_head(session: Session, partnership_id: int) -> AuditHead:
    """The partnership's audit head as stored now (read, never cached from an earlier object)."""
    head, count = session.execute(
        select(Partnership.audit_head, Partnership.audit_count).where(Partnership.id == partnership_id)
    ).one()
    return AuditHead(count, head)
