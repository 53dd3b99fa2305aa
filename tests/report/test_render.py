"""The HTML report: self-contained (plotly.js inlined once, no network), bounded in size, every number from the run,
re-rendered identically from results.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from solvency.errors import SolvencyInputError
from solvency.report import render
from solvency.report.files import read_results
from solvency.report.render import TEMPLATES, figure_set, money, num, pct, pvalue, render_html, when

pytestmark = pytest.mark.xdist_group("demo")

MAX_BYTES = 10 * 1024 * 1024


def test_filters() -> None:
    assert pct(0.01234) == "1.23 %" and pct(0.5, 0) == "50 %" and pct(None) == "—" and pct(float("nan")) == "—"
    assert num(1234567) == "1,234,567" and num(1234.567, 1) == "1,234.6" and num(True) == "yes"
    assert money(23941892.0) == "23.9 M" and money(1.6e9) == "1.6 B" and money(-17727.4) == "-17.7 k"
    assert money(950.0) == "950"
    assert pvalue(0.0452) == "0.0452" and pvalue(2e-7) == "< 0.001"
    assert pvalue(0.2, True) == "p = 0.2" and pvalue(1e-9, True) == "p < 0.001"
    assert when("2026-03-19T00:00:00Z") == "2026-03-19" and when("2020-03-12T13:50:00Z") == "2020-03-12 13:50 UTC"


# Tokens with digits that are names or definitions, not results: metric names and the percentiles that define
# them, citation years, protocol versions, and the invariants' constants (LT·(1+LB) < 1, ξ > 0).
ALLOWED = {"VaR95", "ES99", "VaR99", "LaR95", "99", "99.9", "95th", "99th", "2011", "v4", "LT·(1+LB)", "0", "1"}


def _visible_literals(template: str) -> list[str]:
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return [tok for tok in re.findall(r"\S*\d\S*", text)]


def test_no_number_is_typed_into_the_template() -> None:
    literals = _visible_literals((TEMPLATES / "report.html.j2").read_text(encoding="utf-8"))
    typed = [t for t in literals if t not in ALLOWED and t.strip(".,;:()") not in ALLOWED]
    assert typed == [], f"numbers typed into the report template (take them from the results): {typed}"


def test_the_template_check_catches_a_typed_number() -> None:
    assert "83" in " ".join(_visible_literals("<p>Aave uses {{ x }} and 83 % LT</p>"))


def test_report_is_self_contained_and_small(demo_run: dict[str, Any]) -> None:
    path = Path(demo_run["files"]["report"])
    html = path.read_text(encoding="utf-8")
    assert path.stat().st_size <= MAX_BYTES
    assert html.count("plotly.js v") >= 1  # the library banner, inlined
    assert len(re.findall(r"<script>\s*/\*\*\s*\n?\s*\* plotly\.js", html)) == 1  # plotly.js once
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    page = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # the page without the inlined code
    assert not re.search(r"""(src|href|url)[=(]["']?(https?:)?//""", page)  # nothing to fetch from the network


def test_every_figure_is_in_the_page_with_the_runs_data(demo_run: dict[str, Any]) -> None:
    doc = demo_run["doc"]
    html = Path(demo_run["files"]["report"]).read_text(encoding="utf-8")
    figs = figure_set(doc)
    for key in (
        "market.price_regimes",
        "market.vol_forecast",
        "stress.bad_debt",
        "perp.exceedances",
        "perp.tiers",
        "portfolio.grid",
    ):
        assert key in figs
    assert any(k.startswith("oracle.timeline.") for k in figs)
    for key in figs:
        assert f'data-figure="{key}"' in html
    # The figure data embedded in the page is the run's data.
    blob = re.search(r'id="market-price_regimes-data">(.*?)</script>', html, flags=re.S)
    assert blob is not None
    spec = json.loads(blob.group(1))
    assert spec["data"][0]["y"] == doc["sections"]["market"]["series"]["close"]


def test_glance_numbers_come_from_the_results(demo_run: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(demo_run["doc"]))
    doc["sections"]["perp"]["summary"]["imf"] = 0.987654
    doc["sections"]["oracle"]["summary"]["updates"] = 424242
    html = render_html(doc)
    assert "base IMF 98.77 %" in html and "424,242 guarded updates" in html


def test_report_from_saved_results_is_identical(demo_run: dict[str, Any], tmp_path: Path) -> None:
    doc = read_results(demo_run["out"])
    again = render.render_report(doc, tmp_path / "again.html").read_text(encoding="utf-8")
    assert again == Path(demo_run["files"]["report"]).read_text(encoding="utf-8")


def test_bad_results_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SolvencyInputError, match="no demo results"):
        read_results(tmp_path)
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SolvencyInputError, match="not valid JSON"):
        read_results(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"format": 99, "sections": {}}), encoding="utf-8")
    with pytest.raises(SolvencyInputError, match="format 99"):
        read_results(tmp_path / "results.json")
    (tmp_path / "results.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SolvencyInputError, match="not a solvency demo results file"):
        read_results(tmp_path)
