"""The report in headless Chromium: it opens with the network off, logs no console error, and every plot has drawn
data. A full-page screenshot is kept in ``build/report.png`` (a CI artifact).

Chromium is Debian's ``chromium`` (``.ci/run`` installs it); playwright drives it and never downloads a browser.
Without ``/usr/bin/chromium`` the test skips, unless ``SOLVENCY_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "build" / "report.png"

PLOTS = """() => Array.from(document.querySelectorAll("div.plot[data-figure]")).map(div => ({
  key: div.dataset.figure,
  drawn: div.querySelectorAll(".main-svg").length,
  traces: (div.data || []).length,
  points: (div.calcdata || []).map(cd => cd.filter(p => p && (Number.isFinite(p.y) || Number.isFinite(p.z)
                                                          || Number.isFinite(p.med) || Array.isArray(p.z))).length),
}))"""


def _browser() -> Any:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[test]')"
    if missing:
        if os.environ.get("SOLVENCY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser test is required here but {missing}")
        pytest.skip(missing)
    return sync_playwright


def test_report_renders_offline_without_errors_and_every_plot_has_data(demo_run: dict[str, Any]) -> None:
    sync_playwright = _browser()
    report = Path(demo_run["files"]["report"]).resolve()
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('div.plot[data-figure]')).every(d => d._fullLayout)"
            )
            plots = page.evaluate(PLOTS)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith("file://")] == []
    keys = {p["key"] for p in plots}
    assert {"market.price_regimes", "market.vol_forecast", "stress.bad_debt", "perp.exceedances"} <= keys
    assert any(k.startswith("oracle.timeline.") for k in keys)
    for p in plots:
        assert p["drawn"] >= 1, p["key"]
        assert p["traces"] >= 1, p["key"]
        assert max(p["points"]) >= 2, f"{p['key']}: no trace with drawn points {p['points']}"
    assert SCREENSHOT.stat().st_size > 50_000
