"""Text a database column cannot store is found, and named safely (the name goes into the
answer), before anything is written."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.web import StorableInput, unstorable


class Body(StorableInput):
    note: str | None = None


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": "ok", "b": ["x", "y\x00"]}, "b[1]"),
        ({"a": {"b": "\ud800"}}, "a.b"),
        ({"a\ud800": "fine"}, "报文"),  # a bad key is not echoed back
        ({"a": {"b\x00": "fine"}}, "a"),
        ({"a": "plain 中文", "b": [1, 2.5, None, True]}, None),
    ],
)
def test_unstorable_text_is_found(value: object, where: str | None) -> None:
    assert unstorable(value) == where


def test_a_body_nested_past_any_api_is_refused() -> None:
    deep: object = "x"
    for _ in range(40):
        deep = {"k": deep}
    assert unstorable(deep) is not None


def test_the_model_refuses_it_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="note"):
        Body.model_validate({"note": "a\x00b"})
    assert Body.model_validate({"note": "fine"}).note == "fine"
