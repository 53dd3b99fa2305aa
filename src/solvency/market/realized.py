"""Realized-variance estimators from OHLC bars: close-to-close and the range-based family.

Per-bar kernels return the variance of one bar's log return, in squared log-return units *per bar*, aligned
with the bars (``out[t]`` describes bar ``t``). Rolling and annualised versions work on a price frame.

==================  ==========================================================================  ===================
estimator           per-bar variance                                                            reference
==================  ==========================================================================  ===================
close-to-close      ``r_t² = ln(C_t / C_{t-1})²``                                               —
Parkinson           ``ln(H/L)² / (4 ln 2)``                                                     Parkinson (1980)
Garman-Klass        ``½ ln(H/L)² − (2 ln 2 − 1) ln(C/O)²``                                      Garman & Klass (1980)
Rogers-Satchell     ``ln(H/C) ln(H/O) + ln(L/C) ln(L/O)``                                       Rogers & Satchell (1991)
Yang-Zhang          ``σ²_o + k σ²_c + (1 − k) σ²_RS`` over a window of ``n`` bars,              Yang & Zhang (2000)
                    ``k = 0.34 / (1.34 + (n+1)/(n−1))``
==================  ==========================================================================  ===================

* Parkinson, M. (1980). The extreme value method for estimating the variance of the rate of return.
  *Journal of Business* 53(1), 61-65.
* Garman, M. B. & Klass, M. J. (1980). On the estimation of security price volatilities from historical data.
  *Journal of Business* 53(1), 67-78 (the "practical" estimator σ̂²₅ without the opening jump).
* Rogers, L. C. G. & Satchell, S. E. (1991). Estimating variance from high, low and closing prices.
  *Annals of Applied Probability* 1(4), 504-512 (unbiased under any drift).
* Yang, D. & Zhang, Q. (2000). Drift-independent volatility estimation based on high, low, open, and close
  prices. *Journal of Business* 73(3), 477-491 (minimum-variance combination of the overnight, open-to-close
  and Rogers-Satchell variances; needs a window, so it has no per-bar form).

Parkinson, Garman-Klass and Rogers-Satchell assume a continuously traded diffusion with no jump between the
previous close and the open. Crypto venues trade 24/7 and a bar opens at the previous close, so that holds by
construction there; for markets that close, Yang-Zhang adds the overnight (close-to-open) variance back.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.market.returns import annualisation

Estimator = Literal["close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang"]
ESTIMATORS: tuple[str, ...] = ("close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang")
"""Names accepted by :func:`realized_variance` and :func:`rolling_volatility`."""

_LN2 = float(np.log(2.0))
_GK_C = 2.0 * _LN2 - 1.0  # 0.386294…, Garman-Klass weight on the squared open-to-close return


def close_to_close_variance(close: np.ndarray) -> np.ndarray:
    """Squared close-to-close log return per bar; ``out[0]`` is NaN (no previous close).

    Examples
    --------
    >>> close_to_close_variance(np.array([100.0, 110.0]))[1] == np.log(1.1) ** 2
    np.True_
    """
    c = np.asarray(close, dtype="float64")
    out = np.full(c.shape, np.nan)
    out[1:] = np.log(c[1:] / c[:-1]) ** 2
    return out


def parkinson_variance(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Parkinson (1980) variance per bar: ``(ln(H/L))² / (4 ln 2)``.

    The square is of the *log range*. Risk DAO's pipeline computes ``ln((H/L)²)`` instead — that is
    ``2 ln(H/L)``, linear in the range, not its square — which understates variance by orders of magnitude
    for daily ranges of a few percent (``ln(1.05²) = 0.098`` vs ``ln(1.05)² = 0.0024``) and scales wrongly.
    """
    hl = np.log(np.asarray(high, dtype="float64") / np.asarray(low, dtype="float64"))
    return hl * hl / (4.0 * _LN2)


def garman_klass_variance(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Garman-Klass (1980) variance per bar: ``½ (ln(H/L))² − (2 ln 2 − 1)(ln(C/O))²``.

    Never negative on consistent bars (``|ln(C/O)| ≤ ln(H/L)`` gives at least ``0.114 ln(C/O)²``).
    """
    hl = np.log(np.asarray(high, dtype="float64") / np.asarray(low, dtype="float64"))
    co = np.log(np.asarray(close, dtype="float64") / np.asarray(open_, dtype="float64"))
    return 0.5 * hl * hl - _GK_C * co * co


def rogers_satchell_variance(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Rogers-Satchell (1991) variance per bar: ``ln(H/C) ln(H/O) + ln(L/C) ln(L/O)`` (drift-free)."""
    o, h, l, c = (np.asarray(x, dtype="float64") for x in (open_, high, low, close))  # noqa: E741
    return np.log(h / c) * np.log(h / o) + np.log(l / c) * np.log(l / o)


def yang_zhang_variance(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """Yang-Zhang (2000) variance per bar over a trailing window of ``window`` bars.

    ``σ²_YZ = σ²_o + k σ²_c + (1 − k) σ²_RS`` where ``σ²_o`` is the sample variance (``n − 1``) of the
    overnight returns ``ln(O_t / C_{t-1})``, ``σ²_c`` that of the open-to-close returns ``ln(C_t / O_t)``,
    ``σ²_RS`` the mean Rogers-Satchell variance and ``k = 0.34 / (1.34 + (n + 1)/(n − 1))``.

    Returns
    -------
    numpy.ndarray
        ``out[t]`` uses bars ``t − window + 1 … t``; NaN until a full window with a previous close exists
        (the first ``window`` entries).
    """
    n = int(window)
    if n < 2:
        raise SolvencyInputError(f"Yang-Zhang needs a window of at least 2 bars, got {window}")
    o, h, l, c = (np.asarray(x, dtype="float64") for x in (open_, high, low, close))  # noqa: E741
    overnight = np.full(o.shape, np.nan)
    overnight[1:] = np.log(o[1:] / c[:-1])
    open_close = pd.Series(np.log(c / o))
    rs = pd.Series(rogers_satchell_variance(o, h, l, c))
    k = 0.34 / (1.34 + (n + 1.0) / (n - 1.0))
    var_o = pd.Series(overnight).rolling(n).var(ddof=1)
    var_c = open_close.rolling(n).var(ddof=1)
    out = var_o + k * var_c + (1.0 - k) * rs.rolling(n).mean()
    return out.to_numpy()


# ------------------------------------------------------------------------------------------ frame level


def _require(prices: pd.DataFrame, columns: tuple[str, ...], estimator: str) -> None:
    missing = [c for c in columns if c not in getattr(prices, "columns", ())]
    if missing:
        raise SolvencyInputError(
            f"the {estimator} estimator needs columns {', '.join(columns)}; missing {', '.join(missing)}",
            path=getattr(prices, "attrs", {}).get("source"),
            hint="use a file with open/high/low/close bars, or estimator='close_to_close'",
        )


def has_ohlc(prices: pd.DataFrame | pd.Series) -> bool:
    """Whether a price frame carries open, high, low and close (range-based estimators need all four)."""
    return isinstance(prices, pd.DataFrame) and all(c in prices.columns for c in ("open", "high", "low", "close"))


def realized_variance(prices: pd.DataFrame | pd.Series, estimator: str = "garman_klass") -> pd.Series:
    """Per-bar realized variance of a price frame (squared log-return units per bar).

    Parameters
    ----------
    prices
        Frame with ``open, high, low, close`` (range estimators) or at least ``close``; a Series is a close.
    estimator
        One of :data:`ESTIMATORS` except ``"yang_zhang"``, which only exists over a window
        (:func:`rolling_volatility`).

    Examples
    --------
    >>> from solvency.data.sample import sample_prices
    >>> rv = realized_variance(sample_prices("1d"), "parkinson")
    >>> bool((rv > 0).all())
    True
    """
    if estimator == "yang_zhang":
        raise SolvencyInputError("Yang-Zhang has no per-bar form; use rolling_volatility(..., window=n)")
    if isinstance(prices, pd.Series):
        prices = prices.to_frame("close")
    if estimator == "close_to_close":
        _require(prices, ("close",), estimator)
        values = close_to_close_variance(prices["close"].to_numpy())
    elif estimator == "parkinson":
        _require(prices, ("high", "low"), estimator)
        values = parkinson_variance(prices["high"].to_numpy(), prices["low"].to_numpy())
    elif estimator in ("garman_klass", "rogers_satchell"):
        _require(prices, ("open", "high", "low", "close"), estimator)
        kernel = garman_klass_variance if estimator == "garman_klass" else rogers_satchell_variance
        values = kernel(*(prices[c].to_numpy() for c in ("open", "high", "low", "close")))
    else:
        raise SolvencyInputError(f"unknown estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)}")
    return pd.Series(values, index=prices.index, name=f"rv_{estimator}")


def rolling_volatility(
    prices: pd.DataFrame | pd.Series,
    estimator: str = "garman_klass",
    window: int = 30,
    *,
    annualise: bool = True,
) -> pd.Series:
    """Trailing-window volatility from one estimator, annualised by the bar length by default.

    Close-to-close uses the sample standard deviation (``n − 1``, demeaned) of the log returns in the window;
    the range estimators the mean of their per-bar variances; Yang-Zhang its own combination.

    Returns
    -------
    pandas.Series
        Volatility (annualised, 365-day year, when ``annualise``; else per bar), NaN until a full window.
    """
    if window < 2:
        raise SolvencyInputError(f"window must be at least 2 bars, got {window}")
    if isinstance(prices, pd.Series):
        prices = prices.to_frame("close")
    if estimator == "close_to_close":
        _require(prices, ("close",), estimator)
        r = np.log(prices["close"]).diff()
        var = r.rolling(window).var(ddof=1)
    elif estimator == "yang_zhang":
        _require(prices, ("open", "high", "low", "close"), estimator)
        values = yang_zhang_variance(*(prices[c].to_numpy() for c in ("open", "high", "low", "close")), window)
        var = pd.Series(values, index=prices.index)
    else:
        var = realized_variance(prices, estimator).rolling(window).mean()
    factor = annualisation(prices)[1] if annualise else 1.0
    out = np.sqrt(var * factor)
    out.name = f"vol_{estimator}"
    return out
