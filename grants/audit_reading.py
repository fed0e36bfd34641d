"""Reading the audit trail: the events of a subject, and the whole-trail verdict of `grants audit
verify` (the chain's checks, the content checks and an anchor). Writing events and the chain's
hash arithmetic live in grants.audit_chain."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import col

from grants.audit_chain import Anchor, AuditHead, anchor_break, audit_head
from grants.checks import AUDIT_CHECKS, Problem
from grants.models import AuditEvent
from grants.scope import Scope


@dataclass(frozen=True)
class EventView:
    """An audit event as shown to people and scripts."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    details: dict[str, Any]
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "from": self.from_state,
            "to": self.to_state,
            "reason": self.reason,
            "details": self.details,
            "hash": self.hash,
        }


def _view(event: AuditEvent) -> EventView:
    try:
        details = json.loads(event.details)
    except ValueError:
        details = {"unreadable": event.details}
    return EventView(
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.subject,
        event.from_state,
        event.to_state,
        event.reason,
        details,
        event.hash,
    )


def audit_events(scope: Scope, subject: str | None = None, limit: int | None = 50) -> list[EventView]:
    """The newest events (oldest first), optionally only those about one subject."""
    query = select(AuditEvent).where(AuditEvent.partnership_id == scope.partnership.id)
    if subject:
        query = query.where(or_(col(AuditEvent.subject) == subject, col(AuditEvent.subject).like(f"% {subject}")))
    query = query.order_by(col(AuditEvent.seq).desc())
    if limit:
        query = query.limit(limit)
    events = list(scope.session.execute(query).scalars())
    from grants.visibility import redact_events

    return redact_events(scope, [_view(e) for e in reversed(events)])


@dataclass(frozen=True)
class Verification:
    """What `audit verify` found."""

    events: int
    head: AuditHead
    problems: list[Problem] = field(default_factory=list)
    anchor: Anchor | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = {
            "ok": self.ok,
            "events": self.events,
            "audit_head": self.head.to_json(),
            "problems": [p.to_json() for p in self.problems],
        }
        if self.anchor is not None:
            data["anchor"] = f"{self.anchor.count}:{self.anchor.hash}"
        return data


def verify(scope: Scope, anchor: str | None = None) -> Verification:
    """Recompute the chain (and the checks registered beside it) over the partnership's events;
    with an anchor (a head recorded elsewhere, COUNT:HASH), prove the chain still contains it."""
    given = Anchor.parse(anchor) if anchor is not None else None
    count = scope.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.partnership_id == scope.partnership.id)
    ).scalar_one()
    problems: list[Problem] = []
    if given is not None:
        broken = anchor_break(scope.session, scope.partnership.id, given)
        if broken:
            problems.append(Problem("anchor", f"audit event #{given.count}", broken))
    for check in AUDIT_CHECKS:
        problems.extend(check(scope.session, scope.partnership))
    return Verification(count, audit_head(scope.session, scope.partnership.id), problems, given)
