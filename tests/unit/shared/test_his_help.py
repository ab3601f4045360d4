"""shared.his_help: the HIS vendor's "help when it fails" covers the whole error catalogue."""

from __future__ import annotations

import dataclasses
import re

import pytest

from shared.errors import CATALOGUE
from shared.his_help import HIS_HELP, UNCOVERED, HisHelp, help_for

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CODES = sorted(CATALOGUE)


def test_every_catalogue_code_has_help() -> None:
    missing = sorted(CATALOGUE.keys() - HIS_HELP.keys())
    assert missing == [], f"no HIS help for {missing}"
    assert not UNCOVERED


def test_no_help_names_a_code_outside_the_catalogue() -> None:
    unknown = sorted(HIS_HELP.keys() - CATALOGUE.keys())
    assert unknown == [], f"HIS help for codes the catalogue does not have: {unknown}"


@pytest.mark.parametrize("code", CODES)
def test_help_for_finds_the_entry(code: str) -> None:
    found = help_for(code)
    assert isinstance(found, HisHelp)
    assert found is HIS_HELP[code]


@pytest.mark.parametrize("code", ["E0000", "E7001", "", "e1001", "1001"])
def test_help_for_an_unknown_code_is_none(code: str) -> None:
    assert help_for(code) is None


@pytest.mark.parametrize("code", CODES)
def test_each_entry_gives_causes_and_checks_in_chinese(code: str) -> None:
    entry = HIS_HELP[code]
    for part in (entry.causes, entry.checks):
        assert isinstance(part, tuple)
        assert 1 <= len(part) <= 3
        for sentence in part:
            assert isinstance(sentence, str)
            assert sentence.strip() == sentence
            assert sentence
            assert CHINESE.search(sentence), f"{code}: not Chinese: {sentence!r}"


@pytest.mark.parametrize("code", CODES)
def test_no_sentence_is_repeated_within_an_entry(code: str) -> None:
    entry = HIS_HELP[code]
    sentences = [*entry.causes, *entry.checks]
    assert len(sentences) == len(set(sentences))


def test_unknown_outcome_says_query_the_message_or_reverse_it() -> None:
    checks = "".join(HIS_HELP["E5002"].checks)
    assert "2601" in checks
    assert "GET /fsi/messages/{msgid}" in checks
    assert "msgid" in checks


def test_causes_that_are_not_the_hospitals_say_so() -> None:
    for code in ("E5002", "E5003", "E5004", "E5005", "E5999"):
        assert HIS_HELP[code].causes[0].startswith("非 HIS 问题"), code


def test_help_names_the_national_fields() -> None:
    assert "insuplc_admdvs" in "".join(HIS_HELP["E2001"].causes)
    assert "feedetl_sn" in "".join(HIS_HELP["E3003"].causes)
    assert "init_feedetl_sn" in "".join(HIS_HELP["E3004"].checks)
    assert "setl_id" in "".join(HIS_HELP["E4003"].checks)
    assert "sign_no" in "".join(HIS_HELP["E9010"].checks)


def test_entries_are_frozen() -> None:
    entry = HIS_HELP["E1001"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.causes = ()  # type: ignore[misc]
