"""The treating region watches its cross-region costs (就医地管理; 内蒙古 细则 第五十九条): a
month's indicators per institution and region pair against the month before, warnings raised
once each (logged as events and kept), and the monthly analysis report (运行分析报告) as JSON or
HTML."""

from __future__ import annotations

import html
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from services.treating_region.adapters import monitoring as store
from services.treating_region.domain import monitoring
from services.treating_region.domain.monitoring import FEE_NAMES, Row, Thresholds
from shared.months import previous_month

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Analysis:
    month: str
    thresholds: Thresholds
    rows: list[Row]
    warnings: list[dict[str, Any]]
    """Every warning of the month as kept (raised now or before)."""
    new: int


async def analyse(
    pool: asyncpg.Pool,
    month: str,
    thresholds: Thresholds,
    pharmacies: frozenset[str] = frozenset(),
) -> Analysis:
    """The month's indicators; each warning past its threshold raised once (an event in the
    log, a row kept); analysing again raises nothing new."""
    now = await store.figures(pool, month)
    before = await store.figures(pool, previous_month(month))
    rows = monitoring.rows(now, before)
    new = await store.record(pool, month, monitoring.warnings(rows, thresholds, pharmacies))
    for w in new:
        log.warning(
            "monitoring warning %s %s %s %s: %s",
            month, w["scope"], w["subject"], w["indicator"], w["message"],
        )  # fmt: skip
    return Analysis(month, thresholds, rows, await store.raised(pool, month), len(new))


def _figures(f: monitoring.Figures) -> dict[str, Any]:
    return {
        "visits": f.visits,
        "medfee_sumamt": str(f.medfee),
        "fund_pay_sumamt": str(f.fund),
        "avg_cost": str(f.avg_cost),
        "fund_ratio": str(f.fund_ratio),
        "three_fees_share": str(f.three_fees_share),
        **{f"avg_{name}": str(f.per_visit(f.fee(name))) for name in FEE_NAMES},
    }


def _growth(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def report_json(found: Analysis) -> dict[str, Any]:
    return {
        "month": found.month,
        "previous_month": previous_month(found.month),
        "thresholds": {k: str(v) for k, v in asdict(found.thresholds).items()},
        "rows": [
            {
                "scope": r.subject.scope,
                "subject": r.subject.key,
                "month": _figures(r.now),
                "previous": _figures(r.before),
                "growth": {name: _growth(r.growth_of(name)) for name in ("avg_cost", *FEE_NAMES)},
            }
            for r in found.rows
        ],
        "warnings": [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in w.items() if k != "id"}
            | {"raised_at": w["raised_at"].isoformat()}
            for w in found.warnings
        ],
        "new_warnings": found.new,
    }


# ---------------------------------------------------------------- the HTML report


def _bars(rows: list[Row], title: str) -> str:
    """Average cost per visit, this month beside the month before, per subject."""
    if not rows:
        return ""
    width, bar, gap = 720, 14, 10
    top = max((max(r.now.avg_cost, r.before.avg_cost) for r in rows), default=Decimal(1))
    top = top or Decimal(1)
    height = 30 + len(rows) * (2 * bar + gap)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{html.escape(title)}">'
    ]
    for i, r in enumerate(rows):
        y = 20 + i * (2 * bar + gap)
        parts.append(
            f'<text x="0" y="{y + bar}" font-size="11">{html.escape(r.subject.key)}</text>'
        )
        for j, (value, colour) in enumerate(
            ((r.before.avg_cost, "#9bb"), (r.now.avg_cost, "#36c"))
        ):
            length = float(value / top) * (width - 260)
            parts.append(
                f'<rect x="200" y="{y + j * bar}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"/><text x="{205 + length:.1f}" y="{y + j * bar + bar - 3}" '
                f'font-size="10">{value:,.2f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _shares(rows: list[Row]) -> str:
    """The three fees' shares of the bill, stacked, per subject."""
    if not rows:
        return ""
    width, bar = 720, 16
    colours = {"drugs": "#c63", "materials": "#fc3", "exams": "#3a6"}
    height = 40 + len(rows) * (bar + 6)
    parts = [f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" aria-label="三费占比">']
    for i, r in enumerate(rows):
        y = 10 + i * (bar + 6)
        x = 200.0
        parts.append(
            f'<text x="0" y="{y + bar - 4}" font-size="11">{html.escape(r.subject.key)}</text>'
        )
        for name, colour in colours.items():
            share = float(r.now.fee(name) / r.now.medfee) if r.now.medfee else 0.0
            length = share * (width - 220)
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}">'
                f"<title>{FEE_NAMES[name]} {share:.1%}</title></rect>"
            )
            x += length
    legend_y = height - 12
    for k, (name, colour) in enumerate(colours.items()):
        parts.append(
            f'<rect x="{200 + k * 150}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{214 + k * 150}" y="{legend_y}" font-size="11">{FEE_NAMES[name][2:]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report_html(found: Analysis) -> str:
    """运行分析报告: the month's indicators per institution and region pair, two charts and the
    warnings; self-contained (inline SVG, no script)."""
    institutions = [r for r in found.rows if r.subject.scope == "institution"]
    pairs = [r for r in found.rows if r.subject.scope == "pair"]
    head = (
        "<tr><th>对象</th><th>结算人次</th><th>医疗费总额</th><th>次均费用</th><th>次均涨幅</th>"
        "<th>报销比例</th><th>三费占比</th>"
        + "".join(f"<th>{label}涨幅</th>" for label in FEE_NAMES.values())
        + "</tr>"
    )

    def table(rows: list[Row]) -> str:
        body = "".join(
            f"<tr><td>{html.escape(r.subject.key)}</td><td>{r.now.visits}</td>"
            f"<td>{r.now.medfee:,.2f}</td><td>{r.now.avg_cost:,.2f}</td>"
            f"<td>{_pct(r.growth_of('avg_cost'))}</td><td>{_pct(r.now.fund_ratio)}</td>"
            f"<td>{_pct(r.now.three_fees_share)}</td>"
            + "".join(f"<td>{_pct(r.growth_of(name))}</td>" for name in FEE_NAMES)
            + "</tr>"
            for r in rows
        )
        return f"<table>{head}{body}</table>"

    warnings = "".join(
        f"<tr><td>{html.escape(w['scope'])}</td><td>{html.escape(w['subject'])}</td>"
        f"<td>{html.escape(w['message'])}</td></tr>"
        for w in found.warnings
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>异地就医直接结算运行分析报告 {found.month}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:2px 6px;
text-align:right}}td:first-child{{text-align:left}}.chart{{width:100%;max-width:720px}}</style>
</head><body>
<h1>异地就医直接结算运行分析报告（{found.month}）</h1>
<p>就医地对本地定点医疗机构异地就医结算费用的运行监测（内蒙古自治区异地就医直接结算实施细则
第五十九条）：与上月（{previous_month(found.month)}）比较。预警 {len(found.warnings)} 条。</p>
<h2>按定点医疗机构</h2>{table(institutions)}
<h3>次均费用（浅色：上月；深色：本月）</h3>{_bars(institutions, "次均费用")}
<h3>“三费”占医疗费比例</h3>{_shares(institutions)}
<h2>按参保地 → 就医地</h2>{table(pairs)}
<h2>预警</h2><table><tr><th>范围</th><th>对象</th><th>内容</th></tr>{warnings}</table>
</body></html>
"""
