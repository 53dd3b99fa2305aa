"""The HTML report: one self-contained file (plotly.js inlined once, no network) from the results document.

:func:`render_report` is all ``solvency demo`` and ``solvency report --from DIR`` call: the template
(``templates/report.html.j2``) gets the results and the figures (:mod:`solvency.report.figures`) and formats every
number it shows with the filters below — nothing in the page is typed in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from solvency.errors import SolvencyInputError
from solvency.report import figures
from solvency.report.pipeline import RESULTS_FORMAT

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def figure_set(results: dict[str, Any]) -> dict[str, go.Figure]:
    """Every figure the results support, keyed ``section.name`` (a section that did not run has none)."""
    s = results["sections"]
    out: dict[str, go.Figure] = {}
    builders: list[tuple[str, str, Callable[[dict[str, Any]], go.Figure]]] = [
        ("market", "price_regimes", figures.price_regimes),
        ("market", "vol_forecast", figures.vol_forecast),
        ("stress", "bad_debt", figures.bad_debt),
        ("lending", "frontier", figures.lt_frontier),
        ("lending", "params", figures.lending_params),
        ("lending", "transition", figures.transition_timeline),
        ("perp", "tiers", figures.perp_tiers),
        ("perp", "exceedances", figures.margin_exceedances),
        ("portfolio", "grid", figures.portfolio_grid),
        ("liquidation", "policies", figures.policy_comparison),
    ]
    for section, name, build in builders:
        if section in s and (section != "market" or name != "vol_forecast" or s["market"].get("forecast")):
            out[f"{section}.{name}"] = build(s[section])
    if "oracle" in s:
        for market in s["oracle"]["markets"]:
            out[f"oracle.timeline.{market}"] = figures.oracle_timeline(s["oracle"], market)
    return out


def _figure_json(fig: go.Figure) -> str:
    # "</" must not appear inside a <script> element.
    return pio.to_json(fig, validate=False).replace("</", "<\\/")


def render_html(results: dict[str, Any]) -> str:
    """The report as one HTML string."""
    check_results(results)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=pct, num=num, money=money, when=when, pvalue=pvalue, label=label)
    figs = {key: _figure_json(fig) for key, fig in figure_set(results).items()}
    template = env.get_template("report.html.j2")
    return template.render(
        r=results,
        s=results["sections"],
        figs=figs,
        plotly_js=get_plotlyjs(),
        plot_config=json.dumps(PLOT_CONFIG),
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
    )


def render_report(results: dict[str, Any], path: str | Path) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render_html(results), encoding="utf-8")
    return path


def check_results(results: Any, source: str | Path | None = None) -> None:
    """Refuse a document that is not a demo results file of this version."""
    if not isinstance(results, dict) or "sections" not in results:
        raise SolvencyInputError("not a solvency demo results file", path=source, hint="run solvency demo --out DIR")
    if results.get("format") != RESULTS_FORMAT:
        raise SolvencyInputError(
            f"results format {results.get('format')!r}, this version reads format {RESULTS_FORMAT}",
            path=source,
            hint="re-run solvency demo with this version",
        )


# ------------------------------------------------------------------------------------------------ filters


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def pct(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage: ``0.0123 → "1.23 %"``."""
    return "—" if _missing(value) else f"{100 * float(value):,.{digits}f} %"


def num(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and fixed digits (integers without decimals)."""
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.{digits}f}"


def money(value: Any) -> str:
    """A quote amount in k / M / B with three significant digits: ``23941892 → "23.9 M"``."""
    if _missing(value):
        return "—"
    v = float(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:.3g} {unit}"
    return f"{v:.3g}"


def pvalue(value: Any, prefixed: bool = False) -> str:
    """A p-value: three significant digits, ``< 0.001`` below that; ``prefixed`` adds ``p =`` / ``p``."""
    if _missing(value):
        return "—"
    v = float(value)
    text = "< 0.001" if v < 1e-3 else f"{v:.3g}"
    if prefixed:
        return f"p {text}" if text.startswith("<") else f"p = {text}"
    return text


def when(value: Any) -> str:
    """An ISO UTC time as ``YYYY-MM-DD HH:MM UTC`` (dates at midnight as ``YYYY-MM-DD``)."""
    if _missing(value):
        return "—"
    text = str(value).replace("T", " ").rstrip("Z")
    if text.endswith(" 00:00:00"):
        return text[:10]
    return text[:16] + " UTC"


def label(value: Any) -> str:
    """A snake_case key as words: ``liquidation_threshold → "liquidation threshold"``."""
    return str(value).replace("_", " ")
