"""Hospital request signatures, the gateway convention of design §3.

``x-tif-signature`` = hex SHA-256 of ``timestamp + token + nonce + timestamp``; the paasid names
the institution's credentials. Verification (stale timestamps, reused nonces) belongs to the
gateway; this module only computes.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid


def signature(timestamp: str, token: str, nonce: str) -> str:
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def institution_token(secret: str, fixmedins_code: str) -> str:
    """Each institution's token, derived from the deployment secret (configuration, not data)."""
    return hmac.new(secret.encode(), fixmedins_code.encode(), hashlib.sha256).hexdigest()


def signed_headers(fixmedins_code: str, token: str, timestamp: str) -> dict[str, str]:
    nonce = uuid.uuid4().hex
    return {
        "x-tif-paasid": fixmedins_code,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": signature(timestamp, token, nonce),
    }
