"""The end-of-run report of a simulator run: a JSON-ready summary, a text digest and an HTML page.

The simulator (``sim.traffic``) turns every simulated care into a :class:`CareOutcome` and hands
the list, with the :class:`RunInfo`, to :func:`summarize`. The summary is plain JSON data (money
as 2-decimal strings summed with Decimal, never float); :func:`render_text` prints it for a
person, :func:`render_html` draws it as a self-contained page and :func:`write_reports` stores
both ``report.json`` and ``report.html``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.money import format_amount, parse_amount
from shared.regions import REGIONS
from shared.stats import percentile

OUTCOMES = ("settled", "refused", "error", "unknown")
ROUTES = ("intra", "cross")
KINDS = ("inpatient", "outpatient", "chronic", "pharmacy")
CASES = (
    "long_term",
    "referral",
    "emergency_no_filing",
    "retro_filing",
    "trauma_third_party",
    "other_temporary",
    "intra_no_filing",
    "cross_year",
    "refund",
    "cancel_resettle",
)
FUNDS: tuple[tuple[str, str, str, str], ...] = (
    # (summary key, setlinfo field, what it is, its Chinese name)
    ("medfee", "medfee_sumamt", "total medical fees", "医疗费总额"),
    ("hifp", "hifp_pay", "basic pooled fund", "统筹基金"),
    ("hifob", "hifob_pay", "large-amount supplement", "大额补助"),
    ("hifmi", "hifmi_pay", "critical-illness insurance", "大病保险"),
    ("cvlserv", "cvlserv_pay", "civil-servant subsidy", "公务员补助"),
    ("maf", "maf_pay", "medical aid", "医疗救助"),
    ("account", "acct_pay", "personal account", "个人账户"),
    ("cash", "psn_cash_pay", "personal cash", "个人现金"),
)
LATENCY_CAP = 20_000
"""At most this many raw latencies travel in the summary (for the histogram)."""
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class CareOutcome:
    kind: str  # "inpatient" | "outpatient" | "chronic" | "pharmacy"
    case: str  # policy case, e.g. "long_term", "referral", "emergency_no_filing", ...
    insured: str  # 6-digit admdvs of the insured region
    treating: str  # 6-digit admdvs of the treating region
    route: str  # "intra" | "cross"
    outcome: str  # "settled" | "refused" | "error" | "unknown"
    err_code: str | None  # catalogue code like "E2001" when refused/error
    latency_ms: float  # latency of the settle call (2304/2207); for refused cares, of the refusal
    calls: int  # gateway calls this care made
    lines: int  # fee lines uploaded
    setlinfo: (
        dict[str, str] | None
    )  # national setlinfo of the final settlement, None unless settled
    violations: tuple[str, ...]  # identity violations found on that breakdown (empty = balanced)
    finished_at: float  # seconds since the run started


@dataclass(frozen=True, slots=True)
class RunInfo:
    seed: int
    cares: int  # cares requested
    duration_s: float
    concurrency: int | None
    target_rate: float | None  # cares/s offered, or None for closed loop
    started: str  # ISO time


# ---------------------------------------------------------------------------------------------
# summary


def summarize(outcomes: Sequence[CareOutcome], run: RunInfo) -> dict[str, Any]:
    """Summarise a run as JSON-ready data.

    Counts are over every care; money, identities and latency are over settled cares only.

    Args:
        outcomes: one record per care the run finished.
        run: the run's metadata.

    Returns:
        Plain data (str/int/float/list/dict/None): ``json.loads(json.dumps(s)) == s``.

    Raises:
        ValueError: a settled care's setlinfo carries an amount that is not a plain decimal.
    """
    settled = [o for o in outcomes if o.outcome == "settled"]
    breakdowns = [o for o in settled if o.setlinfo is not None]
    latencies = [o.latency_ms for o in settled]
    return {
        "run": {**dataclasses.asdict(run), "duration_s": round(run.duration_s, 1)},
        "settlements": {
            "by_outcome": _outcome_counts(outcomes),
            "by_route": _outcomes_by(outcomes, lambda o: o.route, ROUTES),
            "by_kind": _outcomes_by(outcomes, lambda o: o.kind, KINDS),
            "by_case": _outcomes_by(outcomes, lambda o: o.case, CASES),
        },
        "errors_by_code": _errors_by_code(outcomes),
        "money_by_fund": _money_by_fund(breakdowns),
        "identities": _identities(breakdowns),
        "latency_ms": _latency_stats(latencies),
        "latencies_ms": [round(v, 1) for v in latencies[:LATENCY_CAP]],
        "throughput": {
            "cares_per_s": _rate(len(outcomes), run.duration_s),
            "settlements_per_s": _rate(len(settled), run.duration_s),
        },
        "flows": _flows(outcomes),
        "lines": _inpatient_lines(outcomes),
        "mix": _mix(outcomes),
    }


def _ordered_keys(present: Iterable[str], canonical: Sequence[str]) -> list[str]:
    """The canonical keys that occur, in canonical order, then any others sorted."""
    seen = set(present)
    return [k for k in canonical if k in seen] + sorted(seen - set(canonical))


def _outcome_counts(outcomes: Iterable[CareOutcome]) -> dict[str, int]:
    """Every canonical outcome (0 when absent), then any unexpected outcome that occurred."""
    counts = Counter(o.outcome for o in outcomes)
    keys = list(OUTCOMES) + sorted(set(counts) - set(OUTCOMES))
    return {k: counts.get(k, 0) for k in keys}


def _outcomes_by(
    outcomes: Sequence[CareOutcome], key: Callable[[CareOutcome], str], canonical: Sequence[str]
) -> dict[str, dict[str, int]]:
    groups: dict[str, list[CareOutcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return {k: _outcome_counts(groups[k]) for k in _ordered_keys(groups, canonical)}


def _errors_by_code(outcomes: Iterable[CareOutcome]) -> dict[str, int]:
    """Codes by count, most frequent first (ties by code)."""
    counts = Counter(o.err_code for o in outcomes if o.err_code is not None)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _amount(o: CareOutcome, field: str) -> Decimal:
    """One amount of a settled care's setlinfo; an absent field (or setlinfo) counts as zero."""
    raw = (o.setlinfo or {}).get(field)
    if raw is None:
        return Decimal(0)
    try:
        return parse_amount(raw)
    except ValueError as exc:
        raise ValueError(
            f"{o.kind}/{o.case} {o.insured}→{o.treating}: setlinfo.{field} {exc}"
        ) from exc


def _money_by_fund(breakdowns: Sequence[CareOutcome]) -> dict[str, str]:
    return {
        key: format_amount(sum((_amount(o, field) for o in breakdowns), Decimal(0)))
        for key, field, _, _ in FUNDS
    }


def _identities(breakdowns: Sequence[CareOutcome]) -> dict[str, Any]:
    examples: list[str] = []
    for o in breakdowns:
        for v in o.violations:
            example = f"{o.kind}/{o.case} {o.insured}→{o.treating}: {v}"
            if len(examples) < MAX_EXAMPLES and example not in examples:
                examples.append(example)
    return {
        "checked": len(breakdowns),
        "violations": sum(1 for o in breakdowns if o.violations),
        "examples": examples,
    }


def _latency_stats(latencies: Sequence[float]) -> dict[str, float | None]:
    if not latencies:
        return dict.fromkeys(("p50", "p95", "p99", "max", "mean"))
    return {
        "p50": round(percentile(latencies, 50), 1),
        "p95": round(percentile(latencies, 95), 1),
        "p99": round(percentile(latencies, 99), 1),
        "max": round(max(latencies), 1),
        "mean": round(math.fsum(latencies) / len(latencies), 1),
    }


def _rate(count: int, duration_s: float) -> float | None:
    return round(count / duration_s, 1) if duration_s > 0 else None


def _flows(outcomes: Sequence[CareOutcome]) -> list[dict[str, Any]]:
    """One row per (insured, treating) pair that saw a care, by settled medfee, largest first."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for o in outcomes:
        row = pairs.setdefault(
            (o.insured, o.treating),
            {"route": o.route, "settled": 0, "medfee": Decimal(0)},
        )
        if o.outcome == "settled":
            row["settled"] += 1
            row["medfee"] += _amount(o, "medfee_sumamt")
    ranked = sorted(
        pairs.items(), key=lambda kv: (-kv[1]["medfee"], -kv[1]["settled"], kv[0][0], kv[0][1])
    )
    return [
        {
            "insured": insured,
            "treating": treating,
            "route": row["route"],
            "settled": row["settled"],
            "medfee": format_amount(row["medfee"]),
        }
        for (insured, treating), row in ranked
    ]


def _inpatient_lines(outcomes: Iterable[CareOutcome]) -> dict[str, float | int | None]:
    """Fee lines per inpatient stay, over the stays that uploaded at least one line."""
    counts = [o.lines for o in outcomes if o.kind == "inpatient" and o.lines > 0]
    if not counts:
        return {"inpatient_mean": None, "inpatient_max": None}
    return {"inpatient_mean": round(sum(counts) / len(counts), 1), "inpatient_max": max(counts)}


def _mix(outcomes: Sequence[CareOutcome]) -> dict[str, float]:
    counts = Counter(o.kind for o in outcomes)
    total = len(outcomes)
    return {k: round(counts[k] / total, 3) for k in _ordered_keys(counts, KINDS)}


# ---------------------------------------------------------------------------------------------
# text


def region_name(admdvs: str) -> str:
    """The region's Chinese name when the registry knows it, else its code."""
    region = REGIONS.get(admdvs)
    return region.name if region is not None else admdvs


def _width(text: str) -> int:
    """Terminal columns: CJK (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _yuan(amount: str) -> str:
    return f"{Decimal(amount):,.2f}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _run_title(run: dict[str, Any], finished: int) -> str:
    parts = [f"seed {run['seed']}", f"{run['cares']:,} cares"]
    if finished != run["cares"]:
        parts[-1] += f" ({finished:,} finished)"
    parts.append(f"{run['duration_s']:,.1f} s")
    if run.get("concurrency") is not None:
        parts.append(f"concurrency {run['concurrency']}")
    if run.get("target_rate") is not None:
        parts.append(f"offered {run['target_rate']:g} cares/s")
    parts.append(f"started {run['started']}")
    return "relay-sim run · " + " · ".join(parts)


def _identities_line(identities: dict[str, Any]) -> str:
    checked, bad = identities["checked"], identities["violations"]
    if bad == 0:
        return f"identities checked on {checked:,} breakdowns: 0 violations"
    noun = "VIOLATION" if bad == 1 else "VIOLATIONS"
    return f"!! identities checked on {checked:,} breakdowns: {bad:,} {noun} !!"


def _settlement_rows(settlements: dict[str, Any]) -> list[str]:
    by_outcome: dict[str, int] = settlements["by_outcome"]
    columns = list(by_outcome)
    rows = [_ljust("settlements", 16) + "".join(_rjust(c, 10) for c in [*columns, "total"])]
    lines: list[tuple[str, dict[str, int]]] = [("all", by_outcome)]
    by_route: dict[str, dict[str, int]] = settlements["by_route"]
    lines += [(r, by_route.get(r, {})) for r in _ordered_keys([*ROUTES, *by_route], ROUTES)]
    for label, counts in lines:
        cells = [f"{counts.get(c, 0):,}" for c in columns] + [f"{sum(counts.values()):,}"]
        rows.append(_ljust(f"  {label}", 16) + "".join(_rjust(v, 10) for v in cells))
    return rows


def _error_rows(errors: dict[str, int], per_line: int = 5, max_lines: int = 2) -> list[str]:
    if not errors:
        return [_ljust("errors by code", 16) + "none"]
    items = [f"{code} ×{n:,}" for code, n in errors.items()]
    shown = items[: per_line * max_lines]
    rows = []
    for i in range(0, len(shown), per_line):
        label = "errors by code" if i == 0 else ""
        rows.append(_ljust(label, 16) + "   ".join(shown[i : i + per_line]))
    if len(items) > len(shown):
        rows[-1] += f"   (+{len(items) - len(shown)} more codes)"
    return rows


def _money_rows(money: dict[str, str]) -> list[str]:
    cells = [_ljust(k, 10) + _rjust(_yuan(money[k]), 18) for k, *_ in FUNDS if k in money]
    rows = ["money (yuan)"]
    for i in range(0, len(cells), 2):
        rows.append("  " + "     ".join(cells[i : i + 2]))
    return rows


def _flow_rows(flows: list[dict[str, Any]], top: int = 5) -> list[str]:
    if not flows:
        return []
    rows = [
        _ljust("top flows  insured → treating", 44)
        + _rjust("route", 7)
        + _rjust("settled", 10)
        + _rjust("medfee", 18)
    ]
    for f in flows[:top]:
        pair = f"{region_name(f['insured'])} → {region_name(f['treating'])}"
        rows.append(
            _ljust(f"  {pair}", 44)
            + _rjust(str(f["route"]), 7)
            + _rjust(f"{f['settled']:,}", 10)
            + _rjust(_yuan(f["medfee"]), 18)
        )
    if len(flows) > top:
        rows.append(f"  … {len(flows) - top} more pairs")
    return rows


def render_text(summary: dict[str, Any]) -> str:
    """A digest a person reads in ten seconds: about 30 fixed-width lines."""
    run = summary["run"]
    settlements = summary["settlements"]
    finished = sum(settlements["by_outcome"].values())
    lat = summary["latency_ms"]
    thr = summary["throughput"]
    rows = [_run_title(run, finished), ""]
    rows += _settlement_rows(settlements)
    rows += _error_rows(summary["errors_by_code"])
    rows += _money_rows(summary["money_by_fund"])
    rows.append(_identities_line(summary["identities"]))
    if summary["identities"]["violations"]:
        rows += [f"   ! {e}" for e in summary["identities"]["examples"][:2]]
    if lat["p50"] is None:
        rows.append(_ljust("latency ms", 16) + "no settled cares")
    else:
        rows.append(
            _ljust("latency ms", 16)
            + "  ".join(f"{k} {_num(lat[k])}" for k in ("p50", "p95", "p99", "max", "mean"))
        )
    rows.append(
        _ljust("throughput", 16)
        + f"{_num(thr['cares_per_s'])} cares/s   {_num(thr['settlements_per_s'])} settlements/s"
    )
    lines = summary["lines"]
    if lines["inpatient_max"] is not None:
        rows.append(
            _ljust("fee lines", 16)
            + f"inpatient mean {_num(lines['inpatient_mean'])}, max {lines['inpatient_max']:,}"
        )
    mix = summary["mix"]
    rows.append(
        _ljust("mix", 16) + ("   ".join(f"{k} {v:.1%}" for k, v in mix.items()) or "no cares")
    )
    rows += _flow_rows(summary["flows"])
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', "
    "'Microsoft YaHei', sans-serif"
)
_CSS = f"""
body {{ font-family: {_FONT}; margin: 2rem auto; max-width: 1100px; padding: 0 1rem;
  color: #1d2430; background: #fff; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }}
h2 {{ font-size: 1.1rem; margin: 1.8rem 0 .6rem; border-bottom: 1px solid #d8dde6;
  padding-bottom: .2rem; }}
.sub {{ color: #5b6472; margin-top: 0; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
  gap: 1rem 2rem; align-items: start; }}
.grid > * {{ min-width: 0; overflow-x: auto; }}
table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .92rem; }}
th, td {{ padding: .25rem .7rem; border-bottom: 1px solid #eceff4; text-align: right; }}
th {{ background: #f4f6f9; font-weight: 600; }}
td:first-child, th:first-child {{ text-align: left; }}
caption {{ text-align: left; font-weight: 600; padding: .3rem 0; }}
.ok {{ color: #1b7f3b; font-weight: 600; }}
.bad {{ color: #fff; background: #c62828; padding: .3rem .6rem; border-radius: 4px;
  font-weight: 700; display: inline-block; }}
.muted {{ color: #7a8391; }}
svg {{ max-width: 100%; height: auto; font-family: {_FONT}; }}
"""
_FUND_COLOURS = {
    "medfee": "#5b6472",
    "hifp": "#1f77b4",
    "hifob": "#4a98d3",
    "hifmi": "#7fb8e6",
    "cvlserv": "#2ca58d",
    "maf": "#84c9a0",
    "account": "#e3a33b",
    "cash": "#d1603d",
}


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    if not body:
        body = f'<tr><td colspan="{len(header)}" class="muted">none</td></tr>'
    return f"<table><caption>{_e(caption)}</caption><tr>{head}</tr>{body}</table>"


def _outcome_table(caption: str, groups: dict[str, dict[str, int]]) -> str:
    columns = _ordered_keys([c for counts in groups.values() for c in counts], OUTCOMES)
    rows = [
        [name, *(f"{counts.get(c, 0):,}" for c in columns), f"{sum(counts.values()):,}"]
        for name, counts in groups.items()
    ]
    return _table(caption, ["", *columns, "total"], rows)


def _nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above raw."""
    if raw <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10.0 * magnitude


def _svg_empty(title: str, width: int = 720, height: int = 120) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">'
        f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#7a8391">'
        f"{_e(title)}: no data</text></svg>"
    )


def svg_latency_histogram(latencies: Sequence[float], stats: dict[str, Any]) -> str:
    """Histogram of settled latencies with p50/p95/p99 markers; a long tail goes in one bin."""
    title = "latency of settled cares (ms)"
    if not latencies:
        return _svg_empty(title)
    lo_v, hi_v = min(latencies), max(latencies)
    p99 = percentile(latencies, 99)
    top = p99 * 1.5 if hi_v > 3 * p99 and p99 > lo_v else hi_v  # clip a far tail
    step = _nice_step((top - lo_v) / 30) if top > lo_v else 1.0
    start = math.floor(lo_v / step) * step
    nbins = max(1, math.floor((top - start) / step) + 1)
    counts = [0] * nbins
    overflow = 0
    for v in latencies:
        i = math.floor((v - start) / step)
        if i >= nbins:
            overflow += 1
        else:
            counts[max(0, i)] += 1
    bars = counts + ([overflow] if overflow else [])
    width, height, left, right, top_pad, bottom = 720, 260, 56, 16, 26, 44
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max(bars)
    bar_w = plot_w / len(bars)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="16" font-size="13" font-weight="600">{_e(title)}</text>',
    ]
    for frac in (0.0, 0.5, 1.0):  # y axis
        y = top_pad + plot_h * (1 - frac)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#e3e7ee"/><text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end">{round(peak * frac):,}</text>'
        )
    for i, n in enumerate(bars):
        h = plot_h * n / peak
        x = left + i * bar_w
        is_tail = i == nbins
        lo_edge = start + i * step
        label = (
            f"> {_num(start + nbins * step)} ms: {n:,}"
            if is_tail
            else f"{_num(lo_edge)}–{_num(lo_edge + step)} ms: {n:,}"
        )
        colour = "#c9822b" if is_tail else "#4a7fc1"
        out.append(
            f'<rect x="{x + 0.5:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{max(bar_w - 1, 0.5):.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{_e(label)}</title></rect>"
        )
    tick_every = max(1, math.ceil(len(bars) / 8))
    for i in range(0, nbins + 1, tick_every):  # x axis, at bin edges
        x = left + i * bar_w
        out.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle">{start + i * step:g}</text>'
        )
    if overflow:
        out.append(
            f'<text x="{left + nbins * bar_w + bar_w / 2:.1f}" y="{height - bottom + 16}" '
            f'font-size="11" text-anchor="middle">tail</text>'
        )
    span = nbins * step
    markers = (("p50", "#1b7f3b"), ("p95", "#c9822b"), ("p99", "#c62828"))
    for n, (key, colour) in enumerate(markers):
        value = stats.get(key)
        if value is None or value > start + span:
            continue
        x = left + (value - start) / span * (nbins * bar_w)
        out.append(
            f'<line x1="{x:.1f}" y1="{top_pad}" x2="{x:.1f}" y2="{top_pad + plot_h}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{x + 3:.1f}" y="{top_pad + 10 + 13 * n}" font-size="11" fill="{colour}" '
            f">{key} {value:g}</text>"
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="11" '
        f'text-anchor="middle">ms ({len(latencies):,} settled cares)</text></svg>'
    )
    return "".join(out)


def svg_money_bars(money: dict[str, str]) -> str:
    """Horizontal bars, one per fund, scaled to the largest amount (medfee)."""
    title = "money by fund (yuan)"
    amounts = [(key, zh, Decimal(money[key])) for key, _, _, zh in FUNDS if key in money]
    if not amounts:
        return _svg_empty(title)
    peak = max(abs(a) for _, _, a in amounts) or Decimal(1)
    row_h, left, right, top_pad = 28, 150, 130, 28
    width = 760
    height = top_pad + row_h * len(amounts) + 10
    plot_w = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="8" y="16" font-size="13" font-weight="600">{_e(title)}</text>',
    ]
    for i, (key, zh, amount) in enumerate(amounts):
        y = top_pad + i * row_h
        w = float(abs(amount) / peak) * plot_w
        colour = _FUND_COLOURS.get(key, "#4a7fc1")
        out.append(
            f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" font-size="12" '
            f'text-anchor="end"><tspan font-weight="600">{_e(key)}</tspan> '
            f'<tspan fill="#5b6472">{_e(zh)}</tspan></text>'
            f'<rect x="{left}" y="{y + 4}" width="{max(w, 0.5):.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{_e(f"{key}: {_yuan(money[key])}")}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + row_h / 2 + 4:.1f}" font-size="12">'
            f"{_e(_yuan(money[key]))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _shade(frac: float) -> str:
    """White to deep blue."""
    lo, hi = (240, 245, 252), (21, 67, 140)
    r, g, b = (round(a + (z - a) * frac) for a, z in zip(lo, hi, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def svg_flow_matrix(flows: list[dict[str, Any]]) -> str:
    """Insured (rows) × treating (columns); shade by settled medfee, settled count in the cell."""
    title = "flows: insured region × treating region (shade = medfee, number = settled)"
    if not flows:
        return _svg_empty(title)
    insured = sorted({f["insured"] for f in flows})
    treating = sorted({f["treating"] for f in flows})
    cells = {(f["insured"], f["treating"]): f for f in flows}
    peak = max(Decimal(f["medfee"]) for f in flows)
    cell, left, top_pad = 56, 170, 150
    width = left + cell * len(treating) + 90  # room for the last slanted label
    height = top_pad + cell * len(insured) + 36
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="8" y="16" font-size="13" font-weight="600">{_e(title)}</text>',
        f'<text x="{left - 8}" y="{top_pad - 8}" font-size="11" text-anchor="end" '
        f'fill="#5b6472">insured ↓ / treating →</text>',
    ]
    for j, code in enumerate(treating):
        x = left + j * cell + cell / 2
        out.append(
            f'<text transform="translate({x:.1f},{top_pad - 6}) rotate(-50)" font-size="12">'
            f"{_e(region_name(code))}<title>{_e(code)}</title></text>"
        )
    for i, code in enumerate(insured):
        y = top_pad + i * cell
        out.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4:.1f}" font-size="12" '
            f'text-anchor="end">{_e(region_name(code))}<title>{_e(code)}</title></text>'
        )
        for j, dest in enumerate(treating):
            x = left + j * cell
            flow = cells.get((code, dest))
            if flow is None:
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#fafbfc" '
                    f'stroke="#e3e7ee"/>'
                )
                continue
            medfee = Decimal(flow["medfee"])
            frac = float(medfee / peak) if peak > 0 else 0.0
            tip = (
                f"{region_name(code)} → {region_name(dest)} ({flow['route']}): "
                f"{flow['settled']:,} settled, medfee {_yuan(flow['medfee'])}"
            )
            ink = "#ffffff" if frac > 0.55 else "#1d2430"
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{_shade(frac)}" '
                f'stroke="#ffffff"><title>{_e(tip)}</title></rect>'
                f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="13" '
                f'text-anchor="middle" fill="{ink}">{flow["settled"]:,}</text>'
            )
    out.append(
        f'<text x="{left}" y="{height - 10}" font-size="11" fill="#5b6472">'
        f"darkest = {_e(_yuan(str(peak)))} yuan; blank = no care</text></svg>"
    )
    return "".join(out)


def render_html(summary: dict[str, Any]) -> str:
    """A self-contained page: summary tables plus three inline-SVG charts; no script, no network."""
    run = summary["run"]
    s = summary["settlements"]
    finished = sum(s["by_outcome"].values())
    ident = summary["identities"]
    if ident["violations"]:
        ident_html = f'<p class="bad">{_e(_identities_line(ident).strip("! "))}</p>'
        ident_html += "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in ident["examples"]) + "</ul>"
    else:
        ident_html = f'<p class="ok">{_e(_identities_line(ident))}</p>'
    lat = summary["latency_ms"]
    thr = summary["throughput"]
    lines = summary["lines"]
    money: dict[str, str] = summary["money_by_fund"]
    descs = {key: f"{en} {zh}" for key, _, en, zh in FUNDS}
    flows: list[dict[str, Any]] = summary["flows"]
    flow_rows = [
        [
            f"{region_name(f['insured'])} ({f['insured']})",
            f"{region_name(f['treating'])} ({f['treating']})",
            f["route"],
            f"{f['settled']:,}",
            _yuan(f["medfee"]),
        ]
        for f in flows
    ]
    perf_rows = [[k, _num(lat.get(k))] for k in ("p50", "p95", "p99", "max", "mean")]
    perf_rows += [
        ["cares/s", _num(thr["cares_per_s"])],
        ["settlements/s", _num(thr["settlements_per_s"])],
        ["inpatient fee lines, mean", _num(lines["inpatient_mean"])],
        [
            "inpatient fee lines, max",
            "—" if lines["inpatient_max"] is None else lines["inpatient_max"],
        ],
    ]
    run_rows = [[k, "—" if v is None else v] for k, v in run.items()]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>relay-sim report · seed {_e(run['seed'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>relay-sim report</h1>",
        f'<p class="sub">{_e(_run_title(run, finished))}</p>',
        ident_html,
        "<h2>Settlements</h2>",
        '<div class="grid">',
        _outcome_table("by outcome", {"all": s["by_outcome"]}),
        _outcome_table("by route", s["by_route"]),
        _outcome_table("by kind", s["by_kind"]),
        _outcome_table("by case", s["by_case"]),
        _table(
            "errors by code",
            ["code", "cares"],
            [[c, f"{n:,}"] for c, n in summary["errors_by_code"].items()],
        ),
        _table(
            "mix of cares", ["kind", "share"], [[k, f"{v:.1%}"] for k, v in summary["mix"].items()]
        ),
        "</div>",
        "<h2>Latency and throughput</h2>",
        '<div class="grid">',
        _table("settled cares (ms) and rates", ["", "value"], perf_rows),
        _table("run", ["", "value"], run_rows),
        "</div>",
        svg_latency_histogram(summary.get("latencies_ms", []), lat),
        "<h2>Money by fund</h2>",
        _table(
            "sums over settled breakdowns (yuan)",
            ["fund", "what", "amount"],
            [[k, descs.get(k, ""), _yuan(v)] for k, v in money.items()],
        ),
        svg_money_bars(money),
        "<h2>Flows between regions</h2>",
        svg_flow_matrix(flows),
        _table(
            "pairs by settled medfee",
            ["insured", "treating", "route", "settled", "medfee"],
            flow_rows,
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------
# files


def write_reports(summary: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "report.json"
    html_path = directory / "report.html"
    json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(summary), encoding="utf-8")
    return json_path, html_path
