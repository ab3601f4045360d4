"""Hospital request signatures at the gateway (design §3): who signed, how fresh, only once."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping

from fastapi import Request

from services.treating_region.adapters.messages import Nonce
from shared.auth import institution_token, signature
from shared.errors import E9007, E9008, E9009, RelayError
from shared.web import StatusError

WINDOW_S = 300.0
"""How far a timestamp may be from now; nonces are remembered at least this long."""

NONCE_MAX_LENGTH = 128
"""A nonce is kept whole (never truncated): a longer one is refused, not shortened."""

_STAMP = re.compile(r"^(\d{10}|\d{13})$")
MILLISECONDS_FROM = 10**11
"""Unix seconds have 10 digits until the year 5138; milliseconds have 13 today."""


def sent_at(stamp: str) -> float:
    """``x-tif-timestamp`` as Unix seconds: real clients send seconds (10 digits), some send
    milliseconds (13); the magnitude tells them apart."""
    text = stamp.strip()
    if not _STAMP.match(text):
        raise ValueError(f"不是 10 位（秒）或 13 位（毫秒）的时间戳：{text!r}")
    value = int(text)
    return value / 1000 if value >= MILLISECONDS_FROM else float(value)


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
            raise RelayError(
                E9007,
                detail="请求头 x-tif-paasid、x-tif-timestamp、x-tif-nonce、x-tif-signature "
                "均须填写",
            )
        token = self._tokens.get(paasid)
        if token is None:
            token = self._tokens[paasid] = institution_token(self._secret, paasid)
        if not hmac.compare_digest(signature(stamp, token, nonce), signed.lower()):
            raise RelayError(E9007, detail="请求头 x-tif-signature 校验不通过")
        if paasid != fixmedins_code:
            raise RelayError(
                E9009, detail=f"x-tif-paasid {paasid} 与 fixmedins_code {fixmedins_code} 不一致"
            )
        if len(nonce) > NONCE_MAX_LENGTH:
            raise RelayError(E9008, detail=f"x-tif-nonce 长度超过 {NONCE_MAX_LENGTH} 个字符")
        now = time.time()
        try:
            sent = sent_at(stamp)
        except ValueError as exc:
            raise RelayError(E9008, detail="x-tif-timestamp 应为 Unix 时间戳（秒或毫秒）") from exc
        if abs(now - sent) > self._window_s:
            raise RelayError(
                E9008, detail=f"x-tif-timestamp 与平台时间相差 {abs(now - sent):.0f} 秒"
            )
        return Nonce(paasid, nonce, stamp.strip())


def signed_reader(request: Request) -> str:
    """The institution (``x-tif-paasid``) whose signature a read carries, checked with its
    timestamp (HTTP 401 otherwise). Reads are always signed, whatever ``require_signature``
    says: the signature is how the relay knows whose records the caller may see. The nonce is
    not recorded: a read changes nothing, and an upload taken once per number changes nothing
    twice."""
    paasid = request.headers.get("x-tif-paasid", "")
    try:
        checks: SignatureCheck = request.app.state.read_signatures
        checks.verify(request.headers, paasid)
    except RelayError as exc:
        raise StatusError(exc.spec, status_code=401, detail=exc.detail) from exc
    return paasid
