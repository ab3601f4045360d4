"""Hospital request signatures at the gateway (design §3): who signed, how fresh, only once."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

from services.treating_region.adapters.messages import Nonce
from shared.auth import institution_token, signature
from shared.errors import E9007, E9008, E9009, RelayError

WINDOW_S = 300.0
"""How far a timestamp may be from now; nonces are remembered at least this long."""


class SignatureCheck:
    """Verifies ``x-tif-*`` headers and returns the nonce, which the gateway accepts once
    (recorded with the message's claim, across every gateway process)."""

    def __init__(self, secret: str, window_s: float = WINDOW_S) -> None:
        self._secret = secret
        self._window_s = window_s
        self._tokens: dict[str, str] = {}

    def verify(self, headers: Mapping[str, str], fixmedins_code: str) -> Nonce:
        paasid = headers.get("x-tif-paasid", "")
        stamp = headers.get("x-tif-timestamp", "")
        nonce = headers.get("x-tif-nonce", "")
        signed = headers.get("x-tif-signature", "")
        if not (paasid and stamp and nonce and signed):
            raise RelayError(E9007, detail="x-tif-paasid, -timestamp, -nonce, -signature needed")
        token = self._tokens.get(paasid)
        if token is None:
            token = self._tokens[paasid] = institution_token(self._secret, paasid)
        if not hmac.compare_digest(signature(stamp, token, nonce), signed.lower()):
            raise RelayError(E9007, detail="x-tif-signature")
        if paasid != fixmedins_code:
            raise RelayError(E9009, detail=f"{paasid} ≠ {fixmedins_code}")
        now = time.time()
        try:
            sent = int(stamp) / 1000
        except ValueError as exc:
            raise RelayError(E9008, detail="x-tif-timestamp is not milliseconds") from exc
        if abs(now - sent) > self._window_s:
            raise RelayError(E9008, detail=f"x-tif-timestamp {abs(now - sent):.0f} s off")
        return Nonce(paasid, nonce[:64])
