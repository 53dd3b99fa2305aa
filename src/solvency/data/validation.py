"""Validation of a price series: what is wrong with it, where, and whether it is usable.

:func:`validate_prices` reads a frame as returned by :func:`solvency.data.loading.load_prices` and returns
a :class:`ValidationReport` listing every problem as an :class:`Issue` with its time (and file row when the
frame came from a file). It never changes the data; :func:`solvency.data.cleaning.clean_prices` does that,
explicitly.

Kinds of issue and the rules behind them
----------------------------------------
Fatal (the series cannot be used as it is; ``report.ok`` is False):

``non_finite``
    A price field (open, high, low, close) is missing, NaN or infinite. One issue per row. Volume is not
    checked: it is not a price.
``non_positive``
    A price field is zero or negative. One issue per row.
``duplicate``
    A timestamp appears more than once. One issue per repeat, naming the row it repeats and whether the
    prices agree.
``unsorted``
    A row's time is earlier than the row before it (after the loader has reversed newest-first files).
    One issue per such descent.

Not fatal (the series is usable; these describe it):

``gap``
    Bars missing against the bar length inferred from the data (the most common spacing,
    :func:`solvency.data.frequency.infer_step`) or given as ``step``. The issue's time is the first missing
    bar and ``bars`` how many are missing: ``round(spacing / step) - 1``, so a timestamp a few minutes late
    is not a gap.
``off_grid``
    A timestamp not on the series' grid (the most common phase modulo the bar length), e.g. CoinGecko's
    snapshot taken at 00:05:11 instead of 00:00. When more than half the bars are off the grid (snapshots
    polled at irregular times), one issue says so for the whole series instead.
``spike``
    A single bar far outside the bars around it, that comes straight back. Returns are log returns of the
    close; their local scale is ``1.4826 × MAD`` over a centred window of ``window`` (61) returns, floored at
    a quarter of the whole series' scale and at the smallest non-zero move (one tick), so that quiet or
    stale stretches do not make every tick an outlier. Two shapes are reported:

    * *close*: the return into the bar and the return out of it are both at least ``spike_z`` (10) robust
      SDs from the local median, of opposite sign, both at least ``spike_min`` (5 %) in size, and the close
      after the bar lands within half the smaller move of the close before it.
    * *open / high / low alone*: the field lies outside the band of the closes around the bar
      (``[min(c[t-1], c[t]), max(c[t-1], c[t])]``; an open normally sits at the previous close in a market
      that trades around the clock) by at least ``field_z`` (20) robust SDs and at least ``spike_min``.
      This is how Yahoo's DAI highs of 3.67 on 2021-11-16 (close 1.00) show: the close is normal, the high
      is not. The band is anchored on closes, not on the open, because a bad open would hide a bad high.

    The thresholds are high on purpose: crypto returns are fat-tailed and a lower bar floods the report
    with real moves. A spike is a statistical flag, not a verdict: real events that revert within a bar
    (USDC's depeg low of 0.877 on 2023-03-11, BTC's +7 % fake-news hour of 2023-10-16) look the same in a
    price file and are reported too. Review spikes before cleaning them away.
``stale``
    A run of identical consecutive closes longer than the series' own rate of unchanged closes explains.
    With ``p`` the fraction of closes equal to the one before and ``m`` returns, a run of ``k`` unchanged
    closes in a row is reported when ``m · p**k < stale_alpha`` (0.01) — fewer than one such run in a
    hundred series of this length if bars were independent — and ``k ≥ stale_min`` (3). A stablecoin
    quoted to 4 decimals repeats its close often, so its threshold rises by itself; an exchange outage
    filled with the last price (Binance, 2018-02-08, 34 hours) stands out. The detail says how many bars of
    the run had zero volume when volume is known.
``ohlc_inconsistent``
    ``low > min(open, close)`` or ``high < max(open, close)`` (or ``high < low``) by more than a relative
    ``ohlc_rtol`` (1e-9: float formatting noise, not data; rounding to a tick is monotone and never breaks
    these inequalities).

Gaps, spikes, staleness and OHLC consistency are judged on the usable part of the series: rows sorted by
time, one row per timestamp (the one written last in the file, as cleaning keeps) and rows with a
non-finite or non-positive close dropped, so one bad row is reported once, under its own kind, not again
as a gap or a spike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.data import checks
from solvency.data.frequency import infer_step
from solvency.data.loading import PRICE_FIELDS, SeveralSeriesError, load_prices
from solvency.errors import DataFormatError
from solvency.units import format_duration, parse_duration

FATAL_KINDS: frozenset[str] = frozenset({"non_positive", "non_finite", "duplicate", "unsorted"})
"""Kinds of issue that make a series unusable until cleaned."""

KINDS: tuple[str, ...] = (
    "non_finite",
    "non_positive",
    "duplicate",
    "unsorted",
    "gap",
    "off_grid",
    "spike",
    "stale",
    "ohlc_inconsistent",
)
"""Every kind of issue, fatal ones first (the order reports are sorted in)."""


@dataclass(frozen=True)
class ValidationRules:
    """Thresholds of the validation rules (see the module docstring for what each one does).

    Attributes
    ----------
    window
        Returns in the centred window of the rolling median / MAD (bars).
    floor_fraction
        Floor of the local scale as a fraction of the whole series' robust scale.
    spike_z
        Robust z-score both legs of a close spike must reach.
    field_z
        Robust z-score an open / high / low must reach outside the band of the closes around it.
    spike_min
        Smallest move reported as a spike, in log units (0.05 ≈ 5 %).
    spike_revert
        The close after a spike must land within this fraction of the smaller leg of the close before it.
    stale_alpha
        Expected number of runs this long under independent bars below which a run is stale.
    stale_min
        Fewest unchanged closes in a row ever reported as stale.
    ohlc_rtol
        Relative tolerance of the OHLC inequalities.
    min_returns
        Fewest returns needed to judge spikes and staleness (shorter series are not judged).
    """

    window: int = 61
    floor_fraction: float = 0.25
    spike_z: float = 10.0
    field_z: float = 20.0
    spike_min: float = 0.05
    spike_revert: float = 0.5
    stale_alpha: float = 0.01
    stale_min: int = 3
    ohlc_rtol: float = 1e-9
    min_returns: int = 20


DEFAULT_RULES = ValidationRules()


@dataclass(frozen=True)
class Issue:
    """One problem in a price series.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    time
        When (UTC); for a gap the first missing bar, for a stale run its first bar.
    detail
        What is wrong, in words, with the values involved.
    fatal
        Whether the series is unusable until this is fixed.
    row
        1-based data row in the source file (header excluded), when the frame came from a file.
    field
        The price field concerned (``open``, ``high``, ``low``, ``close``; several joined by commas).
    column
        The file column checked, when a file holding several series is checked series by series.
    bars
        Number of bars: missing (gap) or in the run (stale).
    """

    kind: str
    time: pd.Timestamp | None
    detail: str
    fatal: bool
    row: int | None = None
    field: str | None = None
    column: str | None = None
    bars: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``kind, time, detail`` plus ``fatal``, ``row`` and whichever of the rest are set."""
        out: dict[str, Any] = {"kind": self.kind, "time": self.time, "detail": self.detail, "fatal": self.fatal}
        out["row"] = self.row
        for name in ("field", "column", "bars"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass
class ValidationReport:
    """What :func:`validate_prices` found.

    Attributes
    ----------
    rows
        Number of rows in the frame.
    start, end
        First and last time (None for an empty frame or one without any valid time).
    frequency
        Bar length as a string (``"1d"``, ``"1h"``, ``"10m"``), None with fewer than two distinct times.
    step_seconds
        Bar length in seconds.
    issues
        Every problem found, ordered by kind (fatal first) then time.
    source
        The file the frame came from (``attrs["source"]``), if any.
    series
        The file column used as the close (``attrs["series"]``), if any.
    """

    rows: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    frequency: str | None
    step_seconds: int | None
    issues: list[Issue] = field(default_factory=list)
    source: str | None = None
    series: str | None = None
    columns: list[str] | None = None

    @property
    def ok(self) -> bool:
        """True when no issue is fatal."""
        return not any(i.fatal for i in self.issues)

    @property
    def fatal(self) -> list[Issue]:
        """The fatal issues."""
        return [i for i in self.issues if i.fatal]

    def of_kind(self, kind: str) -> list[Issue]:
        """The issues of one kind."""
        return [i for i in self.issues if i.kind == kind]

    def counts(self) -> dict[str, int]:
        """Number of issues per kind (kinds with none left out), in :data:`KINDS` order."""
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.kind] = out.get(issue.kind, 0) + 1
        return {k: out[k] for k in KINDS if k in out} | {k: v for k, v in out.items() if k not in KINDS}

    def to_dict(self) -> dict[str, Any]:
        """``{"rows", "start", "end", "frequency", "issues": [{"kind", "time", "detail", …}], "ok"}``.

        A report of a file checked series by series (:func:`check_file`) adds ``"columns"``, the series checked.
        """
        return {
            "rows": self.rows,
            "start": self.start,
            "end": self.end,
            "frequency": self.frequency,
            "issues": [i.to_dict() for i in self.issues],
            "ok": self.ok,
        } | ({"columns": list(self.columns)} if self.columns is not None else {})

    def summary(self) -> str:
        """A few lines for a terminal or a log."""
        span = f"{format_time(self.start)} → {format_time(self.end)}" if self.start is not None else "no valid times"
        head = f"{self.source or 'prices'}: {self.rows:,} rows, {span}, bars of {self.frequency or '?'}"
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items()) or "no issues"
        verdict = "ok" if self.ok else "FATAL problems: run `solvency data check FILE --clean`"
        return f"{head}\n{counts}\n{verdict}"


# ------------------------------------------------------------------------------------------------ public


def validate_prices(
    df: pd.DataFrame,
    *,
    step: int | str | None = None,
    rules: ValidationRules | None = None,
) -> ValidationReport:
    """Check a price frame and report every problem with its time.

    Parameters
    ----------
    df
        As returned by :func:`~solvency.data.loading.load_prices`: a ``DatetimeIndex`` (UTC; naive is taken
        as UTC) and a ``close`` column, optionally ``open``, ``high``, ``low``, ``volume``. ``attrs["rows"]``
        (1-based file rows aligned with the frame) is used to name rows when present.
    step
        Bar length (seconds or a string like ``"1h"``) to judge gaps against; inferred from the data when
        None.
    rules
        Thresholds; :data:`DEFAULT_RULES` when None.

    Returns
    -------
    ValidationReport
        ``ok`` is False when a fatal issue (non-finite or non-positive price, duplicate or unsorted
        timestamp) was found.

    Raises
    ------
    DataFormatError
        The frame has no ``close`` column or its index is not made of times.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="1D", tz="UTC").delete(3)
    >>> report = validate_prices(pd.DataFrame({"close": [1.0, 1.1, -1.0, 1.2, 1.3]}, index=idx))
    >>> [(i.kind, str(i.time.date())) for i in report.issues]
    [('non_positive', '2024-01-03'), ('gap', '2024-01-04')]
    >>> report.ok, report.frequency
    (False, '1d')
    """
    rules = rules or DEFAULT_RULES
    if "close" not in df.columns:
        raise DataFormatError(f"no close column among {list(df.columns)}", path=df.attrs.get("source"))
    index = _utc_index(df.index, df.attrs.get("source"))
    n = len(df)
    rows = _file_rows(df)
    fields = [f for f in PRICE_FIELDS if f in df.columns]
    prices = {f: pd.to_numeric(df[f], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) for f in fields}
    valid_time = ~np.asarray(index.isna())
    t_ns = np.where(valid_time, index.as_unit("ns").asi8, np.iinfo("int64").min)

    issues: list[Issue] = []
    issues += _check_values(index, rows, prices, valid_time)
    issues += _check_order(index, rows, prices, t_ns, valid_time)

    # The time grid is judged on every row with a time (a row with a bad price is not also a gap); prices on
    # the usable part: sorted, first row of each timestamp, finite positive close.
    close = prices["close"]
    tpos = _sorted_unique(np.flatnonzero(valid_time), t_ns, rows)
    with np.errstate(invalid="ignore"):
        pos = _sorted_unique(np.flatnonzero(valid_time & np.isfinite(close) & (close > 0)), t_ns, rows)

    step_s = _step_seconds(step, index[tpos])
    if tpos.size and step_s is not None:
        issues += _check_time_grid(index, rows, t_ns, tpos, step_s)
    issues += _check_ohlc(index, rows, prices, pos, rules)
    if pos.size > rules.min_returns:
        volume = (
            pd.to_numeric(df["volume"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            if "volume" in df.columns
            else None
        )
        issues += _check_stale(index, rows, close, volume, pos, rules)
        issues += _check_spikes(index, rows, prices, pos, rules)

    order = {k: i for i, k in enumerate(KINDS)}
    issues.sort(key=lambda i: (order.get(i.kind, len(order)), _sort_time(i.time), i.row or 0, i.field or ""))
    times = index[valid_time]
    return ValidationReport(
        rows=n,
        start=times.min() if len(times) else None,
        end=times.max() if len(times) else None,
        frequency=format_duration(step_s) if step_s else None,
        step_seconds=step_s,
        issues=issues,
        source=df.attrs.get("source"),
        series=df.attrs.get("series"),
    )


TIME_KINDS: frozenset[str] = frozenset({"duplicate", "unsorted", "gap", "off_grid"})
"""Kinds that concern the time column, shared by every series of a file."""


def check_file(
    path: str | Path,
    *,
    column: str | None = None,
    step: int | str | None = None,
    rules: ValidationRules | None = None,
) -> tuple[ValidationReport, pd.DataFrame | None]:
    """Load a file and validate it; a file with several series and no close is checked series by series.

    Parameters
    ----------
    path
        Any file :func:`~solvency.data.loading.load_prices` reads.
    column
        The series to check where a file holds several (e.g. ``avgGasDay``).
    step, rules
        As for :func:`validate_prices`.

    Returns
    -------
    (report, frame)
        ``frame`` is the loaded series, or None when several were checked; then the report's ``columns``
        lists them, issues about values name their ``column``, and issues about time (duplicates, order,
        gaps, off-grid) appear once.
    """
    try:
        frame = load_prices(path, column=column)
    except SeveralSeriesError as exc:
        candidates = exc.candidates
    else:
        return validate_prices(frame, step=step, rules=rules), frame
    reports = [(c, validate_prices(load_prices(path, column=c), step=step, rules=rules)) for c in candidates]
    first = reports[0][1]
    issues = [i for i in first.issues if i.kind in TIME_KINDS]
    for name, rep in reports:
        issues += [dataclasses.replace(i, column=name) for i in rep.issues if i.kind not in TIME_KINDS]
    order = {k: i for i, k in enumerate(KINDS)}
    issues.sort(key=lambda i: (order.get(i.kind, len(order)), _sort_time(i.time), i.column or "", i.field or ""))
    merged = dataclasses.replace(first, issues=issues, series=None, columns=list(candidates))
    return merged, None


# ------------------------------------------------------------------------------------------------ checks


def _check_values(
    index: pd.DatetimeIndex, rows: np.ndarray, prices: dict[str, np.ndarray], valid_time: np.ndarray
) -> list[Issue]:
    out: list[Issue] = []
    n = len(index)
    if (~valid_time).any():
        for p in np.flatnonzero(~valid_time):
            out.append(Issue("non_finite", None, "missing time", True, row=int(rows[p]), field="time"))
    nonfinite = {f: ~np.isfinite(v) for f, v in prices.items()}
    with np.errstate(invalid="ignore"):
        nonpos = {f: np.isfinite(v) & (v <= 0) for f, v in prices.items()}
    any_nf = np.zeros(n, bool)
    any_np = np.zeros(n, bool)
    for f in prices:
        any_nf |= nonfinite[f]
        any_np |= nonpos[f]
    for p in np.flatnonzero(any_nf):
        bad = [f for f in prices if nonfinite[f][p]]
        what = _grouped({f: _describe_nonfinite(prices[f][p]) for f in bad})
        out.append(_issue("non_finite", index, rows, p, what, field=",".join(bad)))
    for p in np.flatnonzero(any_np):
        bad = [f for f in prices if nonpos[f][p]]
        what = _grouped({f: _num(prices[f][p]) for f in bad})
        out.append(_issue("non_positive", index, rows, p, what, field=",".join(bad)))
    return out


def _check_order(
    index: pd.DatetimeIndex,
    rows: np.ndarray,
    prices: dict[str, np.ndarray],
    t_ns: np.ndarray,
    valid_time: np.ndarray,
) -> list[Issue]:
    out: list[Issue] = []
    valid = np.flatnonzero(valid_time)
    t = t_ns[valid]
    repeats, firsts = checks.duplicate_positions(t)
    for rep, fst in zip(valid[repeats], valid[firsts], strict=True):
        same = all(_same(v[rep], v[fst]) for v in prices.values())
        if same:
            how = "same prices"
        else:
            f = next(f for f, v in prices.items() if not _same(v[rep], v[fst]))
            how = f"different prices: {f} {_num(prices[f][rep])} vs {_num(prices[f][fst])}"
        out.append(_issue("duplicate", index, rows, rep, f"timestamp repeats row {rows[fst]} ({how})"))
    for k in checks.unsorted_positions(t):
        p, q = valid[k], valid[k - 1]
        detail = f"comes after {format_time(index[q])} (row {rows[q]}): rows are not in time order"
        out.append(_issue("unsorted", index, rows, p, detail))
    return out


def _check_time_grid(
    index: pd.DatetimeIndex, rows: np.ndarray, t_ns: np.ndarray, pos: np.ndarray, step_s: int
) -> list[Issue]:
    out: list[Issue] = []
    step_ns = int(step_s) * 1_000_000_000
    t = t_ns[pos]
    where, missing = checks.gap_positions(t, step_ns)
    bar = format_duration(step_s)
    for k, m in zip(where, missing, strict=True):
        before, after = pos[k], pos[k + 1]
        first_missing = index[before] + pd.Timedelta(seconds=step_s)
        last_missing = index[before] + pd.Timedelta(seconds=step_s * int(m))
        span = format_time(first_missing) if m == 1 else f"{format_time(first_missing)} → {format_time(last_missing)}"
        out.append(
            Issue(
                "gap",
                first_missing,
                f"{m} missing {bar} bar{'s' if m > 1 else ''} ({span}), between rows {rows[before]} and {rows[after]}",
                False,
                row=int(rows[after]),
                bars=int(m),
            )
        )
    grid_pos, offsets, _phase = checks.off_grid_positions(t, step_ns)
    if grid_pos.size > t.size // 2:
        # Snapshots taken at irregular times (tick or polling data): one issue, not one per bar.
        share = 100.0 * (t.size - grid_pos.size) / t.size
        detail = (
            f"timestamps are irregular: {grid_pos.size:,} of {t.size:,} bars are off the most common {bar} grid "
            f"({share:.2g} % on it); the bar length {bar} is the most common spacing"
        )
        return [*out, _issue("off_grid", index, rows, pos[grid_pos[0]], detail, bars=int(grid_pos.size))]
    for k, off in zip(grid_pos, offsets, strict=True):
        p = pos[k]
        sign = "after" if off > 0 else "before"
        out.append(
            _issue("off_grid", index, rows, p, f"{_fmt_span(abs(int(off)))} {sign} the {bar} grid of the other bars")
        )
    return out


def _check_ohlc(
    index: pd.DatetimeIndex,
    rows: np.ndarray,
    prices: dict[str, np.ndarray],
    pos: np.ndarray,
    rules: ValidationRules,
) -> list[Issue]:
    if not {"open", "high", "low"} <= prices.keys() or not pos.size:
        return []
    o, h, lo, c = (prices[f][pos] for f in ("open", "high", "low", "close"))
    ok = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & (o > 0) & (h > 0) & (lo > 0)
    low_bad, high_bad = checks.ohlc_violations(o, h, lo, c, rules.ohlc_rtol)
    out: list[Issue] = []
    for k in np.flatnonzero(ok & (low_bad | high_bad)):
        p = pos[k]
        parts, fields = [], []
        if low_bad[k]:
            parts.append(f"low {_num(lo[k])} above min(open, close) {_num(min(o[k], c[k]))}")
            fields.append("low")
        if high_bad[k]:
            parts.append(f"high {_num(h[k])} below max(open, close) {_num(max(o[k], c[k]))}")
            fields.append("high")
        out.append(_issue("ohlc_inconsistent", index, rows, p, "; ".join(parts), field=",".join(fields)))
    return out


def _check_stale(
    index: pd.DatetimeIndex,
    rows: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray | None,
    pos: np.ndarray,
    rules: ValidationRules,
) -> list[Issue]:
    c = close[pos]
    m = c.size - 1
    unchanged = float(np.mean(c[1:] == c[:-1])) if m > 0 else 0.0
    k_min = checks.stale_min_repeats(m, unchanged, alpha=rules.stale_alpha, floor=rules.stale_min)
    starts, lengths = checks.equal_runs(c)
    out: list[Issue] = []
    for s, length in zip(starts, lengths, strict=True):
        if length - 1 < k_min:
            continue
        p0, p1 = pos[s], pos[s + length - 1]
        detail = (
            f"close {_num(c[s])} unchanged for {length} bars ({format_time(index[p0])} → {format_time(index[p1])}); "
            f"{100 * unchanged:.2g} % of this series' closes repeat the one before, so a run of "
            f"{k_min} repeats or more is not chance"
        )
        if volume is not None:
            vol = volume[pos[s + 1 : s + length]]
            zero = int(np.sum(vol == 0))
            detail += f"; volume is 0 on {zero} of the {length - 1} repeats"
        out.append(_issue("stale", index, rows, p0, detail, field="close", bars=int(length)))
    return out


def _check_spikes(
    index: pd.DatetimeIndex,
    rows: np.ndarray,
    prices: dict[str, np.ndarray],
    pos: np.ndarray,
    rules: ValidationRules,
) -> list[Issue]:
    c = prices["close"][pos]
    with np.errstate(divide="ignore", invalid="ignore"):  # non-positive / non-finite rows are reported elsewhere
        r = np.log(c[1:] / c[:-1])
    med, scale = checks.robust_scale(r, rules.window, rules.floor_fraction)
    z = (r - med) / scale
    out: list[Issue] = []
    for j in checks.reverting_spikes(r, z, rules.spike_z, rules.spike_revert):
        if min(abs(r[j - 1]), abs(r[j])) < rules.spike_min:
            continue
        p = pos[j]
        detail = (
            f"close {_num(c[j])} between {_num(c[j - 1])} and {_num(c[j + 1])}: "
            f"{_pct(r[j - 1])} then {_pct(r[j])} ({z[j - 1]:+.0f} and {z[j]:+.0f} robust SDs), a single-bar spike"
        )
        out.append(_issue("spike", index, rows, p, detail, field="close"))

    others = {f: prices[f][pos] for f in ("open", "high", "low") if f in prices}
    if not others:
        return out
    exc = checks.excursions(c, others.get("open"), others.get("high"), others.get("low"))
    bar_scale = np.r_[scale[:1], scale]  # scale of the return into each bar; the first bar uses the next
    prev = np.r_[c[:1], c[:-1]]
    for name, e in exc.items():
        with np.errstate(invalid="ignore"):
            zf = e / bar_scale
            hit = np.isfinite(e) & (zf >= rules.field_z) & (e >= rules.spike_min)
        for k in np.flatnonzero(hit):
            p = pos[k]
            value = others[name][k]
            band = (min(prev[k], c[k]), max(prev[k], c[k]))
            side = "above" if value > band[1] else "below"
            ref = band[1] if side == "above" else band[0]
            around = f"close {_num(c[k])}" if k == 0 else f"closes {_num(prev[k])} and {_num(c[k])}"
            off = value / ref - 1.0 if side == "above" else 1.0 - value / ref
            detail = (
                f"{name} {_num(value)} is {100 * off:.3g} % {side} the {around} "
                f"({zf[k]:.0f} robust SDs), a spike in the {name} alone"
            )
            out.append(_issue("spike", index, rows, p, detail, field=name))
    return out


# ----------------------------------------------------------------------------------------------- helpers


def _issue(kind: str, index: pd.DatetimeIndex, rows: np.ndarray, p: int, detail: str, **extra: Any) -> Issue:
    """An issue at frame position ``p``: its time and file row, fatal by its kind."""
    return Issue(kind, _time(index, p), detail, kind in FATAL_KINDS, row=int(rows[p]), **extra)


def _utc_index(index: pd.Index, source: Any) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        try:
            index = pd.DatetimeIndex(index)
        except (TypeError, ValueError) as exc:
            raise DataFormatError("the index is not made of times", path=source) from exc
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _file_rows(df: pd.DataFrame) -> np.ndarray:
    rows = df.attrs.get("rows")
    if rows is not None:
        rows = np.asarray(rows)
        if rows.shape == (len(df),):
            return rows.astype("int64")
    return np.arange(1, len(df) + 1, dtype="int64")


def _sorted_unique(pos: np.ndarray, t_ns: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions ordered by time, keeping one row per timestamp: the one written last in the file.

    The same row :func:`~solvency.data.cleaning.clean_prices` keeps, so the cleaned series is judged as here.
    """
    pos = pos[np.lexsort((rows[pos], t_ns[pos]))]
    if pos.size:
        pos = pos[np.r_[t_ns[pos][1:] != t_ns[pos][:-1], True]]
    return pos


def _step_seconds(step: int | str | None, times: pd.DatetimeIndex) -> int | None:
    if step is not None:
        return parse_duration(step)
    if len(times.unique()) < 2:
        return None
    return infer_step(times.sort_values())


def _time(index: pd.DatetimeIndex, p: int) -> pd.Timestamp | None:
    t = index[p]
    return None if pd.isna(t) else t


def _sort_time(t: pd.Timestamp | None) -> int:
    return -(2**63) if t is None else int(t.as_unit("ns").value)


def _same(a: float, b: float) -> bool:
    return bool(a == b or (np.isnan(a) and np.isnan(b)))


def _grouped(values: dict[str, str]) -> str:
    """``{"open": "NaN", "close": "NaN"}`` → ``"open, close are NaN"``; different values listed one by one."""
    groups: dict[str, list[str]] = {}
    for name, text in values.items():
        groups.setdefault(text, []).append(name)
    parts = [f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} {text}" for text, names in groups.items()]
    return "; ".join(parts)


def _describe_nonfinite(v: float) -> str:
    return "missing (NaN)" if np.isnan(v) else ("+inf" if v > 0 else "-inf")


def _num(v: float) -> str:
    return f"{float(v):.6g}"


def _pct(log_move: float) -> str:
    return f"{100.0 * float(np.expm1(log_move)):+.3g} %"


def format_time(t: pd.Timestamp | None) -> str:
    if t is None or pd.isna(t):
        return "?"
    t = pd.Timestamp(t)
    if t == t.normalize():
        return t.strftime("%Y-%m-%d")
    if t.second == 0 and t.microsecond == 0 and t.nanosecond == 0:
        return t.strftime("%Y-%m-%d %H:%M")
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _fmt_span(ns: int) -> str:
    seconds = ns / 1e9
    if seconds >= 1 and seconds == int(seconds):
        s = int(seconds)
        parts = [(s // 3600, "h"), ((s % 3600) // 60, "m"), (s % 60, "s")]
        return " ".join(f"{v} {u}" for v, u in parts if v) or "0 s"
    return f"{seconds:.6g} s"
