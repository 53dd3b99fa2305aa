"""Array kernels behind :func:`solvency.data.validation.validate_prices`.

Pure functions on numpy arrays (times as int64 nanoseconds, prices as float64); each returns the positions
it found and the numbers that describe them. Wording, times and row numbers are added by the validation
module. The rules and their constants are documented there.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAD_TO_SIGMA: float = 1.482602218505602
"""1 / Φ⁻¹(3/4): turns a median absolute deviation into a standard-deviation estimate under normality."""

_CHUNK = 16_384  # windows per block in the rolling median, bounding memory at ~CHUNK × window floats


def duplicate_positions(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated timestamps and, for each, the position of its first occurrence.

    Returns
    -------
    (repeats, firsts)
        ``repeats`` are positions (in array order) of every occurrence after the first of a timestamp;
        ``firsts[k]`` is the position of the first occurrence that ``repeats[k]`` repeats.
    """
    times = np.asarray(times, dtype="int64")
    order = np.argsort(times, kind="stable")
    sorted_t = times[order]
    same = np.r_[False, sorted_t[1:] == sorted_t[:-1]]
    if not same.any():
        return np.empty(0, dtype="int64"), np.empty(0, dtype="int64")
    group_start = np.maximum.accumulate(np.where(~same, np.arange(times.size), 0))
    repeats = order[same]
    firsts = order[group_start[same]]
    keep = np.argsort(repeats, kind="stable")
    return repeats[keep], firsts[keep]


def unsorted_positions(times: np.ndarray) -> np.ndarray:
    """Positions whose timestamp is earlier than the one on the row before (a descent in file order)."""
    times = np.asarray(times, dtype="int64")
    if times.size < 2:
        return np.empty(0, dtype="int64")
    return np.flatnonzero(times[1:] < times[:-1]) + 1


def gap_positions(times: np.ndarray, step_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaps in strictly increasing times: positions ``i`` after which bars are missing, and how many.

    The number of missing bars between ``t[i]`` and ``t[i+1]`` is ``round((t[i+1] - t[i]) / step) - 1``, so a
    bar a few minutes off its grid (CoinGecko's late snapshots) is not a gap.
    """
    times = np.asarray(times, dtype="int64")
    if times.size < 2 or step_ns <= 0:
        return np.empty(0, dtype="int64"), np.empty(0, dtype="int64")
    missing = np.rint(np.diff(times) / float(step_ns)).astype("int64") - 1
    where = np.flatnonzero(missing > 0)
    return where, missing[where]


def off_grid_positions(times: np.ndarray, step_ns: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Bars whose phase within the bar length differs from the series' most common phase.

    Returns
    -------
    (positions, offsets_ns, phase_ns)
        ``offsets_ns`` is each bar's signed distance to the nearest grid point (grid = the common phase).
    """
    times = np.asarray(times, dtype="int64")
    if times.size < 2 or step_ns <= 0:
        return np.empty(0, dtype="int64"), np.empty(0, dtype="int64"), 0
    phase = np.mod(times, step_ns)
    values, counts = np.unique(phase, return_counts=True)
    common = int(values[np.argmax(counts)])
    offset = np.mod(times - common, step_ns)
    offset = np.where(offset > step_ns // 2, offset - step_ns, offset)
    where = np.flatnonzero(offset != 0)
    return where, offset[where], common


def equal_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of identical consecutive values: start positions and lengths (runs of length ≥ 2 only)."""
    values = np.asarray(values)
    if values.size < 2:
        return np.empty(0, dtype="int64"), np.empty(0, dtype="int64")
    same = values[1:] == values[:-1]
    edges = np.diff(np.r_[0, same.astype("int8"), 0])
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # exclusive, in "same" coordinates
    return starts.astype("int64"), (ends - starts + 1).astype("int64")


def stale_min_repeats(n_returns: int, p_unchanged: float, *, alpha: float, floor: int) -> int:
    """Smallest number of consecutive unchanged closes that the series' own rate cannot explain.

    With ``p`` the fraction of unchanged closes in the whole series and ``m`` returns, a run of ``k``
    unchanged closes in a row is expected ``m · p**k`` times if bars were independent; the run is stale when
    that expectation is below ``alpha``. Never fewer than ``floor`` repeats.
    """
    if n_returns <= 0 or p_unchanged <= 0.0 or p_unchanged >= 1.0:
        return floor  # p = 1: a constant series, reported as one stale run
    k = math.log(alpha / n_returns) / math.log(p_unchanged)
    return max(floor, math.ceil(k - 1e-12))


def rolling_median_mad(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling median and median absolute deviation (exact, window of ``window`` points).

    The first and last ``window // 2`` points take the nearest full window's values; a series shorter than
    the window uses one window over all of it.
    """
    x = np.asarray(x, dtype="float64")
    n = x.size
    if n == 0:
        return np.empty(0), np.empty(0)
    w = min(int(window), n)
    view = sliding_window_view(x, w)
    med = np.empty(view.shape[0])
    mad = np.empty(view.shape[0])
    for lo in range(0, view.shape[0], _CHUNK):
        block = view[lo : lo + _CHUNK]
        m = np.median(block, axis=1)
        med[lo : lo + _CHUNK] = m
        mad[lo : lo + _CHUNK] = np.median(np.abs(block - m[:, None]), axis=1)
    left = w // 2
    right = n - view.shape[0] - left
    pad = lambda a: np.concatenate([np.full(left, a[0]), a, np.full(right, a[-1])])  # noqa: E731
    return pad(med), pad(mad)


def robust_scale(returns: np.ndarray, window: int, floor_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Local location and scale of log returns for robust z-scores.

    Scale is ``1.4826 · rolling MAD``, floored at ``floor_fraction`` × the same statistic over the whole
    series' non-zero returns and at the one-tick return (the smallest non-zero move seen), so that runs of
    unchanged prices (MAD = 0) do not turn every tick into an outlier.
    """
    r = np.asarray(returns, dtype="float64")
    med, mad = rolling_median_mad(r, window)
    nonzero = np.abs(r[r != 0.0])
    if nonzero.size:
        global_scale = MAD_TO_SIGMA * float(np.median(np.abs(r[r != 0.0] - np.median(r[r != 0.0]))))
        tick = float(nonzero.min())
    else:
        global_scale = tick = 0.0
    floor = max(floor_fraction * global_scale, tick, np.finfo("float64").tiny)
    return med, np.maximum(MAD_TO_SIGMA * mad, floor)


def reverting_spikes(returns: np.ndarray, z: np.ndarray, threshold: float, revert: float) -> np.ndarray:
    """Bars that jump by ``threshold`` robust SDs and come straight back.

    Bar ``j`` (1 ≤ j ≤ n-2 in price positions) is a spike when the return into it and the return out of it
    both have ``|z| ≥ threshold``, opposite signs, and the price after it lands within ``revert`` × the smaller
    of the two moves of the price before it: ``|r_in + r_out| ≤ revert · min(|r_in|, |r_out|)``.

    Returns
    -------
    numpy.ndarray
        Price positions ``j`` of the spiked bars.
    """
    r = np.asarray(returns, dtype="float64")
    if r.size < 2:
        return np.empty(0, dtype="int64")
    r_in, r_out = r[:-1], r[1:]
    z_in, z_out = z[:-1], z[1:]
    with np.errstate(invalid="ignore"):  # NaN / ±inf returns compare False: never a spike
        big = (np.abs(z_in) >= threshold) & (np.abs(z_out) >= threshold)
        opposite = np.sign(r_in) * np.sign(r_out) < 0
        back = np.abs(r_in + r_out) <= revert * np.minimum(np.abs(r_in), np.abs(r_out))
    return np.flatnonzero(big & opposite & back) + 1


def excursions(close: np.ndarray, open_: np.ndarray | None, high: np.ndarray | None, low: np.ndarray | None) -> dict:
    """How far each bar's open / high / low reach outside the closes around it, in log units (≥ 0).

    The band of bar ``t`` is ``[min(c[t-1], c[t]), max(c[t-1], c[t])]`` (just ``c[0]`` for the first bar):
    in a market that trades around the clock the open sits at the previous close, so only a wick can leave
    the band. Closes anchor the band rather than the open because a bad open would otherwise hide a bad high.
    """
    c = np.asarray(close, dtype="float64")
    prev = np.r_[c[:1], c[:-1]]
    hi = np.maximum(prev, c)
    lo = np.minimum(prev, c)
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if high is not None:
            out["high"] = np.maximum(np.log(np.asarray(high, dtype="float64") / hi), 0.0)
        if low is not None:
            out["low"] = np.maximum(np.log(lo / np.asarray(low, dtype="float64")), 0.0)
        if open_ is not None:
            o = np.asarray(open_, dtype="float64")
            out["open"] = np.maximum(np.maximum(np.log(o / hi), np.log(lo / o)), 0.0)
    return out


def ohlc_violations(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, rtol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows where ``low > min(open, close)`` or ``high < max(open, close)`` (or ``high < low``) beyond ``rtol``.

    Returns
    -------
    (low_bad, high_bad)
        Boolean masks.
    """
    lo_body = np.minimum(open_, close)
    hi_body = np.maximum(open_, close)
    low_bad = (low > lo_body * (1.0 + rtol)) | (low > high * (1.0 + rtol))
    high_bad = (high < hi_body * (1.0 - rtol)) | (high < low * (1.0 - rtol))
    return low_bad, high_bad
