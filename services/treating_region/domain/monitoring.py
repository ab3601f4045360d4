"""Cost monitoring and warnings (监控预警: 乌鲁木齐 §三(三); 内蒙古 细则 第五十九条).

Pure: a month's figures per institution and per region pair in, with the month before; the
indicators the rules name out — visits, average cost per visit and its growth, the share the
funds paid (报销比例), and the "three fees" (次均药品费、材料费、检查化验费) as a share of the bill
and their growth per visit — and a warning for each indicator past its threshold. Thresholds
are data (``THRESHOLDS_FILE``), so an office sets its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

THREE_FEES: dict[str, tuple[str, ...]] = {
    "drugs": ("09", "10", "11"),
    "materials": ("08",),
    "exams": ("03", "04"),
}
"""The "three fees" by national fee category (med_chrgitm_type, docs/codes.md): drugs 西药、
中药饮片、中成药; materials 卫生材料; examinations and tests 检查、化验."""

FEE_NAMES = {"drugs": "次均药品费", "materials": "次均材料费", "exams": "次均检查化验费"}

THRESHOLDS_FILE = Path(__file__).resolve().parents[1] / "catalogue" / "monitoring.json"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When an indicator warns; growths and shares are fractions (0.2 = 20 %)."""

    min_visits: int = 5
    """Fewer visits in the month (or the month before, for growths) warn of nothing: too few
    to say anything about an institution's costs."""
    avg_cost_growth: Decimal = Decimal("0.20")
    fee_growth: Decimal = Decimal("0.30")
    """Growth of each of the three fees per visit."""
    three_fees_share: Decimal = Decimal("0.75")
    fund_ratio: Decimal = Decimal("0.90")


def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    """The thresholds in ``path`` (JSON, any subset of the fields), the defaults for the rest."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    known = {f.name for f in fields(Thresholds)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{path}: unknown thresholds {sorted(unknown)}")
    defaults = Thresholds()
    return Thresholds(
        min_visits=int(data.get("min_visits", defaults.min_visits)),
        **{
            f.name: Decimal(str(data.get(f.name, getattr(defaults, f.name))))
            for f in fields(Thresholds)
            if f.name != "min_visits"
        },
    )


@dataclass(frozen=True, slots=True)
class Figures:
    """What a month holds for one institution or region pair: settlements standing (not
    cancelled), their bills, what the funds paid, and the three fees."""

    visits: int
    medfee: Decimal
    fund: Decimal
    drugs: Decimal
    materials: Decimal
    exams: Decimal

    def per_visit(self, amount: Decimal) -> Decimal:
        return _ratio(amount, Decimal(self.visits), "0.01") if self.visits else Decimal("0.00")

    @property
    def avg_cost(self) -> Decimal:
        return self.per_visit(self.medfee)

    @property
    def fund_ratio(self) -> Decimal:
        return _ratio(self.fund, self.medfee, "0.0001") if self.medfee else Decimal(0)

    @property
    def three_fees(self) -> Decimal:
        return self.drugs + self.materials + self.exams

    @property
    def three_fees_share(self) -> Decimal:
        return _ratio(self.three_fees, self.medfee, "0.0001") if self.medfee else Decimal(0)

    def fee(self, name: str) -> Decimal:
        amount: Decimal = getattr(self, name)
        return amount

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.visits + other.visits,
            self.medfee + other.medfee,
            self.fund + other.fund,
            self.drugs + other.drugs,
            self.materials + other.materials,
            self.exams + other.exams,
        )


NONE = Figures(0, Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def _ratio(a: Decimal, b: Decimal, places: str) -> Decimal:
    return (a / b).quantize(Decimal(places), ROUND_HALF_UP)


def growth(now: Decimal, before: Decimal) -> Decimal | None:
    """Relative growth, None when there is nothing to grow from."""
    return _ratio(now - before, before, "0.0001") if before > 0 else None


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose indicators: an institution (all its insured regions), or a region pair."""

    scope: str
    """``institution`` or ``pair``."""
    key: str
    """The institution code, or ``<insured pool>→<treating pool>``."""


@dataclass(frozen=True, slots=True)
class Row:
    subject: Subject
    now: Figures
    before: Figures

    def growth_of(self, indicator: str) -> Decimal | None:
        if indicator == "avg_cost":
            return growth(self.now.avg_cost, self.before.avg_cost)
        return growth(self.now.per_visit(self.now.fee(indicator)),
                      self.before.per_visit(self.before.fee(indicator)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Warning:
    subject: Subject
    indicator: str
    value: Decimal
    threshold: Decimal
    message: str
    """In Chinese, naming the indicator, its value and the threshold."""


def rows(
    now: dict[tuple[str, str, str], Figures], before: dict[tuple[str, str, str], Figures]
) -> list[Row]:
    """Per institution and per region pair, from figures keyed by (institution, insured pool,
    treating pool), this month and the month before."""

    def rolled(by: dict[tuple[str, str, str], Figures]) -> dict[Subject, Figures]:
        out: dict[Subject, Figures] = {}
        for (institution, insured, treating), figures in by.items():
            for subject in (
                Subject("institution", institution),
                Subject("pair", f"{insured}→{treating}"),
            ):
                out[subject] = out.get(subject, NONE) + figures
        return out

    this, last = rolled(now), rolled(before)
    return [
        Row(subject, this[subject], last.get(subject, NONE))
        for subject in sorted(this, key=lambda s: (s.scope, s.key))
    ]


def _pct(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


def warnings(
    found: list[Row], limits: Thresholds, pharmacies: frozenset[str] = frozenset()
) -> list[Warning]:
    """Each indicator past its threshold, for subjects with enough visits to judge. A
    pharmacy's bills are drugs by nature: its three fees' share says nothing and is not judged
    (their growth per visit still is)."""
    out = []
    for row in found:
        if row.now.visits < limits.min_visits:
            continue
        subject = row.subject
        checks: list[tuple[str, Decimal | None, Decimal, str]] = [
            ("fund_ratio", row.now.fund_ratio, limits.fund_ratio, "报销比例（基金支付占比）"),
        ]
        if not (subject.scope == "institution" and subject.key in pharmacies):
            checks.append(
                ("three_fees_share", row.now.three_fees_share, limits.three_fees_share,
                 "“三费”（药品、材料、检查化验）占医疗费比例")
            )  # fmt: skip
        if row.before.visits >= limits.min_visits:
            checks.append(
                ("avg_cost", row.growth_of("avg_cost"), limits.avg_cost_growth, "次均费用涨幅")
            )
            for name, label in FEE_NAMES.items():
                checks.append((name, row.growth_of(name), limits.fee_growth, f"{label}涨幅"))
        for indicator, value, limit, label in checks:
            if value is not None and value > limit:
                out.append(
                    Warning(
                        subject,
                        indicator,
                        value,
                        limit,
                        f"{label} {_pct(value)}，超过预警值 {_pct(limit)}",
                    )
                )
    return out
