"""What a viewer may see of the scores, for every output: the policy (workflows.policy) decides,
through its actions `see-sheets` (each member's scores, stance and comment) and
`see-scores-summary` (a bid's mean, stances, spread and advice).

Every command that shows score data asks here: `scoring sheets`, `scoring ranking`, `audit log`,
`bid history`, the workbook and the papers. Figures are always computed from every sheet that
counts, never from the ones a viewer may see; what a viewer may not see is replaced by WITHHELD
and the reason, never dropped or recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from grants.models import Bid, Member, id_of
from grants.scope import Scope
from workflows.policy import Action

WITHHELD = "withheld"

# Audit events that record one member's sheet, and the details of it that are the sheet.
SHEET_EVENTS = frozenset({"score.submit", "score.rescore"})
SHEET_DETAILS = ("scores", "stance", "comment", "percent")


@dataclass
class Viewer:
    """The acting member (or nobody), asking the policy once per bid and action."""

    scope: Scope
    member: Member | None = None
    _answers: dict[tuple[Action, int], bool] = field(default_factory=dict)

    @classmethod
    def of(cls, scope: Scope) -> Viewer:
        return cls(scope, scope.actor_or_none)

    def may(self, action: Action, bid: Bid) -> bool:
        key = (action, id_of(bid))
        if key not in self._answers:
            from grants.permissions import allows

            self._answers[key] = self.member is not None and allows(
                self.scope, action, bid, member=self.member
            )
        return self._answers[key]

    def sees_sheets(self, bid: Bid) -> bool:
        return self.may(Action.see_sheets, bid)

    def sees_summary(self, bid: Bid) -> bool:
        return self.may(Action.see_scores_summary, bid)

    def why_not(self, action: Action, bid: Bid) -> str:
        """The policy's refusal, in its words."""
        if self.member is None:
            return "nobody is acting: give --as HANDLE to see what your role may"
        from grants.permissions import require

        try:
            require(self.scope, action, bid)
        except Exception as error:  # NotPermitted: its message is the reason
            return str(error)
        return ""


def _bid_of(scope: Scope, subject: str, cache: dict[str, Bid | None]) -> Bid | None:
    from sqlalchemy import select

    reference = subject.removeprefix("bid ").strip()
    if reference not in cache:
        cache[reference] = scope.session.execute(
            select(Bid).where(Bid.partnership_id == scope.partnership.id, Bid.reference == reference)
        ).scalar_one_or_none()
    return cache[reference]


def redact_events(scope: Scope, events: list[Any]) -> list[Any]:
    """Audit events as the viewer may read them: a sheet's scores, stance, comment and percent are
    WITHHELD (with the reason) unless the viewer wrote it or may see that bid's sheets now."""
    viewer = Viewer.of(scope)
    bids: dict[str, Bid | None] = {}
    shown = []
    for event in events:
        if event.action not in SHEET_EVENTS:
            shown.append(event)
            continue
        bid = _bid_of(scope, event.subject, bids)
        own = viewer.member is not None and event.actor == viewer.member.handle
        if own or (bid is not None and viewer.sees_sheets(bid)):
            shown.append(event)
            continue
        reason = viewer.why_not(Action.see_sheets, bid) if bid is not None else "the bid is not found"
        details = {k: (WITHHELD if k in SHEET_DETAILS else v) for k, v in event.details.items()}
        details["withheld_because"] = reason
        shown.append(replace(event, details=details))
    return shown
