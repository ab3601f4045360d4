"""The broker definitions both deployments load (compose, and infra.sh per vhost) are the ones
the topology module describes: every pool has its user, rights and policies (design §4)."""

from __future__ import annotations

import json

import pytest

from shared.messaging import definitions, topology
from shared.regions import POOLS

RABBITMQ_MADE = "r0BV//CfAvRAqnuhA5HGmdkklooBX+yDraaa00rzZqBFMzBB"
"""``relay`` hashed by RabbitMQ itself (rabbitmqctl add_user): a vector from the real thing."""


def committed() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(definitions.COMMITTED.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_definitions_are_what_the_topology_says() -> None:
    """Regenerate with ``python -m shared.messaging.definitions`` when this fails."""
    text = definitions.COMMITTED.read_text(encoding="utf-8")
    assert text == definitions.render(definitions.build(committed()))


def test_every_pool_has_a_broker_user_with_its_own_rights() -> None:
    data = committed()
    users = {u["name"] for u in data["users"]}  # type: ignore[attr-defined]
    assert users == {"relay", *(topology.region_user(p) for p in POOLS)}
    rights = {p["user"]: p for p in data["permissions"]}  # type: ignore[attr-defined]
    for admdvs in POOLS:
        own = rights[topology.region_user(admdvs)]
        assert f"insured\\.{admdvs}" in own["read"]
        assert all(f"insured\\.{other}" not in own["read"] for other in POOLS if other != admdvs)


@pytest.mark.parametrize(
    ("password", "hashed", "matches"),
    [
        ("relay", RABBITMQ_MADE, True),
        ("relax", RABBITMQ_MADE, False),
        ("relay", definitions.password_hash("relay"), True),
        ("", definitions.password_hash("relay"), False),
    ],
)
def test_password_hashes_are_rabbitmqs(password: str, hashed: str, matches: bool) -> None:
    assert definitions.hash_matches(password, hashed) is matches


def test_infra_script_imports_the_same_definitions() -> None:
    script = (definitions.COMMITTED.parents[1] / "local" / "infra.sh").read_text(encoding="utf-8")
    assert "import_definitions" in script
    assert 'rabbitmq" && pwd)/definitions.json' in script
