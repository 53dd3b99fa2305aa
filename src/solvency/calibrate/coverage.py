"""Coverage tests of a margin (VaR) model: Kupiec proportion of failures, Christoffersen independence.

* Kupiec (1995), "Techniques for verifying the accuracy of risk measurement models", J. Derivatives 3(2):
  ``LR_uc = −2 ln[(1−p)^{n−x} p^x] + 2 ln[(1−x/n)^{n−x} (x/n)^x]`` ~ χ²(1), with ``p = 1 − coverage``.
* Christoffersen (1998), "Evaluating interval forecasts", Int. Economic Review 39(4): with ``n_ij`` the number
  of days in state ``j`` after a day in state ``i`` (1 = exceedance),
  ``LR_ind = −2 ln[(1−π)^{n00+n10} π^{n01+n11}] + 2 ln[(1−π0)^{n00} π0^{n01} (1−π1)^{n10} π1^{n11}]`` ~ χ²(1)
  and ``LR_cc = LR_uc + LR_ind`` ~ χ²(2) (computed on the same ``n − 1`` transitions).

A model passes at the 5 % level where both the Kupiec and the independence p-values exceed 0.05 (DESIGN §4.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import xlogy
from scipy.stats import chi2

from solvency.errors import SolvencyInputError


@dataclass(frozen=True)
class KupiecResult:
    """Kupiec POF test: likelihood-ratio statistic, its χ²(1) p-value, and the counts behind it."""

    lr: float
    p_value: float
    exceedances: int
    n: int
    expected: float


@dataclass(frozen=True)
class ChristoffersenResult:
    """Christoffersen tests: independence (χ²(1)) and conditional coverage (χ²(2)), with the transition counts."""

    lr_ind: float
    p_value: float
    lr_cc: float
    p_value_cc: float
    n00: int
    n01: int
    n10: int
    n11: int


def _check_coverage(coverage: float) -> float:
    if not 0.0 < float(coverage) < 1.0:
        raise SolvencyInputError(f"coverage must be a fraction in (0, 1), got {coverage!r}", hint="e.g. 0.99")
    return float(coverage)


def _binomial_loglik(successes: float, failures: float, p: float) -> float:
    # xlogy(0, 0) = 0: the 0·ln 0 terms of the likelihood vanish as they should.
    return float(xlogy(successes, p) + xlogy(failures, 1.0 - p))


def kupiec(exceedances: int, n: int, coverage: float) -> KupiecResult:
    """Kupiec proportion-of-failures test.

    Parameters
    ----------
    exceedances
        Number of observations where the loss exceeded the margin.
    n
        Number of observations.
    coverage
        Intended coverage of the margin, e.g. 0.99 (expected exceedance rate ``1 − coverage``).

    Returns
    -------
    KupiecResult
        ``lr`` and ``p_value`` (χ²(1) upper tail); a large p-value means the exceedance count is consistent with
        the coverage.

    Examples
    --------
    >>> r = kupiec(4, 250, 0.99)
    >>> round(r.lr, 4), round(r.p_value, 4)
    (0.7691, 0.3805)
    """
    coverage = _check_coverage(coverage)
    n = int(n)
    x = int(exceedances)
    if n <= 0 or not 0 <= x <= n:
        raise SolvencyInputError(f"need 0 ≤ exceedances ≤ n and n > 0, got exceedances={exceedances}, n={n}")
    p = 1.0 - coverage
    lr = -2.0 * (_binomial_loglik(x, n - x, p) - _binomial_loglik(x, n - x, x / n))
    lr = max(lr, 0.0)
    return KupiecResult(lr=lr, p_value=float(chi2.sf(lr, 1)), exceedances=x, n=n, expected=n * p)


def christoffersen(hits: Any, coverage: float) -> ChristoffersenResult:
    """Christoffersen independence and conditional-coverage tests on a 0/1 exceedance series.

    Parameters
    ----------
    hits
        Sequence of booleans (or 0/1), one per observation in time order; True where the margin was exceeded.
    coverage
        Intended coverage, e.g. 0.99 (used by the conditional-coverage part).

    Returns
    -------
    ChristoffersenResult
        ``p_value`` is the independence test (does an exceedance make the next one more likely?); ``p_value_cc``
        the joint test of coverage and independence.

    Examples
    --------
    >>> r = christoffersen([0, 0, 1, 1, 0, 0, 0, 1, 0, 0] * 30, 0.9)
    >>> r.n11, r.n01, round(r.p_value, 4)
    (30, 60, 0.4263)
    """
    coverage = _check_coverage(coverage)
    h = np.asarray(hits)
    if h.ndim != 1 or h.size < 2:
        raise SolvencyInputError("hits must be a 1-D sequence of at least two observations")
    if h.dtype != bool:
        if not np.all(np.isin(h, (0, 1))):
            raise SolvencyInputError("hits must be booleans or 0/1")
        h = h.astype(bool)
    prev, cur = h[:-1], h[1:]
    n00 = int(np.sum(~prev & ~cur))
    n01 = int(np.sum(~prev & cur))
    n10 = int(np.sum(prev & ~cur))
    n11 = int(np.sum(prev & cur))
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    restricted = _binomial_loglik(n01 + n11, n00 + n10, pi)
    unrestricted = _binomial_loglik(n01, n00, pi0) + _binomial_loglik(n11, n10, pi1)
    lr_ind = max(-2.0 * (restricted - unrestricted), 0.0)
    x, n = n01 + n11, n00 + n01 + n10 + n11
    lr_uc = max(-2.0 * (_binomial_loglik(x, n - x, 1.0 - coverage) - _binomial_loglik(x, n - x, x / n)), 0.0)
    lr_cc = lr_uc + lr_ind
    return ChristoffersenResult(
        lr_ind=lr_ind,
        p_value=float(chi2.sf(lr_ind, 1)),
        lr_cc=lr_cc,
        p_value_cc=float(chi2.sf(lr_cc, 2)),
        n00=n00,
        n01=n01,
        n10=n10,
        n11=n11,
    )
