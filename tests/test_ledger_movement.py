"""A payment line's ledger movement has two forms in grants.ledger: Python for `spend add`, SQL for
an import's one INSERT … SELECT. They must give the same kinds, accounts, amounts and reasons."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, create_engine, select

from grants.ledger import payment_movement, payment_movement_sql

LINES = [
    ("CRG-2425-001", 120_000, "ASB Training Partnership", "T-1"),
    ("CRG-2425-001", -15_000, "ASB Training Partnership", "T-1C"),
    ("CRG-2627-114", 1, "O'Brien & Sons — Café", "INV‐007 a"),
    ("CRG-2627-114", -1, "Supplier", "cn/2"),
]


@pytest.mark.parametrize("line", LINES, ids=[f"{r}:{p}" for r, p, _, _ in LINES])
def test_the_sql_movement_is_the_python_movement(line: tuple[str, int, str, str]) -> None:
    table = Table(
        "line",
        MetaData(),
        Column("reference", String(40)),
        Column("pence", BigInteger),
        Column("supplier", String(200)),
        Column("invoice", String(100)),
    )
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        table.create(connection)
        reference, pence, supplier, invoice = line
        connection.execute(
            table.insert().values(reference=reference, pence=pence, supplier=supplier, invoice=invoice)
        )
        c = table.c
        movement = payment_movement_sql(c.reference, c.pence, c.supplier, c.invoice)
        found = tuple(connection.execute(select(*movement)).one())
    assert found == tuple(payment_movement(*line))
