"""Plotly figures of the demo report, each built from one section of the results document (never recomputed).

Every function takes the section's dict from ``results.json`` and returns a :class:`plotly.graph_objects.Figure`
with a small, shared look (:func:`_layout`): no plotly template is embedded, fractions are shown as percentages,
times are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from solvency.market.regimes import REGIMES

INK = "#1f2933"
GRID = "#e4e7eb"
REGIME_COLOURS = {"calm": "#4c9f70", "normal": "#a7b4c2", "stressed": "#f0a030", "crisis": "#c8372d"}
MODEL_COLOURS = {"ewma": "#7b8794", "garch": "#2f6fb0", "gjr": "#8e5bb5", "har": "#1c9c8c"}
SERIES = ("#2f6fb0", "#c8372d", "#f0a030", "#4c9f70", "#8e5bb5", "#1c9c8c", "#7b8794", "#b05a2f")
"""Colours of categorical series, in order."""
PARAMS = ("#2f6fb0", "#8e5bb5", "#1c9c8c", "#b05a2f")
"""Colours of protocol parameters (distinct from the regime colours)."""


def _t(values: Sequence[str]) -> list[str]:
    """ISO UTC times as plotly.js reads them without a zone (the axes say UTC)."""
    return [v.replace("T", " ").rstrip("Z") for v in values]


def _pct(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else 100.0 * v for v in values]


def _layout(fig: go.Figure, *, height: int = 420, **kwargs: Any) -> go.Figure:
    layout: dict[str, Any] = {
        "template": go.layout.Template(),
        "height": height,
        "margin": {"l": 64, "r": 24, "t": 36, "b": 48},
        "font": {"family": "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": INK},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
    }
    fig.update_layout(**(layout | kwargs))
    fig.update_xaxes(showgrid=True, gridcolor=GRID, linecolor="#9aa5b1", ticks="outside", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor=GRID, linecolor="#9aa5b1", ticks="outside", zeroline=False)
    return fig


def _layout_legend_above(fig: go.Figure, *, height: int, legend_y: float, bottom: int = 48, **kwargs: Any) -> go.Figure:
    """The shared look with room above the plot for the legend and the subplot titles."""
    return _layout(
        fig,
        height=height,
        margin={"l": 64, "r": 24, "t": 84, "b": bottom},
        legend={"orientation": "h", "yanchor": "bottom", "y": legend_y, "xanchor": "left", "x": 0},
        **kwargs,
    )


def price_regimes(market: dict[str, Any]) -> go.Figure:
    """Close price (log scale) over a strip of the regime of every bar, by the rules and by Markov switching."""
    s = market["series"]
    x = _t(s["time"])
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.04)
    fig.add_trace(
        go.Scatter(x=x, y=s["close"], name="close", line={"color": INK, "width": 1.4}, hovertemplate="%{y:,.2f}"),
        row=1,
        col=1,
    )
    levels = {name: i for i, name in enumerate(REGIMES)}
    rows = [("rules", s["regime"])]
    if any(v is not None for v in s["markov"]):
        rows.append(("Markov", s["markov"]))
    n = len(REGIMES)
    scale = []
    for i, name in enumerate(REGIMES):
        scale += [[i / n, REGIME_COLOURS[name]], [(i + 1) / n, REGIME_COLOURS[name]]]
    fig.add_trace(
        go.Heatmap(
            x=x,
            y=[label for label, _ in rows],
            z=[[None if v is None else levels[v] for v in values] for _, values in rows],
            text=[[v or "warm-up" for v in values] for _, values in rows],
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=scale,
            showscale=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
            name="regime",
        ),
        row=2,
        col=1,
    )
    for name in REGIMES:  # legend entries for the strip's colours
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"symbol": "square", "size": 12, "color": REGIME_COLOURS[name]},
                name=name,
                showlegend=True,
            ),
            row=1,
            col=1,
        )
    fig.update_yaxes(type="log", dtick="D2", title_text="price", row=1, col=1)
    fig.update_yaxes(showgrid=False, row=2, col=1)
    fig.update_xaxes(title_text="UTC", row=2, col=1)
    return _layout(fig, height=480)


def vol_forecast(market: dict[str, Any]) -> go.Figure:
    """One-step-ahead volatility forecasts of each model against the realized volatility, annualised."""
    f = market["forecast"]
    x = _t(f["time"])
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_pct(f["realized"]),
            name=f"realized ({f['realized_window']}-bar mean of {f['proxy'].replace('_', '-')})",
            line={"color": INK, "width": 2.2},
            hovertemplate="%{y:.1f} %",
        )
    )
    for model in f["models"]:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_pct(f[model]),
                name=model.upper() if model != "gjr" else "GJR",
                line={"color": MODEL_COLOURS.get(model), "width": 1.3},
                hovertemplate="%{y:.1f} %",
            )
        )
    fig.update_yaxes(title_text="volatility, annualised (%)", rangemode="tozero")
    fig.update_xaxes(title_text="UTC")
    return _layout(fig)


def bad_debt(stress: dict[str, Any]) -> go.Figure:
    """Distribution over paths of bad debt as a share of debt, per scenario, with VaR95 and ES99 marked."""
    fig = go.Figure()
    names = list(stress["scenarios"])
    for i, name in enumerate(names):
        sc = stress["scenarios"][name]
        fig.add_trace(
            go.Box(
                y=_pct(sc["bad_debt_paths"]),
                name=name,
                marker={"color": SERIES[i % len(SERIES)], "size": 3},
                boxpoints="outliers",
                hovertemplate="%{y:.3f} %<extra>" + name + "</extra>",
                showlegend=False,
            )
        )
    for key, symbol, label in (("var95", "line-ew-open", "VaR95"), ("es99", "x-thin-open", "ES99")):
        fig.add_trace(
            go.Scatter(
                x=names,
                y=[100 * stress["scenarios"][n]["bad_debt_share"][key] for n in names],
                mode="markers",
                marker={"symbol": symbol, "size": 16, "line": {"width": 2.5, "color": INK}, "color": INK},
                name=label,
                hovertemplate=label + " %{y:.3f} %<extra></extra>",
            )
        )
    symbols = ("diamond", "diamond-open", "square-open", "circle-open")
    conditions = list(stress.get("conditions", {}))
    names = list(stress["replays"])
    for i, condition in enumerate(conditions):
        fig.add_trace(
            go.Scatter(
                x=[_wrap(n) for n in names],
                y=[100 * stress["replays"][n]["conditions"][condition]["bad_debt_share"]["mean"] for n in names],
                mode="markers",
                marker={"symbol": symbols[i % len(symbols)], "size": 12, "color": "#c8372d", "line": {"width": 2}},
                name=f"replay, {condition} operations",
                hovertemplate="%{y:.3f} %<extra>" + condition + "</extra>",
            )
        )
    fig.update_yaxes(title_text="bad debt, % of debt", rangemode="tozero")
    return _layout(fig, hovermode="closest")


def margin_exceedances(perp: dict[str, Any]) -> go.Figure:
    """Cumulative margin exceedances (dynamic, static, expected) and a zoom on the largest move."""
    c, z = perp["cumulative"], perp["zoom"]
    horizon = perp["backtest"]["horizon"]
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.5, 0.5],
        vertical_spacing=0.14,
        subplot_titles=(
            "cumulative exceedances over the whole history",
            f"{horizon} moves and margins where the static margin failed most",
        ),
    )
    cx = _t(c["time"])
    for key, colour, dash, label in (
        ("expected", "#7b8794", "dot", "expected at the coverage level"),
        ("static", SERIES[1], "solid", "static margin"),
        ("dynamic", SERIES[0], "solid", "dynamic margin"),
    ):
        fig.add_trace(
            go.Scatter(x=cx, y=c[key], name=label, line={"color": colour, "dash": dash, "width": 1.8}),
            row=1,
            col=1,
        )
    zx = _t(z["time"])
    fig.add_trace(
        go.Bar(x=zx, y=_pct(z["move"]), name=f"|{horizon} move|", marker={"color": "#a7b4c2"}, showlegend=True),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=zx, y=_pct(z["margin"]), name="dynamic margin", line={"color": SERIES[0], "width": 1.6}, showlegend=False
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=[zx[0], zx[-1]],
            y=[100 * z["static_margin"]] * 2,
            name="static margin",
            line={"color": SERIES[1], "dash": "dash", "width": 1.4},
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    hit = [i for i, e in enumerate(z["exceeded"]) if e]
    fig.add_trace(
        go.Scatter(
            x=[zx[i] for i in hit],
            y=[100 * z["move"][i] for i in hit],
            mode="markers",
            marker={"symbol": "x", "size": 9, "color": "#c8372d"},
            name="exceedance",
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="count", row=1, col=1)
    fig.update_yaxes(title_text="% of notional", row=2, col=1)
    fig.update_layout(bargap=0)
    return _layout_legend_above(fig, height=640, legend_y=1.08)


def perp_tiers(perp: dict[str, Any]) -> go.Figure:
    """Initial and maintenance margin fraction of each notional tier."""
    tiers = perp["calibration"]["tiers"]
    labels = [f"≤ {_money(t['max_notional'])}" for t in tiers]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=[100 * t["imf"] for t in tiers], name="IMF", marker={"color": SERIES[0]}))
    fig.add_trace(go.Bar(x=labels, y=[100 * t["mmf"] for t in tiers], name="MMF", marker={"color": "#a7b4c2"}))
    fig.update_yaxes(title_text="% of notional", rangemode="tozero")
    fig.update_xaxes(title_text="position notional (quote)")
    return _layout(fig, height=360, barmode="group", hovermode="x")


def portfolio_grid(portfolio: dict[str, Any]) -> go.Figure:
    """P&L of the book in each scenario of the grid: price move × implied-vol shock, extended moves weighted."""
    m = portfolio["margin"]
    grid = [s for s in m["scenarios"] if s["weight"] == 1.0]
    extended = [s for s in m["scenarios"] if s["weight"] != 1.0]
    shocks = sorted({s["vol_shock"] for s in grid})
    fig = go.Figure()
    for i, shock in enumerate(shocks):
        pts = sorted((s for s in grid if s["vol_shock"] == shock), key=lambda s: s["price_move"])
        fig.add_trace(
            go.Scatter(
                x=[100 * s["price_move"] for s in pts],
                y=[s["pnl"] for s in pts],
                mode="lines+markers",
                name=f"IV {'+' if shock > 0 else ''}{100 * shock:.0f} %" if shock else "IV unchanged",
                line={"color": SERIES[i % len(SERIES)]},
            )
        )
    if extended:
        fig.add_trace(
            go.Scatter(
                x=[100 * s["price_move"] for s in extended],
                y=[s["weight"] * s["pnl"] for s in extended],
                mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": "#7b8794"},
                name=f"extended moves × weight {portfolio['extended_weight']:g}",
            )
        )
    xs = [100 * s["price_move"] for s in m["scenarios"]]
    fig.add_trace(
        go.Scatter(
            x=[min(xs), max(xs)],
            y=[-m["initial_margin"]] * 2,
            mode="lines",
            line={"color": "#c8372d", "dash": "dash"},
            name="− initial margin",
        )
    )
    fig.update_xaxes(title_text="price move (%)")
    fig.update_yaxes(title_text="P&L (quote)")
    return _layout(fig, hovermode="closest")


def oracle_timeline(oracle: dict[str, Any], market: str) -> go.Figure:
    """Price, volatility and regime, and the parameters the oracle set, bar by bar."""
    m = oracle["markets"][market]
    t = m["timeline"]
    x = _t(t["time"])
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.3, 0.3, 0.4], vertical_spacing=0.05)
    fig.add_trace(go.Scatter(x=x, y=t["price"], name="price", line={"color": INK, "width": 1.4}), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=x, y=_pct(t["sigma"]), name="σ (annualised)", line={"color": "#7b8794", "width": 1.2}),
        row=2,
        col=1,
    )
    for name in REGIMES:
        idx = [i for i, r in enumerate(t["regime"]) if r == name and t["sigma"][i] is not None]
        if idx:
            fig.add_trace(
                go.Scatter(
                    x=[x[i] for i in idx],
                    y=[100 * t["sigma"][i] for i in idx],
                    mode="markers",
                    marker={"size": 5, "color": REGIME_COLOURS[name]},
                    name=name,
                ),
                row=2,
                col=1,
            )
    ratios = [p for p in m["params"] if "cap" not in p]
    for i, p in enumerate(ratios):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_pct(t[p]),
                name=p.replace("_", " "),
                line={"shape": "hv", "color": PARAMS[i % len(PARAMS)], "width": 2},
            ),
            row=3,
            col=1,
        )
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(title_text="σ (%)", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="parameter (%)", row=3, col=1)
    fig.update_xaxes(title_text="UTC", row=3, col=1)
    return _layout(fig, height=620)


def _wrap(label: str, width: int = 16) -> str:
    """A category label broken at hyphens into lines of about ``width`` characters (plotly's ``<br>``)."""
    lines: list[str] = []
    for part in label.split("-"):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "-" + part
        else:
            lines.append(part)
    return "-<br>".join(lines)


def _money(value: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def lt_frontier(lending: dict[str, Any]) -> go.Figure:
    """Bad debt (ES99, % of debt) against the liquidation threshold, per market, with current and recommended."""
    fig = go.Figure()
    budgets: set[float] = set()
    for i, (name, m) in enumerate(lending["markets"].items()):
        colour = SERIES[i % len(SERIES)]
        debt = m["debt_total"]
        curve = sorted(m["lt_curve"], key=lambda c: c["liquidation_threshold"])
        fig.add_trace(
            go.Scatter(
                x=[100 * c["liquidation_threshold"] for c in curve],
                y=[100 * c["bad_debt_es99"] / debt for c in curve],
                mode="lines+markers",
                line={"color": colour, "width": 1.8},
                marker={"size": 5},
                name=m["asset"],
                legendgroup=name,
                hovertemplate="LT %{x:.1f} %: ES99 %{y:.4f} % of debt<extra>" + m["asset"] + "</extra>",
            )
        )
        for key, risk, symbol, label in (
            ("current", m["risk_current"], "circle-open", "current"),
            ("recommended", m["risk"], "star", "recommended"),
        ):
            lt = m["current"]["liquidation_threshold"] if key == "current" else m["liquidation_threshold"]
            fig.add_trace(
                go.Scatter(
                    x=[100 * lt],
                    y=[100 * risk["bad_debt_es99"] / debt],
                    mode="markers",
                    marker={"symbol": symbol, "size": 13, "color": colour, "line": {"width": 2, "color": colour}},
                    name=f"{m['asset']} {label}",
                    legendgroup=name,
                    showlegend=False,
                    hovertemplate=f"{m['asset']} {label}: LT %{{x:.2f}} %, ES99 %{{y:.4f}} %<extra></extra>",
                )
            )
        budgets.add(m["budget"])
    xs = [100 * c["liquidation_threshold"] for m in lending["markets"].values() for c in m["lt_curve"]]
    for b in sorted(budgets):
        fig.add_trace(
            go.Scatter(
                x=[min(xs), max(xs)],
                y=[100 * b] * 2,
                mode="lines",
                line={"color": "#7b8794", "dash": "dash"},
                name=f"budget ({100 * b:g} % of debt)",
            )
        )
    for symbol, label in (("circle-open", "current"), ("star", "recommended")):
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", marker={"symbol": symbol, "size": 11, "color": INK}, name=label
            )
        )
    fig.update_xaxes(title_text="liquidation threshold (%) — capital efficiency →")
    fig.update_yaxes(title_text="ES99 of bad debt (% of debt)", rangemode="tozero")
    return _layout(fig, hovermode="closest")


def lending_params(lending: dict[str, Any]) -> go.Figure:
    """Current and recommended LTV, LT and LB of each market, side by side."""
    names = list(lending["markets"])
    labels = [lending["markets"][n]["asset"] for n in names]
    keys = (
        ("ltv", "LTV"),
        ("liquidation_threshold", "liquidation threshold"),
        ("liquidation_bonus", "liquidation bonus"),
    )
    fig = make_subplots(rows=1, cols=3, subplot_titles=[k[1] for k in keys], horizontal_spacing=0.07)
    for col, (key, _) in enumerate(keys, start=1):
        for which, colour in (("current", "#a7b4c2"), ("recommended", SERIES[0])):
            values = [
                lending["markets"][n]["current"][key] if which == "current" else lending["markets"][n][key]
                for n in names
            ]
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=[100 * v for v in values],
                    name=which,
                    marker={"color": colour},
                    showlegend=col == 1,
                    legendgroup=which,
                    hovertemplate="%{x} " + which + ": %{y:.2f} %<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(title_text="%", row=1, col=1)
    return _layout_legend_above(fig, height=400, legend_y=1.12, barmode="group", hovermode="closest")


def transition_timeline(lending: dict[str, Any]) -> go.Figure:
    """Each market's steward plan: LTV and LT after every step, from the parameters in force."""
    names = list(lending["markets"])
    cols = 2
    rows = -(-len(names) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[lending["markets"][n]["asset"] for n in names],
        vertical_spacing=0.22,
        horizontal_spacing=0.08,
    )
    for k, name in enumerate(names):
        m = lending["markets"][name]
        r, c = k // cols + 1, k % cols + 1
        days = [0.0] + [s["after_days"] for s in m["transition"]]
        for j, (key, label) in enumerate((("ltv", "LTV"), ("liquidation_threshold", "LT"))):
            values = [m["current"][key]] + [s[key] for s in m["transition"]]
            fig.add_trace(
                go.Scatter(
                    x=days,
                    y=[100 * v for v in values],
                    mode="lines",
                    line={"shape": "hv", "color": PARAMS[j], "width": 2},
                    name=label,
                    legendgroup=label,
                    showlegend=k == 0,
                    hovertemplate="day %{x:g}: " + label + " %{y:.2f} %<extra>" + m["asset"] + "</extra>",
                ),
                row=r,
                col=c,
            )
        fig.update_xaxes(title_text="days", row=r, col=c)
    return _layout_legend_above(fig, height=320 * rows + 80, legend_y=1.06, hovermode="closest")


def policy_comparison(liquidation: dict[str, Any]) -> go.Figure:
    """Bad debt and slippage of each liquidation policy in each scenario (same random numbers for every policy)."""
    c = liquidation["comparison"]
    debt = liquidation["debt_total"]
    scenarios = list(c["scenarios"])
    policies = list(c["policies"])
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("mean bad debt (% of debt)", "mean slippage paid by liquidators (% of debt)"),
        horizontal_spacing=0.1,
    )
    for i, policy in enumerate(policies):
        for col, metric in ((1, "bad_debt_mean"), (2, "slippage_mean")):
            fig.add_trace(
                go.Bar(
                    x=[_wrap(s) for s in scenarios],
                    y=[100 * c["scenarios"][s]["policies"][policy][metric] / debt for s in scenarios],
                    name=policy.replace("_", " "),
                    marker={"color": SERIES[i % len(SERIES)]},
                    legendgroup=policy,
                    showlegend=col == 1,
                    hovertemplate=policy + ": %{y:.4f} %<extra>%{x}</extra>",
                ),
                row=1,
                col=col,
            )
    return _layout_legend_above(fig, height=430, legend_y=1.12, bottom=64, barmode="group", hovermode="closest")
