"""The treating region's unit of work (``shared/unit_of_work.py``): ``uow.visits`` and
``uow.ledger`` speak for its transaction. A use case that relays between two short transactions
(none is held across the network round trip) opens a second one (``ctx.uow()``) after it.

The settle path's single statements (``to_settling``, the splits read, the ledger's record) do
not come here: on the pool each is its own autocommitted transaction, while a transaction here
costs a BEGIN and a COMMIT round trip more.
"""

from __future__ import annotations

import asyncpg

from services.treating_region.adapters.ledger import Ledger
from services.treating_region.adapters.visits import Visits
from shared import unit_of_work


class UnitOfWork(unit_of_work.UnitOfWork):
    _visits: Visits | None = None
    _ledger: Ledger | None = None

    def _bind(self, conn: asyncpg.Connection) -> None:
        self._visits, self._ledger = Visits(conn), Ledger(conn)

    def _unbind(self) -> None:
        self._visits = self._ledger = None

    @property
    def visits(self) -> Visits:
        return self._open(self._visits)

    @property
    def ledger(self) -> Ledger:
        return self._open(self._ledger)
