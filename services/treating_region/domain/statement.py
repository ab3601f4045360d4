"""Hospital reconciliation as HIS clients call it (对账, seed 003 第三十一、四十条; design §8): the
hospital states its totals for a period (3201 对总账) or its settlements one by one in a detail
file (3202 对明细账), and the treating region answers from its own ledger.

Pure: the hospital's figures and the ledger's rows in, the result out. The detail file is a ZIP
holding one UTF-8 TXT, TAB-separated, a settlement a row — ``setl_id, mdtrt_id, psn_no,
medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag`` (docs/codes.md); the result file has
one row per settlement that disagrees — ``psn_no, mdtrt_id, setl_id, msgid, stmt_rslt,
refd_setl_flag, memo, medfee_sumamt, fund_pay_sumamt, acct_pay``, empty values as ``null``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

BALANCED = "000000"
"""对账结果 平."""
DIFFERENT = "000103"
"""数据不一致: the figures differ, or the hospital lacks a settlement the ledger holds."""
NOT_HERE = "000102"
"""平台无此流水: the hospital states a settlement the ledger does not hold."""

TOTALS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")
NAMES = {
    "medfee_sumamt": "医疗费总额",
    "fund_pay_sumamt": "基金支付总额",
    "acct_pay": "个人账户支付总额",
    "fixmedins_setl_cnt": "结算笔数",
}
DETAIL_COLUMNS = (
    "setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay",
    "refd_setl_flag",
)  # fmt: skip
RESULT_COLUMNS = (
    "psn_no", "mdtrt_id", "setl_id", "msgid", "stmt_rslt", "refd_setl_flag", "memo",
    "medfee_sumamt", "fund_pay_sumamt", "acct_pay",
)  # fmt: skip
MAX_ROWS = 100_000
MAX_UNZIPPED_BYTES = 50_000_000


@dataclass(frozen=True, slots=True)
class Totals:
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    fixmedins_setl_cnt: int


@dataclass(frozen=True, slots=True)
class TotalsResult:
    stmt_rslt: str
    description: str


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def compare_totals(stated: Totals, held: Totals) -> TotalsResult:
    """3201: balanced when every figure agrees; otherwise each one that differs, named, with
    both sides' values, in words the hospital's clerk reads."""
    differences = []
    for name in (*TOTALS, "fixmedins_setl_cnt"):
        ours, theirs = getattr(held, name), getattr(stated, name)
        if ours != theirs:
            shown = (str(theirs), str(ours)) if name == "fixmedins_setl_cnt" else (
                _yuan(theirs), _yuan(ours)
            )  # fmt: skip
            differences.append(f"{NAMES[name]}：医院 {shown[0]}，经办机构 {shown[1]}")
    if not differences:
        return TotalsResult(
            BALANCED,
            f"对账平：{held.fixmedins_setl_cnt} 笔，医疗费总额 {_yuan(held.medfee_sumamt)}，"
            f"基金支付 {_yuan(held.fund_pay_sumamt)}，个人账户 {_yuan(held.acct_pay)}",
        )
    return TotalsResult(
        DIFFERENT, "对账不平：" + "；".join(differences) + "。请以 3202 明细对账查找差异的结算"
    )


@dataclass(frozen=True, slots=True)
class Row:
    """A settlement, as the hospital's file states it or the ledger holds it."""

    setl_id: str
    mdtrt_id: str | None
    psn_no: str | None
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    refd_setl_flag: str
    msgid: str | None = None


class FileProblem(ValueError):
    """What cannot be read in a detail file, named by line and column (E9002 at the edge)."""


def read_detail_file(data: bytes) -> list[Row]:
    """The rows of a 3202 detail file: a ZIP of one TXT (a bare TXT is taken too).

    Tolerant about form: UTF-8 with or without a BOM (GBK when it is not UTF-8), LF or CRLF,
    a header line naming the columns may lead, blank lines are skipped, amounts as numbers with
    any decimals. Strict about meaning: each row has the seven columns, amounts are numbers.

    Raises:
        FileProblem: what cannot be read, naming the line and the column.
    """
    text = _text_of(data)
    rows = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("\t")]
        if number == 1 and cells and cells[0].lower() == "setl_id":
            continue  # a header line
        if len(cells) != len(DETAIL_COLUMNS):
            raise FileProblem(
                f"第 {number} 行有 {len(cells)} 列，应为 {len(DETAIL_COLUMNS)} 列（以 TAB 分隔："
                f"{'、'.join(DETAIL_COLUMNS)}）"
            )
        values = dict(zip(DETAIL_COLUMNS, cells, strict=True))
        amounts = {name: _amount(values, name, number) for name in TOTALS}
        if not values["setl_id"] or values["setl_id"] == "null":
            raise FileProblem(f"第 {number} 行第 1 列 setl_id 为空")
        flag = values["refd_setl_flag"] or "0"
        if flag not in ("0", "1"):
            raise FileProblem(
                f"第 {number} 行第 7 列 refd_setl_flag 应为 0 或 1，而非 {flag[:10]!r}"
            )
        if values["setl_id"] in seen:
            raise FileProblem(f"第 {number} 行第 1 列 setl_id {values['setl_id'][:30]} 重复")
        seen.add(values["setl_id"])
        rows.append(
            Row(
                values["setl_id"],
                _or_none(values["mdtrt_id"]),
                _or_none(values["psn_no"]),
                amounts["medfee_sumamt"],
                amounts["fund_pay_sumamt"],
                amounts["acct_pay"],
                flag,
            )
        )
        if len(rows) > MAX_ROWS:
            raise FileProblem(f"文件超过 {MAX_ROWS} 行，请按时段拆分")
    return rows


def _or_none(value: str) -> str | None:
    return None if value in ("", "null") else value


MAX_AMOUNT = Decimal("1000000000000")


def _amount(values: dict[str, str], name: str, line: int) -> Decimal:
    text = values[name]
    column = DETAIL_COLUMNS.index(name) + 1
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise FileProblem(f"第 {line} 行第 {column} 列 {name} 的值 {text[:20]!r} 不是金额")
    if value != value.quantize(Decimal("0.01")):
        raise FileProblem(f"第 {line} 行第 {column} 列 {name} 的值 {text[:20]!r} 超过两位小数")
    return value.quantize(Decimal("0.01"))


def _text_of(data: bytes) -> str:
    raw = data
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                if len(names) != 1:
                    raise FileProblem(f"压缩包应只含一个 TXT 文件，实有 {len(names)} 个")
                if archive.getinfo(names[0]).file_size > MAX_UNZIPPED_BYTES:
                    raise FileProblem("解压后的文件过大，请按时段拆分")
                raw = archive.read(names[0])
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError):
            # corrupt, encrypted, or packed in a way the standard library cannot read
            raise FileProblem("文件不是有效的 ZIP 压缩包（损坏、加密或压缩方式不受支持）") from None
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("文件既不是 UTF-8 也不是 GBK 编码的文本")


@dataclass(frozen=True, slots=True)
class Disagreement:
    row: Row
    stmt_rslt: str
    memo: str


def compare_details(stated: list[Row], held: list[Row]) -> list[Disagreement]:
    """3202: one result per settlement that disagrees — stated but not held (平台无此流水),
    held but not stated, or with other amounts or another refund flag — in ``setl_id`` order."""
    ours = {r.setl_id: r for r in held}
    theirs = {r.setl_id: r for r in stated}
    out = []
    for setl_id in sorted(set(ours) | set(theirs)):
        mine, yours = ours.get(setl_id), theirs.get(setl_id)
        if mine is None and yours is not None:
            out.append(Disagreement(yours, NOT_HERE, "经办机构无此结算"))
        elif yours is None and mine is not None:
            out.append(Disagreement(mine, DIFFERENT, "医院对账文件中无此结算"))
        elif mine is not None and yours is not None:
            differ = [NAMES[n] for n in TOTALS if getattr(mine, n) != getattr(yours, n)]
            if mine.refd_setl_flag != yours.refd_setl_flag:
                differ.append("退费标志")
            if differ:
                memo = "不一致：" + "、".join(differ) + f"（经办机构 {_figures(mine)}）"
                out.append(Disagreement(yours, DIFFERENT, memo))
    return out


def _figures(row: Row) -> str:
    return " / ".join(str(getattr(row, n)) for n in TOTALS)


def result_file(rows: list[Disagreement], name: str) -> bytes:
    """The result file: a ZIP of one TXT, TAB-separated, ``null`` for an empty value."""
    lines = ["\t".join(RESULT_COLUMNS)]
    for d in rows:
        values = {
            "psn_no": d.row.psn_no, "mdtrt_id": d.row.mdtrt_id, "setl_id": d.row.setl_id,
            "msgid": d.row.msgid, "stmt_rslt": d.stmt_rslt,
            "refd_setl_flag": d.row.refd_setl_flag, "memo": d.memo,
            "medfee_sumamt": d.row.medfee_sumamt, "fund_pay_sumamt": d.row.fund_pay_sumamt,
            "acct_pay": d.row.acct_pay,
        }  # fmt: skip
        lines.append("\t".join("null" if v is None else str(v) for v in values.values()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.txt", "\n".join(lines) + "\n")
    return out.getvalue()
