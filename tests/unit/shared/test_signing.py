"""shared.messaging.signing: a region signs what it sends; the hub checks the claimed sender."""

from __future__ import annotations

import pytest

from shared.messaging.signing import RegionKeys, SenderCheck, region_key, sign, verify

SECRET = "unit-test-relay-secret"
BODY = b'{"msgid":"H11010500001202611231015000001","infno":"1101"}'


def test_sign_then_verify_roundtrip() -> None:
    key = region_key(SECRET, "110000")
    assert verify(key, BODY, sign(key, BODY))


def test_signature_is_hex_sha256() -> None:
    signature = sign(region_key(SECRET, "110000"), BODY)
    assert len(signature) == 64
    int(signature, 16)


def test_region_key_is_deterministic() -> None:
    assert region_key(SECRET, "110000") == region_key(SECRET, "110000")


def test_tampered_body_fails() -> None:
    key = region_key(SECRET, "110000")
    signature = sign(key, BODY)
    assert not verify(key, BODY.replace(b"1101", b"2304"), signature)


def test_tampered_signature_fails() -> None:
    key = region_key(SECRET, "110000")
    signature = sign(key, BODY)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify(key, BODY, flipped)


def test_empty_signature_fails() -> None:
    assert not verify(region_key(SECRET, "110000"), BODY, "")


def test_other_regions_key_fails() -> None:
    signature = sign(region_key(SECRET, "110000"), BODY)
    assert not verify(region_key(SECRET, "650100"), BODY, signature)


def test_other_deployments_secret_fails() -> None:
    signature = sign(region_key(SECRET, "110000"), BODY)
    assert not verify(region_key("another-secret", "110000"), BODY, signature)


def test_keys_differ_per_region() -> None:
    assert region_key(SECRET, "110000") != region_key(SECRET, "650100")


def test_region_keys_sign_what_they_check() -> None:
    keys = RegionKeys(SECRET)
    signature = keys.sign("110000", BODY)
    assert signature == sign(region_key(SECRET, "110000"), BODY)
    assert keys.check(BODY, "110000", signature) == SenderCheck("110000", signature_ok=True)


@pytest.mark.parametrize(
    ("claimed", "signature", "why"),
    [
        ("650100", sign(region_key(SECRET, "110000"), BODY), "another region's signature"),
        ("110000", sign(region_key("another-secret", "110000"), BODY), "another deployment"),
        ("110000", "", "no signature header"),
        ("", sign(region_key(SECRET, ""), BODY), "no sender header"),
        ("110000", "not hex at all", "garbage"),
    ],
)
def test_region_keys_refuse_a_sender_that_did_not_sign(
    claimed: str, signature: str, why: str
) -> None:
    assert RegionKeys(SECRET).check(BODY, claimed, signature) == SenderCheck(
        claimed, signature_ok=False
    ), why


def test_region_keys_check_the_body_they_are_given() -> None:
    keys = RegionKeys(SECRET)
    signature = keys.sign("110000", BODY)
    assert not keys.check(BODY.replace(b"1101", b"2304"), "110000", signature).signature_ok
