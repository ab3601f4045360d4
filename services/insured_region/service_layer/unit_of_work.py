"""The insured region's unit of work (``shared/unit_of_work.py``): ``uow.ledger`` and
``uow.filings`` speak for its transaction."""

from __future__ import annotations

import asyncpg

from services.insured_region.adapters.filings import FilingMarks
from services.insured_region.adapters.ledger import Ledger
from shared import unit_of_work


class UnitOfWork(unit_of_work.UnitOfWork):
    _ledger: Ledger | None = None
    _filings: FilingMarks | None = None

    def _bind(self, conn: asyncpg.Connection) -> None:
        self._ledger, self._filings = Ledger(conn), FilingMarks(conn)

    def _unbind(self) -> None:
        self._ledger = self._filings = None

    @property
    def ledger(self) -> Ledger:
        return self._open(self._ledger)

    @property
    def filings(self) -> FilingMarks:
        return self._open(self._filings)
