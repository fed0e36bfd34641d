"""Issue 19: `grants workflow diagram` draws the lifecycle readably at a terminal (states grouped
by stage, each move with its roles, within 80 columns), and gives Mermaid, DOT and JSON sources,
all from the declared table and policy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

import cli.common
from cli.main import app
from workflows import policy
from workflows.bid_lifecycle import STAGES, TRANSITIONS, BidStatus, Role
from workflows.diagram import dot_diagram, outline, rule_name

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _diagram(monkeypatch: pytest.MonkeyPatch, *args: str, terminal: bool = False) -> str:
    monkeypatch.setattr(cli.common.console, "_console", None)
    env = {"COLUMNS": "80", "TTY_COMPATIBLE": "1" if terminal else "0", "NO_COLOR": "1"}
    try:
        result = CliRunner().invoke(app, ["workflow", "diagram", *args], env=env)
    finally:
        monkeypatch.setattr(cli.common.console, "_console", None)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_the_table_shows_every_state_by_stage_and_every_move_with_its_roles(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    text = _diagram(monkeypatch, terminal=terminal)
    if terminal:
        assert max(len(line) for line in text.splitlines()) <= 80
    words = set(text.split())
    for row in TRANSITIONS:  # each rule's words whole, folded at spaces, never mid-word
        for guard in row.guards:
            assert all(w in words or f"{w}," in words for w in rule_name(guard).split("-")), guard
    sections = re.split(r"^\s*\d\. ", text, flags=re.MULTILINE)[1:]
    assert [s.splitlines()[0].strip() for s in sections] == [stage for stage, _ in STAGES]
    for section, (_, states) in zip(sections, STAGES, strict=True):
        first_words = {row[0] for row in _rows(section) if row}
        assert {s.value for s in states} <= first_words, section
    rows = [" ".join(row) for row in _rows(text)]
    for row in TRANSITIONS:
        roles = ", ".join(r.value for r in sorted(row.roles, key=list(Role).index))
        for source in row.sources:
            wanted = f"{row.trigger} {row.dest.value} {roles}"
            assert any(wanted in line for line in rows), (source.value, wanted)


def test_the_roles_of_each_move_are_the_policys() -> None:
    by_action: dict[str, set[str]] = {}
    for _, states in outline():
        for _, moves in states:
            for move in moves:
                by_action.setdefault(move.action, set()).update(r.value for r in move.roles)
    for action, roles in by_action.items():
        assert roles == {r.value for r in policy.roles_for(policy.Action(action))}, action


def test_every_state_and_transition_is_in_the_outline_and_ends_have_no_moves() -> None:
    states = [state for _, group in outline() for state, _ in group]
    assert sorted(states) == sorted(BidStatus)
    moves = {(s, m.action, m.to) for _, group in outline() for s, ms in group for m in ms}
    assert moves == {(src, row.trigger, row.dest) for row in TRANSITIONS for src in row.sources}
    ends = {s for _, group in outline() for s, ms in group if not ms}
    assert ends == {BidStatus.not_shortlisted, BidStatus.rejected, BidStatus.withdrawn}.union(
        {BidStatus.closed, BidStatus.cancelled}
    )


def test_rules_are_named_from_their_declared_wording() -> None:
    assert rule_name("quorum_met") == "quorum"
    assert rule_name("required_fields_present") == "required-fields"


def test_json_mermaid_and_dot_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(_diagram(monkeypatch, "--json"))
    assert data == json.loads(_diagram(monkeypatch, "--format", "json"))
    assert [s["stage"] for s in data["stages"]] == [stage for stage, _ in STAGES]
    assert sum(len(m["moves"]) for s in data["stages"] for m in s["states"]) == sum(
        len(row.sources) for row in TRANSITIONS
    )
    mermaid = _diagram(monkeypatch, "--format", "mermaid")
    assert "stateDiagram-v2" in mermaid and all(f"as {s.value}" in mermaid for s in BidStatus)
    dot = _diagram(monkeypatch, "--format", "dot")
    assert dot == dot_diagram()


def test_the_dot_source_is_well_formed() -> None:
    dot = dot_diagram()
    assert dot.startswith("digraph bid_lifecycle {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    nodes = re.findall(r"^\s+(\w+) \[label=\"(\w+)\"", dot, flags=re.MULTILINE)
    assert sorted(name for name, _ in nodes) == sorted(s.value for s in BidStatus)
    edges = re.findall(r"^\s+(\w+) -> (\w+) \[label=\"(\w+)\\n\(([a-z, ]+)\)\"\];$", dot, flags=re.MULTILINE)
    assert len(edges) == sum(len(row.sources) for row in TRANSITIONS)
    for line in dot.splitlines()[1:-1]:
        assert line.rstrip().endswith((";", "{", "}")), line
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


def test_an_unknown_format_or_two_formats_are_bad_input() -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["workflow", "diagram", "--format", "png"])
    assert unknown.exit_code == 2 and "is not one of table, mermaid, dot, json" in unknown.stderr
    both = runner.invoke(app, ["workflow", "diagram", "--format", "dot", "--json"])
    assert both.exit_code == 2 and "--json and --format dot ask for two formats" in both.stderr
