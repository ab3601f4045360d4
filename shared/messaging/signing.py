"""Relay message signatures: the hub refuses a message whose claimed sender region did not sign it.

Each region's key is derived from the deployment's relay secret (HMAC-SHA256 of the region code),
so a process holds only the keys of the regions it serves plus, at the hub, all of them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


def region_key(secret: str, admdvs: str) -> bytes:
    return hmac.new(secret.encode(), admdvs.encode(), hashlib.sha256).digest()


def sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(key: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, body), signature)


@dataclass(frozen=True, slots=True)
class SenderCheck:
    """What the consumer edge found in a delivered message: the sender region its headers claim,
    and whether that region's key signed the body."""

    claimed: str
    signature_ok: bool


class RegionKeys:
    """Each region's key, derived once per process from the relay secret: the one cache that both
    signs what a process publishes and checks what it receives."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._keys: dict[str, bytes] = {}

    def key(self, admdvs: str) -> bytes:
        key = self._keys.get(admdvs)
        if key is None:
            key = self._keys[admdvs] = region_key(self._secret, admdvs)
        return key

    def sign(self, admdvs: str, body: bytes) -> str:
        return sign(self.key(admdvs), body)

    def check(self, body: bytes, claimed: str, signature: str) -> SenderCheck:
        """No claim or no signature is a failed check, never an exception."""
        ok = bool(claimed and signature) and verify(self.key(claimed), body, signature)
        return SenderCheck(claimed, ok)
