"""Hospital request signatures at the gateway (design §3): who signed, how fresh, only once."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

from shared.auth import institution_token, signature
from shared.errors import E9007, E9008, E9009, RelayError


class SignatureCheck:
    """Verifies ``x-tif-*`` headers; nonces are remembered for the freshness window.

    The nonce memory is per process: with several gateway processes a replay could reach another
    one within the window (a shared store is the reliability issue's concern).
    """

    def __init__(self, secret: str, window_s: float = 300.0) -> None:
        self._secret = secret
        self._window_s = window_s
        self._tokens: dict[str, str] = {}
        self._nonces: dict[str, float] = {}
        self._next_prune = 0.0

    def verify(self, headers: Mapping[str, str], fixmedins_code: str) -> None:
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
        key = f"{paasid}:{nonce}"
        if key in self._nonces:
            raise RelayError(E9008, detail="x-tif-nonce already used")
        self._nonces[key] = now + self._window_s
        if now >= self._next_prune:
            self._nonces = {k: t for k, t in self._nonces.items() if t > now}
            self._next_prune = now + 10
