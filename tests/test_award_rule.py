"""The award rule on every path: no award exceeds the amount its bid requests, after any sequence of
approve, vary and clarification; the amount requested stays within its pot."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, demo_copy

BID = "CRG-2425-001"


def ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result


def refused(cli: Cli, *args: str, actor: str) -> str:
    before = cli.snapshot()
    result = cli(*args, actor=actor)
    assert result.exit_code == 1, result.output
    assert cli.snapshot() == before
    return " ".join(result.stderr.split())


def amounts(cli: Cli, size: int | None = None) -> tuple[int, int | None, int]:
    """(requested, award, the size of the bid's pot) in pence; the size is looked up unless given."""
    with sqlite3.connect(cli.url.split("///", 1)[1]) as db:
        requested, award, pot = db.execute(
            "SELECT amount_requested_pence, award_pence, pot FROM bid WHERE reference = ?", (BID,)
        ).fetchone()
    if size is None:
        import json

        shown = json.loads(cli("pot", "show", "--json").stdout)
        size = shown["pots"][pot.lower()]["allocated_pence"]
    return requested, award, size


def test_vary_never_above_the_request(shortlisted: Cli) -> None:
    ok(shortlisted("approve", BID, actor="chair"))
    ok(shortlisted("approve", BID, "--amount", "1,000", actor="opcc"))
    requested, award, _ = amounts(shortlisted)
    over = f"{(requested + 400_000) / 100:.2f}"
    message = refused(shortlisted, "vary", BID, over, "--reason", "more", actor="opcc")
    assert "an award may be less, never more" in message
    assert "the award rule: the award may not exceed the amount requested" in message
    ok(shortlisted("vary", BID, f"{requested / 100:.2f}", "--reason", "all of it", actor="opcc"))
    assert amounts(shortlisted)[1] == requested
    refused(
        shortlisted, "vary", BID, f"{(requested + 1) / 100:.2f}", "--reason", "a penny more", actor="opcc"
    )


def test_clarification_may_lower_the_amount_never_raise_it(shortlisted: Cli) -> None:
    ok(shortlisted("approve", BID, actor="chair"))
    ok(shortlisted("clarify", BID, "--question", "Costs?", actor="opcc"))
    requested, _, size = amounts(shortlisted)
    over_pot = refused(shortlisted, "bid", "edit", BID, "--amount", "50,000", actor="kcc-officer")
    assert "may go down, not up to £50,000" in over_pot
    a_penny_more = refused(
        shortlisted, "bid", "edit", BID, "--amount", f"{(requested + 1) / 100:.2f}", actor="kcc-officer"
    )
    assert "the chair approved it at" in a_penny_more
    lower = requested - 10_000
    ok(shortlisted("bid", "edit", BID, "--amount", f"{lower / 100:.2f}", actor="kcc-officer"))
    # …and once lowered, it cannot go back up in the same clarification either.
    refused(shortlisted, "bid", "edit", BID, "--amount", f"{requested / 100:.2f}", actor="kcc-officer")
    ok(shortlisted("answer", BID, "--text", "Trimmed", actor="kcc-officer"))
    ok(shortlisted("approve", BID, actor="opcc"))  # the default award: the lowered request
    assert amounts(shortlisted)[:2] == (lower, lower)
    assert lower <= size


# One step of a sequence: (command, amount in pence or None).
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["chair", "clarify", "edit", "answer", "approve", "approve_amount", "vary"]),
        st.integers(min_value=1, max_value=6_000_000),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("award")
    url = f"sqlite:///{folder / 'shortlisted.sqlite'}"
    demo_copy(url, "shortlisting")
    return folder / "shortlisted.sqlite"


def _command(step: str, pence: int) -> tuple[tuple[str, ...], str]:
    pounds = f"{pence / 100:.2f}"
    return {
        "chair": (("approve", BID), "chair"),
        "clarify": (("clarify", BID, "--question", "Why?"), "opcc"),
        "edit": (("bid", "edit", BID, "--amount", pounds), "kcc-officer"),
        "answer": (("answer", BID, "--text", "Because"), "kcc-officer"),
        "approve": (("approve", BID), "opcc"),
        "approve_amount": (("approve", BID, "--amount", pounds), "opcc"),
        "vary": (("vary", BID, pounds, "--reason", "change"), "opcc"),
    }[step]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_no_sequence_makes_an_award_exceed_its_request(
    template: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    folder = tmp_path_factory.mktemp("run")
    target = folder / "grants.sqlite"
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    cli = Cli(f"sqlite:///{target}")
    requested, award, size = amounts(cli)
    for step, pence in steps:
        args, actor = _command(step, pence)
        result = cli(*args, actor=actor)
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        requested, award, size = amounts(cli, size)
        assert 0 < requested <= size, (step, pence, requested, size)
        if award is not None:
            assert 0 < award <= requested, (steps, step, pence, award, requested)
