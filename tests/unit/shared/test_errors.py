"""shared.errors: the one catalogue (design §9) and the exception that carries its codes."""

from __future__ import annotations

import re

import pytest

from shared import errors
from shared.errors import CATALOGUE, E1001, E2001, E5001, E5999, ErrorSpec, RelayError, lookup

CODE_PATTERN = re.compile(r"^E[1-69]\d{3}$")

CATEGORY_BY_PREFIX = {
    "E1": {"identity"},
    "E2": {"filing"},
    "E3": {"visit"},
    "E4": {"settlement"},
    "E5": {"relay", "system"},
    "E6": {"reconciliation", "clearing", "supervision"},
    "E9": {"input"},
}

SPECS = list(CATALOGUE.values())


def test_catalogue_is_not_empty() -> None:
    assert len(CATALOGUE) >= 10


def test_catalogue_keys_are_the_spec_codes() -> None:
    assert all(code == spec.code for code, spec in CATALOGUE.items())


def test_codes_are_unique() -> None:
    codes = [spec.code for spec in SPECS]
    assert len(codes) == len(set(codes))


def test_every_module_level_spec_is_in_the_catalogue() -> None:
    module_specs = {
        name: value for name, value in vars(errors).items() if isinstance(value, ErrorSpec)
    }
    assert module_specs
    for name, spec in module_specs.items():
        assert name == spec.code
        assert CATALOGUE[spec.code] is spec


def test_registering_a_duplicate_code_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        errors._spec("E1001", "identity", "重复", "Duplicate.", "None.", "无。")
    assert CATALOGUE["E1001"] is E1001


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_code_shape(spec: ErrorSpec) -> None:
    assert CODE_PATTERN.match(spec.code)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_category_matches_code_prefix(spec: ErrorSpec) -> None:
    allowed = CATEGORY_BY_PREFIX.get(spec.code[:2])
    assert allowed is not None, f"no category known for prefix {spec.code[:2]}"
    assert spec.category in allowed


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_every_spec_explains_itself(spec: ErrorSpec) -> None:
    assert spec.message_zh.strip()
    assert spec.message_en.strip()
    assert spec.action.strip()
    assert spec.action_en.strip()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_chinese_message_is_chinese(spec: ErrorSpec) -> None:
    assert re.search(r"[\u4e00-\u9fff]", spec.message_zh)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_what_to_do_is_said_in_chinese(spec: ErrorSpec) -> None:
    """A clerk acts on the message (天津 §七(二)): the action is Chinese; field names and
    transaction numbers may appear in it, English sentences may not."""
    assert re.search(r"[\u4e00-\u9fff]", spec.action)
    assert not re.search(r"\b(the|and|or|with|please|check|send)\b", spec.action, re.IGNORECASE)


def test_english_message_follows_for_developers() -> None:
    english = RelayError(E5001, detail="insuplc_admdvs 990000").english_message()
    assert E5001.message_en in english
    assert "insuplc_admdvs 990000" in english
    assert E5001.action_en in english


def test_relay_error_carries_its_spec_and_detail() -> None:
    exc = RelayError(E2001, detail="dest 650100")
    assert exc.spec is E2001
    assert exc.code == "E2001"
    assert exc.detail == "dest 650100"
    assert "E2001" in str(exc)
    assert "dest 650100" in str(exc)


def test_plain_message_contains_code_chinese_message_detail_and_action() -> None:
    message = RelayError(E5001, detail="insuplc_admdvs 990000").plain_message()
    assert "E5001" in message
    assert E5001.message_zh in message
    assert "insuplc_admdvs 990000" in message
    assert E5001.action in message


def test_plain_message_without_detail_has_no_empty_brackets() -> None:
    message = RelayError(E1001).plain_message()
    assert "E1001" in message
    assert E1001.message_zh in message
    assert "（）" not in message
    assert "()" not in message


def test_relay_error_is_an_exception() -> None:
    with pytest.raises(RelayError) as info:
        raise RelayError(E1001)
    assert info.value.detail == ""


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_lookup_finds_every_known_code(spec: ErrorSpec) -> None:
    assert lookup(spec.code) is spec


@pytest.mark.parametrize("code", ["E0000", "E7001", "", "e1001", "1001", "E5998"])
def test_lookup_of_unknown_code_is_internal_error(code: str) -> None:
    assert lookup(code) is E5999
