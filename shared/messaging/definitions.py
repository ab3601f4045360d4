"""The broker's users, permissions and policies as RabbitMQ definitions (design §4).

``deploy/rabbitmq/definitions.json`` is written by this module and read by both deployments:
compose loads it at the broker's start, and ``deploy/local/infra.sh`` imports it into each
vhost it makes. Regenerate it after a change of pools or permissions::

    python -m shared.messaging.definitions > deploy/rabbitmq/definitions.json

The passwords are the development defaults ("relay"); a real deployment sets its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from shared.messaging import topology
from shared.regions import POOLS

VHOST = "relay"
PLATFORM_USER = "relay"
DEV_PASSWORD = "relay"
HASHING = "rabbit_password_hashing_sha256"
COMMITTED = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's SHA-256 password hash: base64(salt ‖ sha256(salt ‖ password)), 4-byte salt."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def hash_matches(password: str, hashed: str) -> bool:
    raw = base64.b64decode(hashed)
    return password_hash(password, raw[:4]) == hashed


def build(previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The definitions; a user's hash is kept from ``previous`` while it still matches its
    password, so regenerating changes nothing that did not change."""
    kept = {u["name"]: u["password_hash"] for u in (previous or {}).get("users", [])}

    def user(name: str) -> dict[str, Any]:
        hashed = kept.get(name)
        if hashed is None or not hash_matches(DEV_PASSWORD, hashed):
            hashed = password_hash(DEV_PASSWORD)
        return {
            "name": name,
            "password_hash": hashed,
            "hashing_algorithm": HASHING,
            "tags": [],
            "limits": {},
        }

    regions = [topology.region_user(admdvs) for admdvs in POOLS]
    return {
        "rabbit_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "users": [user(PLATFORM_USER), *(user(name) for name in regions)],
        "vhosts": [{"name": VHOST}],
        "permissions": [
            {"user": PLATFORM_USER, "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"},
            *(
                {"user": topology.region_user(admdvs), "vhost": VHOST}
                | topology.region_permissions(admdvs)
                for admdvs in POOLS
            ),
        ],
        "topic_permissions": [
            {"user": topology.region_user(admdvs), "vhost": VHOST} | permission
            for admdvs in POOLS
            for permission in topology.region_topic_permissions(admdvs)
        ],
        "parameters": [],
        "global_parameters": [],
        "policies": [{"vhost": VHOST} | policy for policy in topology.policies()],
        "queues": [],
        "exchanges": [],
        "bindings": [],
    }


def render(definitions: dict[str, Any]) -> str:
    return json.dumps(definitions, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    previous = json.loads(COMMITTED.read_text(encoding="utf-8")) if COMMITTED.exists() else None
    sys.stdout.write(render(build(previous)))
