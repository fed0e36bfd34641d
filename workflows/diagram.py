"""The bid lifecycle drawn for people: its states grouped by stage, each with the moves out of it,
who may make them and the rules they check; as data (for the terminal and JSON) and as Graphviz
DOT source. Everything comes from the declared table (bid_lifecycle.TRANSITIONS, STAGES, GUARDS);
the Mermaid source is bid_lifecycle.mermaid_diagram, drawn by `transitions` from the same table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows.bid_lifecycle import GUARDS, STAGES, TRANSITIONS, BidStatus, Role

ROLE_ORDER = list(Role)


def rule_name(guard: str) -> str:
    """A guard's rule by its short name, from its declared wording: `the quorum rule: …` → quorum."""
    head = GUARDS[guard].split(":", 1)[0]
    return head.removeprefix("the ").removesuffix(" rule")


@dataclass(frozen=True)
class Move:
    """One way out of a state: the action, where it leads, who may take it, the rules it checks."""

    action: str
    to: BidStatus
    roles: tuple[Role, ...]
    guards: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "to": self.to.value,
            "roles": [r.value for r in self.roles],
            "guards": list(self.guards),
            "rules": [rule_name(g) for g in self.guards],
        }


def moves_from(state: BidStatus) -> list[Move]:
    """The moves out of a state, in the table's order."""
    return [
        Move(row.trigger, row.dest, tuple(sorted(row.roles, key=ROLE_ORDER.index)), row.guards)
        for row in TRANSITIONS
        if state in row.sources
    ]


def outline() -> list[tuple[str, list[tuple[BidStatus, list[Move]]]]]:
    """Each stage in order with its states, and each state with its moves (none: it is an end)."""
    return [(stage, [(state, moves_from(state)) for state in states]) for stage, states in STAGES]


def to_json() -> dict[str, Any]:
    return {
        "initial": BidStatus.draft.value,
        "stages": [
            {
                "stage": stage,
                "states": [
                    {"state": state.value, "end": not moves, "moves": [m.to_json() for m in moves]}
                    for state, moves in states
                ],
            }
            for stage, states in outline()
        ],
    }


def _dot_id(state: BidStatus) -> str:
    return state.value  # state values are identifiers: [a-z_]+


def dot_diagram() -> str:
    """Graphviz DOT source: a cluster per stage, an edge per move labelled with its action and roles."""
    lines = [
        "digraph bid_lifecycle {",
        '  label="Bid lifecycle";',
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  start [shape=point, label=""];',
        f"  start -> {_dot_id(BidStatus.draft)};",
    ]
    for number, (stage, states) in enumerate(outline(), start=1):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label="{stage}";')
        for state, moves in states:
            shape = ", peripheries=2" if not moves else ""
            lines.append(f'    {_dot_id(state)} [label="{state.value}"{shape}];')
        lines.append("  }")
    for _, states in outline():
        for state, moves in states:
            for move in moves:
                roles = ", ".join(r.value for r in move.roles)
                lines.append(f'  {_dot_id(state)} -> {_dot_id(move.to)} [label="{move.action}\\n({roles})"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
