"""The detail a hospital clerk reads is Chinese (issue 12 item 11; 天津 §七(二): 简明扼要).

``err_msg`` is "[code] 中文原因（detail）。中文做法": the reason and what to do come from the one
catalogue (shared/errors.py), the detail from the call that raised. So every ``detail`` written in
``services/`` and ``shared/`` must read as Chinese too. It may name a field the way the hospital's
system spells it (``mdtrt_id``, ``msgid``, ``dscginfo.endtime``) and carry values (codes, dates,
amounts), but no English words: English is for ``err_msg_en``, which the catalogue writes.

Checked by reading the source (ast), not by running it: every string literal, and every constant
part of an f-string, inside the ``detail`` of a ``RelayError(...)``, the ``detail`` of the hub's
``Refuse(...)`` (it becomes the reply's ``err_detail``), and any ``err_detail=`` a call stores for
a later answer. Details computed at run time (``"; ".join(problems)``, ``str(exc)``) are not seen
here; the functions that build them are written in Chinese alike.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import services
from services.national_hub.entrypoints import routes_supervision
from services.treating_region.entrypoints import schemas
from shared import envelope

ROOT = Path(services.__file__).resolve().parent.parent
SOURCES = sorted(p for top in ("services", "shared") for p in (ROOT / top).rglob("*.py"))


def _wire_field_names() -> frozenset[str]:
    """Every field name of the hospital interface (the national envelope and the inputs of each
    infno) and of the offices' supervision interface, as their systems spell it: a detail may
    name any of them."""
    names: set[str] = set()
    for module in (envelope, schemas, routes_supervision):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                for name, info in value.model_fields.items():
                    names.add(name)
                    if info.alias:
                        names.add(info.alias)
    return frozenset(names)


FIELD_NAMES = _wire_field_names()

ALLOWED = frozenset(
    {
        "setlinfo",  # the parts of a settlement's answer, as the national interface names them
        "setldetail",  # (docs/codes.md); they are not input models, so not in FIELD_NAMES
        "Unix",  # "Unix 时间戳": the name of the timestamp format x-tif-timestamp takes
        "JSON",  # the body's format, as the catalogue's E9001 names it ("报文不是有效的 JSON")
        "UTF",  # of "UTF-8", the encoding a body must have
        "true",  # the JSON values a yes-or-no field takes, as they are sent
        "false",
    }
)
"""Words that are neither a wire field nor an identifier, and still right in a Chinese detail."""

HEADER = re.compile(r"\bx-tif-[a-z]+")
"""The signature headers (x-tif-paasid, -timestamp, -nonce, -signature) are named as sent."""
TOKEN = re.compile(r"[A-Za-z0-9_]+")


def english_words(text: str) -> list[str]:
    """The words of ``text`` that are English rather than a name or a value.

    Allowed: anything with a digit or an underscore (codes such as E4007 and 2303, identifiers
    such as mdtrt_id), words under 3 letters, wire field names, x-tif-* headers, ``ALLOWED``.
    """
    words = []
    for token in TOKEN.findall(HEADER.sub(" ", text)):
        if len(token) < 3 or "_" in token or any(c.isdigit() for c in token):
            continue
        if token in FIELD_NAMES or token in ALLOWED:
            continue
        words.append(token)
    return words


def _strings(node: ast.AST) -> Iterator[str]:
    """The text written in an expression: its str constants and the fixed parts of f-strings."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def details(tree: ast.AST) -> Iterator[tuple[int, ast.expr]]:
    """Each detail expression: RelayError(spec, detail=…), Refuse(spec, detail, route), and
    err_detail=… of any call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        for keyword in node.keywords:
            if (keyword.arg == "detail" and called in ("RelayError", "Refuse")) or (
                keyword.arg == "err_detail"
            ):
                yield node.lineno, keyword.value
        if called == "Refuse" and len(node.args) >= 2:
            yield node.lineno, node.args[1]


def findings(source: str) -> list[str]:
    found = []
    for line, expr in details(ast.parse(source)):
        for text in _strings(expr):
            words = english_words(text)
            if words:
                found.append(f"{line}: {text!r} ({', '.join(words)})")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_details_a_clerk_reads_are_chinese(path: Path) -> None:
    found = findings(path.read_text(encoding="utf-8"))
    assert not found, "English in a detail; write it in plain Chinese:\n" + "\n".join(found)


def test_sources_are_found() -> None:
    assert any(p.name == "reversal.py" for p in SOURCES)
    assert {"mdtrt_id", "msgid", "certno", "feedetail", "insuplc_admdvs"} <= FIELD_NAMES


@pytest.mark.parametrize(
    "source",
    [
        'raise RelayError(E3002, detail=f"{mdtrt_id} changed meanwhile; try again")',
        'raise RelayError(E2002, detail="enddate is before begndate")',
        "raise RelayError(E9007, detail=(\n    'x-tif-signature '\n    'is wrong'\n))",
        'return Refuse(E5005, "deadline passed before forwarding", route)',
        'await answer(pool, msgid, err_detail=f"reversed by {by}")',
        'raise RelayError(E2008, detail=code or "opsp_dise_code missing")',
        'raise RelayError(E9002, detail=f"{where}.{detail}: {x!r:>{width}} not allowed")',
    ],
)
def test_english_is_caught(source: str) -> None:
    assert findings(source)


@pytest.mark.parametrize(
    "source",
    [
        'raise RelayError(E3002, detail=f"就诊 {mdtrt_id} 状态刚刚变化，请重试")',
        'raise RelayError(E2001, detail=f"就医地 {admdvs}，就诊日期 {day.isoformat()}")',
        'raise RelayError(E9002, detail="字段 dscginfo.endtime：出院时间早于入院时间")',
        'raise RelayError(E9007, detail="请求头 x-tif-signature 校验不通过")',
        "raise RelayError(E9010, detail=f\"sign_no {sign_no or '未填写'}\")",
        "raise RelayError(E4007, detail=msgid)",
        "raise RelayError(E3005, detail=str(exc))",
        'log.warning("refused %s", detail)',
        'raise ValueError(f"med_type {x} is not settled")',
    ],
)
def test_chinese_names_and_values_pass(source: str) -> None:
    assert findings(source) == []
