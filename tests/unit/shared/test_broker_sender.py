"""Who sent a message, as the broker vouches, and where its answer may go (design §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.insured_region.entrypoints.consumer import answer_goes_back, sender_refusal
from services.national_hub.settings import Settings as HubSettings
from shared.envelope import MessageKind, RelayEnvelope
from shared.errors import E5001, E5004, E9002
from shared.messaging import topology
from shared.regions import PLATFORM

PLATFORM_USER = "relay"


@pytest.mark.parametrize(
    ("user_id", "sender"),
    [
        ("region_110000", "110000"),
        ("relay", PLATFORM),
        (None, None),  # RabbitMQ checks user_id only when it is set: unverified
        ("", None),
        ("guest", None),
        ("region_11000", None),
        ("region_110000x", None),
    ],
)
def test_the_sender_is_a_region_the_platform_or_unverified(
    user_id: str | None, sender: str | None
) -> None:
    assert topology.sender_of(user_id, PLATFORM_USER) == sender


def test_without_a_platform_user_nobody_is_the_platform() -> None:
    assert topology.sender_of("relay", None) is None


@pytest.mark.parametrize(
    ("reply_to", "region", "ok"),
    [
        ("reply.110000.treating_region.ab12", "110000", True),
        ("reply.120000.treating_region.ab12", "110000", False),
        ("reply.1100001.x", "110000", False),
        ("treating.110000", "110000", False),
        ("insured.110000", "110000", False),
        (None, "110000", False),
        ("reply.110000.x", None, False),
    ],
)
def test_an_answer_goes_only_to_the_senders_reply_queue(
    reply_to: str | None, region: str | None, ok: bool
) -> None:
    assert topology.reply_to_is_of(reply_to, region) is ok


def request(**fields: object) -> RelayEnvelope:
    values: dict[str, object] = {
        "msgid": "H110000000012026120300000001",
        "infno": "1101",
        "kind": MessageKind.REQUEST,
        "sender_admdvs": "110000",
        "mdtrtarea_admvs": "110000",
        "insuplc_admdvs": "650100",
        "deadline": datetime.now(UTC) + timedelta(seconds=10),
        "reply_to": "reply.110000.treating_region.ab12",
        "payload": {},
    }
    return RelayEnvelope.model_validate(values | fields)


@pytest.mark.parametrize(
    ("envelope", "sender", "code", "answered"),
    [
        pytest.param(request(), "110000", None, True, id="its_treating_region"),
        pytest.param(request(), PLATFORM, None, True, id="the_platform_for_it"),
        pytest.param(request(), None, E5004.code, False, id="unverified_never_answered"),
        pytest.param(request(), "120000", E5004.code, False, id="another_region_not_answered"),
        pytest.param(
            request(sender_admdvs="120000", mdtrtarea_admvs="120000"),
            "120000",
            None,
            False,
            id="reply_to_of_another_region",
        ),
        pytest.param(
            request(insuplc_admdvs="220100"), "110000", E5001.code, True, id="not_this_region"
        ),
        pytest.param(
            request(kind=MessageKind.REPLY), "110000", E9002.code, False, id="not_a_request"
        ),
    ],
)
def test_the_insured_region_refuses_and_answers_only_as_the_broker_vouches(
    envelope: RelayEnvelope, sender: str | None, code: str | None, answered: bool
) -> None:
    refusal = sender_refusal("650100", envelope, sender)
    assert (refusal.code if refusal else None) == code
    assert answer_goes_back(envelope, sender) is answered


@pytest.mark.parametrize(
    ("user", "password", "netloc"),
    [
        ("region_110000", "relay", "region_110000:relay@127.0.0.1:5672"),
        ("region_110000", "p@ss:w/rd#%", "region_110000:p%40ss%3Aw%2Frd%23%25@127.0.0.1:5672"),
    ],
)
def test_credentials_are_escaped_in_the_url(user: str, password: str, netloc: str) -> None:
    url = topology.with_credentials("amqp://relay:relay@127.0.0.1:5672/relay", user, password)
    assert url == f"amqp://{netloc}/relay"
    assert topology.user_of(url) == user


def test_an_ipv6_broker_keeps_its_brackets() -> None:
    url = topology.with_credentials("amqp://relay:relay@[::1]:5672/relay", "region_110000", "x")
    assert url == "amqp://region_110000:x@[::1]:5672/relay"


def test_a_services_amqp_url_may_not_name_a_region_user() -> None:
    """The URL's user is trusted as the platform: a region's user there would speak for it."""
    with pytest.raises(ValidationError, match="region user region_110000"):
        HubSettings(amqp_url="amqp://region_110000:relay@127.0.0.1:5672/relay")
    assert HubSettings(amqp_url="amqp://relay:relay@127.0.0.1:5672/relay").amqp_url
