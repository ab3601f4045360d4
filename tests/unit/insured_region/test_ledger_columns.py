"""The ledger's settlement record and the table agree on every column (migrations own the table,
the ORM maps it for admin reads, the ledger writes it with plain statements)."""

from __future__ import annotations

from dataclasses import fields

from services.insured_region.adapters.ledger import (
    ACCUMULATOR_COLUMNS,
    MONEY_COLUMNS,
    SETTLEMENT_COLUMNS,
    Settlement,
)
from services.insured_region.adapters.orm import AccumulatorRow, SettlementRow
from services.insured_region.domain.breakdown import Accumulators


def test_the_settlement_record_has_exactly_the_tables_columns() -> None:
    assert set(SETTLEMENT_COLUMNS) == {c.name for c in SettlementRow.__table__.columns}


def test_every_amount_column_is_money_on_the_record() -> None:
    types = {f.name: f.type for f in fields(Settlement)}
    assert all(types[name] == "Decimal" for name in MONEY_COLUMNS)


def test_the_accumulator_columns_are_the_domains_counters() -> None:
    counters = {f.name for f in fields(Accumulators)} - {"year", "chronic"}
    assert set(ACCUMULATOR_COLUMNS) == counters
    table = {c.name for c in AccumulatorRow.__table__.columns}
    assert set(ACCUMULATOR_COLUMNS) <= table
