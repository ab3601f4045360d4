"""shared.messaging.signing: a region signs what it sends; the hub checks the claimed sender."""

from __future__ import annotations

from shared.messaging.signing import region_key, sign, verify

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
