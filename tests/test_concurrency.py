"""Several processes funding and varying awards against one pot at once, on SQLite."""

from __future__ import annotations

from bench.concurrency import prepare, run
from tests.conftest import Cli

PROCESSES = 6
BIDS = 60
POUNDS = 600  # 60 × £600 = £36,000 asked of a £26,440 pot


def assert_never_overspent(url: str) -> None:
    references = prepare(url, BIDS, POUNDS)
    result = run(url, references, PROCESSES, vary_every=2)
    tally = result.tally
    assert result.problems == []
    assert result.lost == []
    assert result.overspent_pence == 0
    assert result.committed_pence + result.uncommitted_pence == result.allocated_pence
    assert tally.busy == 0 and tally.refused_other == 0
    # The pot really was contended: some awards were refused for want of money.
    assert tally.refused_budget > 0 and len(tally.awarded) >= 40
    assert sum(tally.awarded.values()) == result.committed_pence
    cli = Cli(url)
    assert cli("check").exit_code == 0
    assert cli("audit", "verify").exit_code == 0


def test_processes_never_overspend_on_sqlite(sqlite_url: str) -> None:
    assert_never_overspent(sqlite_url)
