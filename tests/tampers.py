"""Edits behind grants' back, each a few SQL statements on a copy of the demo (rolled over, so
2024/25 is closed and 2025/26 open), and the row `grants check` / `grants audit verify` must name.

Shared by tests/test_tamper.py (SQLite) and tests/postgres/test_pg_tamper.py: the statements are
plain SQL that both engines take.
"""

from __future__ import annotations

from dataclasses import dataclass

BID = "(SELECT id FROM bid WHERE reference = 'CRG-2425-007')"
FIRST_PAYMENT = "(SELECT min(id) FROM spend)"
OPEN_YEAR = "(SELECT id FROM funding_year WHERE label = '2025/26')"


@dataclass(frozen=True)
class Tamper:
    name: str
    statements: tuple[str, ...]
    # Each must appear in the output of `check` (and of `audit verify` when `verify` is set).
    names: tuple[str, ...]
    verify: bool = True
    # The demo stage it is made on (grants.demo.STAGES), or "rollover": the year end, rolled over.
    stage: str = "rollover"


TAMPERS = (
    Tamper(
        "award raised, alone",
        (f"UPDATE bid SET award_pence = 450000 WHERE id = {BID}",),
        ("CRG-2425-007",),
        verify=False,  # a cached figure: `check` re-derives it from the ledger
    ),
    Tamper(
        "award raised £3,500 to £4,500, its ledger entry and the pot's funding raised to match",
        (
            f"UPDATE bid SET award_pence = 450000 WHERE id = {BID}",
            f"UPDATE ledger_entry SET amount_pence = 450000 WHERE kind = 'award' AND bid_id = {BID}",
            "UPDATE ledger_entry SET amount_pence = amount_pence + 100000 WHERE kind = 'allocation' "
            "AND to_account = 'pot:upfront' AND year_id = (SELECT id FROM funding_year WHERE label = '2024/25')",
        ),
        ("award £4,500.00 pot:upfront → award:CRG-2425-007",),
        stage="tactical",
    ),
    Tamper(
        "a tactical award raised £3,000 to £4,000, its ledger entry and the pot's cache adjusted",
        (
            "UPDATE bid SET award_pence = 400000 WHERE reference = 'CRG-2425-010'",
            "UPDATE ledger_entry SET amount_pence = 400000 WHERE kind = 'award' AND bid_id = "
            "(SELECT id FROM bid WHERE reference = 'CRG-2425-010')",
            "UPDATE pot SET uncommitted_pence = uncommitted_pence - 100000 WHERE kind = 'tactical' "
            "AND year_id = (SELECT id FROM funding_year WHERE label = '2024/25')",
        ),
        ("award £4,000.00 pot:tactical → award:CRG-2425-010",),
        stage="tactical",
    ),
    Tamper(
        "£1,000,000 added from the funder to the tactical pot, pot cache adjusted",
        (
            "INSERT INTO ledger_entry (partnership_id, year_id, kind, from_account, to_account, amount_pence, "
            f"booked_on, actor_id, reason, created_at) VALUES (1, {OPEN_YEAR}, 'transfer', 'funder', "
            "'pot:tactical', 100000000, '2025-05-01', 3, 'top up', '2025-05-01 09:00:00')",
            f"UPDATE pot SET uncommitted_pence = uncommitted_pence + 100000000 WHERE kind = 'tactical' "
            f"AND year_id = {OPEN_YEAR}",
        ),
        ("£1,000,000.00 funder → pot:tactical",),
    ),
    Tamper(
        "a payment deleted with its ledger entry, spend row and caches",
        (
            "DELETE FROM ledger_entry WHERE id = (SELECT min(id) FROM ledger_entry WHERE kind = 'spend' "
            "AND bid_id = (SELECT bid_id FROM spend WHERE id = (SELECT min(id) FROM spend)) "
            "AND amount_pence = (SELECT amount_pence FROM spend WHERE id = (SELECT min(id) FROM spend)))",
            "UPDATE bid SET spent_pence = spent_pence - (SELECT amount_pence FROM spend WHERE id = "
            "(SELECT min(id) FROM spend)) WHERE id = (SELECT bid_id FROM spend WHERE id = (SELECT min(id) FROM spend))",
            "DELETE FROM spend WHERE id = (SELECT min(id) FROM (SELECT id FROM spend) AS s)",
        ),
        ("payment #1, written by",),
    ),
    Tamper(
        "a member's roles raised to every role",
        ("UPDATE member SET roles = 'officer,chair,pcc,treasurer,member' WHERE handle = 'wg-police'",),
        ("member wg-police",),
    ),
    Tamper(
        "a closed year set back to open",
        ("UPDATE funding_year SET status = 'open', closed_at = NULL WHERE label = '2024/25'",),
        ("year 2024/25",),
    ),
    Tamper(
        "the allocation changed",
        ("UPDATE funding_year SET allocation_pence = allocation_pence + 100000000 WHERE label = '2025/26'",),
        ("year 2025/26",),
    ),
    Tamper(
        "scores changed",
        (
            'UPDATE score_sheet SET scores = \'{"deliverable":5,"fit_csa":5,"fit_pcc":5,"need":5,'
            '"outcomes":5,"value":5}\' WHERE id = (SELECT min(id) FROM score_sheet)',
        ),
        ("score sheet #1 ",),
    ),
    Tamper(
        "a score sheet's stance changed",
        ("UPDATE score_sheet SET stance = 'oppose' WHERE id = (SELECT max(id) FROM score_sheet)",),
        ("score sheet #",),
    ),
    Tamper(
        "an interest declared behind grants' back",
        (
            "INSERT INTO interest (bid_id, member_id, reason, declared_by_id, created_at) VALUES "
            f"({BID}, (SELECT id FROM member WHERE handle = 'wg-police'), 'forged', 1, '2025-05-01 09:00:00')",
        ),
        ("declared interest #",),
    ),
    Tamper(
        "a payment's supplier changed",
        (f"UPDATE spend SET supplier = 'Evil Ltd' WHERE id = {FIRST_PAYMENT}",),
        ("payment #1 (£2,500.00 to 'Evil Ltd'",),
    ),
    Tamper(
        "a payment's date changed",
        (f"UPDATE spend SET paid_on = '2024-09-13' WHERE id = {FIRST_PAYMENT}",),
        ("payment #1 (£2,500.00 to 'ASB Training Partnership' on 2024-09-13",),
    ),
    Tamper(
        "a ledger entry's date changed",
        (
            "UPDATE ledger_entry SET booked_on = '2025-04-02' WHERE id = (SELECT min(id) FROM ledger_entry "
            "WHERE kind = 'spend')",
        ),  # fmt: skip
        ("a spend ledger entry with no payment to match (ledger entry #",),
    ),
    Tamper(
        "the newest audit event deleted, the partnership's audit head and count wound back",
        (
            "DELETE FROM audit_event WHERE seq = (SELECT audit_count FROM partnership WHERE id = 1) "
            "AND partnership_id = 1",
            "UPDATE partnership SET audit_head = (SELECT hash FROM audit_event WHERE partnership_id = 1 AND "
            "seq = partnership.audit_count - 1), audit_count = audit_count - 1 WHERE id = 1",
        ),
        ("year 2024/25", "was written after the newest audit event"),
    ),
    Tamper(
        "a superseded score sheet made current again",
        (
            "UPDATE score_sheet SET current = (1 = 1) WHERE id = (SELECT min(id) FROM score_sheet)",
            "UPDATE score_sheet SET current = (1 = 0) WHERE id = (SELECT max(id) FROM score_sheet)",
        ),  # fmt: skip
        ("score sheet #",),
    ),
)


def apply(url: str, tamper: Tamper) -> None:
    """Run the statements as someone with the database's own credentials would, outside grants."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for statement in tamper.statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
