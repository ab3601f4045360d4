"""One canonical form of a JSON body, for "is this the same request again?"."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def canonical_hash(body: Any) -> str:
    """SHA-256 of the body as JSON with sorted keys: equal for equal content in any key order.

    The body is what the wire model dumps (``model_dump(mode="json")``), so two requests that
    write the same value in two forms (a number as text, a date with a time) hash alike.
    """
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
