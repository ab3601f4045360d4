"""Schemathesis hooks: sign every generated gateway request, as a real HIS would, and send the
operator token (with the personal-data right) to every other route.

Unsigned, every generated call would stop at the signature check (E9007), and without the token
every admin call at the operator check (401); with both, the ones that parse reach the handlers,
which is where a 500 would hide.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import schemathesis

from tests.e2e.harness import OPERATOR_PII, signed

HOSPITAL = "H11000000001"
_SEQ = itertools.count(5000)


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:  # noqa: ARG001  (the hook's signature)
    """Most generated envelopes name no real institution: give them one, and a fitting msgid."""
    if isinstance(body, dict) and "fixmedins_code" in body:
        body["fixmedins_code"] = HOSPITAL
        body["mdtrtarea_admvs"] = "110000"
        body["msgid"] = f"{HOSPITAL}{time.strftime('%Y%m%d%H%M%S')}{next(_SEQ) % 10000:04d}"
    return body


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:  # noqa: ARG001
    code = case.body.get("fixmedins_code") if isinstance(case.body, dict) else None
    if isinstance(code, str) and code:
        case.headers = {**(case.headers or {}), **signed(code)}
    else:
        case.headers = {**(case.headers or {}), **OPERATOR_PII}
