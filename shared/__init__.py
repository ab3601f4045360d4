"""Code shared by the three services.

Only the pure parts are re-exported here (money, errors, regions), so that a service's
domain layer can import ``shared`` without pulling in I/O libraries. I/O helpers live in
``shared.db``, ``shared.messaging``, ``shared.envelope``, ``shared.settings``, ``shared.logging``.
"""

from shared.errors import CATALOGUE, ErrorSpec, RelayError
from shared.money import CENT, ZERO, format_amount, parse_amount, to_cents
from shared.regions import REGIONS, Region, Route, route_between

__all__ = [
    "CATALOGUE",
    "CENT",
    "REGIONS",
    "ZERO",
    "ErrorSpec",
    "Region",
    "RelayError",
    "Route",
    "format_amount",
    "parse_amount",
    "route_between",
    "to_cents",
]
