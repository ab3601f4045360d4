"""Relay message signatures: the hub refuses a message whose claimed sender region did not sign it.

Each region's key is derived from the deployment's relay secret (HMAC-SHA256 of the region code),
so a process holds only the keys of the regions it serves plus, at the hub, all of them.
"""

from __future__ import annotations

import hashlib
import hmac


def region_key(secret: str, admdvs: str) -> bytes:
    return hmac.new(secret.encode(), admdvs.encode(), hashlib.sha256).digest()


def sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(key: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, body), signature)
