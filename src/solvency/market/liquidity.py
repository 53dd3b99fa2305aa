"""Slippage curves: what selling collateral costs, and how far it pushes the price.

Every curve is described by its **average execution slippage** ``s(q)`` when ``q`` (quote units, valued at the
pre-trade price) is sold at once from a rested market — the quantity DeFi risk tables publish (Risk DAO's
``usd_volume_for_slippage`` lists, per slippage level, the USD amount an aggregator can sell within it). From
``s`` follow the two things a simulator needs:

* the **cost** ``G(q) = q·s(q)``: quote lost to slippage, so selling ``q`` yields ``q − G(q)``;
* the **price impact** ``g(q) = G'(q)``: how far the marginal price has moved after ``q`` was sold. A sale of
  ``Δ`` on top of earlier sales ``S`` (not yet arbitraged away) costs ``G(S+Δ) − G(S)`` and leaves the price
  at ``(1 − g(S+Δ))`` of its undisturbed level. That is how liquidations feed back into the price path.

Three families:

``constant_product``
    An x·y = k pool with quote reserve ``y``: ``s(q) = q/(y+q)``, ``G(q) = q²/(y+q)``,
    ``g(q) = 1 − y²/(y+q)²`` (Uniswap v2 without fee; selling base worth ``q`` at the pool price).
``depth_table``
    Sizes ``q_k`` at average slippages ``s_k``. The cost is interpolated linearly between the knots
    ``(q_k, q_k·s_k)`` — exact at every knot, and the price impact is constant between knots (like the levels
    of an order book). The table must be *convex* (impact never falls with size). Beyond the last knot the
    slippage grows as the power law through the last two knots, ``s(q) = s_n (q/q_n)^b``, with ``b`` raised
    if needed so impact keeps rising (``b = 1`` for a one-row table).
``power_law``
    ``s(q) = a (q/q_ref)^b`` with ``q_ref = 10⁶`` by default; ``G = q·s``, ``g = (1+b)·s``.
    :meth:`LiquidityCurve.fit_power_law` fits one to either of the other two (least squares in log-log).

**Stress** multiplies depth: ``stressed(m)`` is the curve with ``G_m(q) = m·G(q/m)`` — the same slippage at
``m`` times the size (``m < 1``: liquidity evaporates). Curves are immutable; kernels receive them as
``(kind, params)`` through :meth:`LiquidityCurve.kernel_params` and the jitted :func:`cost` / :func:`impact`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from solvency._jit import jit
from solvency.errors import SolvencyInputError

if TYPE_CHECKING:
    from solvency.config import LiquiditySpec

CONSTANT_PRODUCT = 0
DEPTH_TABLE = 1
POWER_LAW = 2
KIND_NAMES = {CONSTANT_PRODUCT: "constant_product", DEPTH_TABLE: "depth_table", POWER_LAW: "power_law"}
POWER_LAW_REFERENCE = 1.0e6
"""Reference size (quote units) of the power law ``s(q) = a (q/q_ref)^b``."""


# ----------------------------------------------------------------------------------------------- kernels
# Scalar functions of (kind, params, depth multiplier m, size x), compiled when numba is on. ``params`` layout:
#   constant_product: [y]
#   power_law:        [a, b, q_ref]
#   depth_table:      [n, q_1..q_n, G_1..G_n, b_tail]


@jit
def _base_cost(kind: int, params: np.ndarray, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if kind == CONSTANT_PRODUCT:
        y = params[0]
        return x * x / (y + x)
    if kind == POWER_LAW:
        return params[0] * x * (x / params[2]) ** params[1]
    n = int(params[0])
    q_last = params[n]
    g_last = params[2 * n]
    if x >= q_last:
        return g_last * (x / q_last) ** (1.0 + params[2 * n + 1])
    q_prev = 0.0
    g_prev = 0.0
    for k in range(1, n + 1):
        q_k = params[k]
        g_k = params[n + k]
        if x <= q_k:
            return g_prev + (g_k - g_prev) * (x - q_prev) / (q_k - q_prev)
        q_prev = q_k
        g_prev = g_k
    return g_last  # unreachable


@jit
def _base_impact(kind: int, params: np.ndarray, x: float) -> float:
    if x < 0.0:
        x = 0.0
    if kind == CONSTANT_PRODUCT:
        y = params[0]
        r = y / (y + x)
        return 1.0 - r * r
    if kind == POWER_LAW:
        return (1.0 + params[1]) * params[0] * (x / params[2]) ** params[1]
    n = int(params[0])
    q_last = params[n]
    if x >= q_last:
        b = params[2 * n + 1]
        return (1.0 + b) * params[2 * n] / q_last * (x / q_last) ** b
    q_prev = 0.0
    g_prev = 0.0
    for k in range(1, n + 1):
        q_k = params[k]
        g_k = params[n + k]
        if x < q_k:
            return (g_k - g_prev) / (q_k - q_prev)
        q_prev = q_k
        g_prev = g_k
    return 0.0  # unreachable


@jit
def cost(kind: int, params: np.ndarray, depth: float, x: float) -> float:
    """Quote lost to slippage selling ``x`` from rest on the curve with depth multiplier ``depth``."""
    return depth * _base_cost(kind, params, x / depth)


@jit
def impact(kind: int, params: np.ndarray, depth: float, x: float) -> float:
    """Relative price move after ``x`` has been sold (depth multiplier ``depth``)."""
    return _base_impact(kind, params, x / depth)


@jit
def _base_size_at_impact(kind: int, params: np.ndarray, g: float) -> float:
    if g <= 0.0:
        return 0.0
    if kind == CONSTANT_PRODUCT:
        if g >= 1.0:
            return math.inf
        y = params[0]
        return y / math.sqrt(1.0 - g) - y
    if kind == POWER_LAW:
        return params[2] * (g / ((1.0 + params[1]) * params[0])) ** (1.0 / params[1])
    n = int(params[0])
    q_prev = 0.0
    g_prev = 0.0
    for k in range(1, n + 1):
        q_k = params[k]
        g_k = params[n + k]
        if (g_k - g_prev) / (q_k - q_prev) >= g:
            return q_prev
        q_prev = q_k
        g_prev = g_k
    b = params[2 * n + 1]
    start = (1.0 + b) * g_prev / q_prev
    if start >= g:
        return q_prev
    return q_prev * (g / start) ** (1.0 / b)


@jit
def size_at_impact(kind: int, params: np.ndarray, depth: float, g: float) -> float:
    """The least size whose sale moves the price by ``g``: the inverse of :func:`impact` (``inf`` if never).

    Where the impact jumps (between the levels of a depth table) it is the start of the first level at or
    above ``g``.
    """
    return depth * _base_size_at_impact(kind, params, g)


@jit
def _cost_array(kind: int, params: np.ndarray, depth: float, x: np.ndarray) -> np.ndarray:
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = cost(kind, params, depth, x[i])
    return out


@jit
def _impact_array(kind: int, params: np.ndarray, depth: float, x: np.ndarray) -> np.ndarray:
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = impact(kind, params, depth, x[i])
    return out


# ------------------------------------------------------------------------------------------------- curve


@dataclass(frozen=True)
class LiquidityCurve:
    """A slippage curve (see the module docstring). Build with the constructors below, not directly.

    Attributes
    ----------
    kind
        ``"constant_product"``, ``"depth_table"`` or ``"power_law"``.
    params
        Kernel parameters (layout in the module source).
    depth
        Depth multiplier already applied (1 = as quoted; 0.3 = 30 % of the quoted depth).
    """

    kind: str
    params: np.ndarray = field(repr=False)
    depth: float = 1.0

    @property
    def code(self) -> int:
        """Integer kind code used by the kernels."""
        return {v: k for k, v in KIND_NAMES.items()}[self.kind]

    def kernel_params(self) -> tuple[int, np.ndarray, float]:
        """``(kind code, params, depth)`` for the jitted :func:`cost` / :func:`impact`."""
        return self.code, self.params, float(self.depth)

    def stressed(self, multiplier: float) -> LiquidityCurve:
        """The curve with depth multiplied by ``multiplier`` (> 0; < 1 in stress)."""
        if not multiplier > 0:
            raise SolvencyInputError(f"liquidity multiplier must be positive, got {multiplier!r}")
        return LiquidityCurve(self.kind, self.params, self.depth * float(multiplier))

    def in_units(self, size: float, *, digits: int = 10) -> LiquidityCurve:
        """This curve with sizes counted in units of ``size`` quote, its depth folded into the parameters.

        The result ``u`` has ``u.cost(x) = self.cost(x·size)/size``, so ``u.stressed(size)`` is this curve again.
        Parameters are rounded to ``digits`` significant digits: copies of one curve at different depths (every
        size scaled by one factor, or :meth:`stressed`), each measured in units of its own depth, give the same
        curve to the bit — what lets a calibration share its results between them.
        """
        if not size > 0 or not math.isfinite(size):
            raise SolvencyInputError(f"unit size must be positive and finite, got {size!r}")
        p = self.params.astype("float64").copy()
        scale = self.depth / float(size)
        if self.kind == "constant_product":
            p[0] *= scale
        elif self.kind == "power_law":  # a·(x/(depth·ref))^b with x = u·size: coefficient a·(scale/ref)^b, ref 1
            p = np.array([p[0] * (1.0 / (scale * p[2])) ** p[1], p[1], 1.0])
        else:
            n = int(p[0])
            p[1 : 2 * n + 1] *= scale
        rounded = np.array([float(f"{v:.{digits - 1}e}") for v in p])
        return LiquidityCurve(self.kind, rounded)

    def _apply(self, fn, size: float | np.ndarray) -> np.ndarray | float:  # type: ignore[no-untyped-def]
        x = np.asarray(size, dtype="float64")
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            raise SolvencyInputError("sizes must be finite and non-negative")
        out = fn(self.code, self.params, float(self.depth), np.ascontiguousarray(x.ravel())).reshape(x.shape)
        return float(out) if x.ndim == 0 else out

    def cost(self, size: float | np.ndarray) -> np.ndarray | float:
        """Quote lost to slippage selling ``size`` (quote units at the pre-trade price) from rest."""
        return self._apply(_cost_array, size)

    def impact(self, size: float | np.ndarray) -> np.ndarray | float:
        """Relative fall of the marginal price after selling ``size`` from rest (fraction)."""
        return self._apply(_impact_array, size)

    def slippage(self, size: float | np.ndarray) -> np.ndarray | float:
        """Average execution slippage of selling ``size`` at once (fraction; the impact at 0 in the limit)."""
        x = np.asarray(size, dtype="float64")
        c = np.asarray(self.cost(x), dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(x > 0, c / np.where(x > 0, x, 1.0), self.impact(np.zeros_like(x)))
        return float(out) if out.ndim == 0 else out

    def proceeds(self, size: float, already_sold: float = 0.0) -> float:
        """Quote received selling ``size`` after ``already_sold`` has moved the price and not recovered."""
        return float(size) - (float(self.cost(already_sold + size)) - float(self.cost(already_sold)))

    def size_at_impact(self, target: float) -> float:
        """Least size (quote units) whose sale from rest moves the marginal price by ``target`` (``inf`` if never).

        Selling up to this size keeps the price impact — hence the average slippage of every slice of the
        sale — at or below ``target``.
        """
        if not 0 <= target < 1:
            raise SolvencyInputError(f"price impact target must be in [0, 1), got {target!r}")
        return float(size_at_impact(self.code, self.params, float(self.depth), float(target)))

    def size_at_slippage(self, target: float) -> float:
        """Largest size whose average slippage is at most ``target`` (fraction), by bisection (the slippage
        never falls with size; it is flat over a depth table's first row).

        Returns ``inf`` if the curve never reaches ``target``.
        """
        if not 0 < target < 1:
            raise SolvencyInputError(f"slippage target must be in (0, 1), got {target!r}")
        target = target * (1.0 + 1e-12)  # the first row is flat: do not let rounding decide which side we are on
        lo, hi = 0.0, 1.0
        while float(self.slippage(hi)) <= target:
            hi *= 4.0
            if hi > 1e18:
                return math.inf
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if float(self.slippage(mid)) <= target:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-12 * hi:
                break
        return 0.5 * (lo + hi)

    def fit_power_law(self, sizes: Sequence[float] | np.ndarray | None = None) -> LiquidityCurve:
        """Least-squares power law ``s(q) = a (q/10⁶)^b`` through this curve's slippage at ``sizes``.

        Default sizes: the table's knots for a depth table; 12 log-spaced sizes from 0.1 % to 30 % of the quote
        reserve for a constant-product pool (the range liquidations use). The result keeps this curve's depth.
        """
        if sizes is None:
            if self.kind == "depth_table":
                n = int(self.params[0])
                sizes = self.params[1 : n + 1] * self.depth
            elif self.kind == "constant_product":
                y = self.params[0] * self.depth
                sizes = np.geomspace(1e-3 * y, 0.3 * y, 12)
            else:
                return self
        q = np.asarray(sizes, dtype="float64")
        if q.size < 2 or np.any(q <= 0):
            raise SolvencyInputError("fit_power_law needs at least two positive sizes")
        s = np.asarray(self.slippage(q), dtype="float64")
        b, log_a = np.polyfit(np.log(q / POWER_LAW_REFERENCE), np.log(s), 1)
        return power_law(float(np.exp(log_a)), float(b))


def constant_product(reserve_quote: float) -> LiquidityCurve:
    """An x·y = k pool holding ``reserve_quote`` of the quote asset (selling into it; no fee)."""
    if not reserve_quote > 0 or not math.isfinite(reserve_quote):
        raise SolvencyInputError(f"constant-product reserve must be positive, got {reserve_quote!r}")
    return LiquidityCurve("constant_product", np.array([float(reserve_quote)]))


def power_law(coefficient: float, exponent: float, reference: float = POWER_LAW_REFERENCE) -> LiquidityCurve:
    """Average slippage ``coefficient·(size/reference)**exponent``."""
    if not coefficient > 0 or not exponent > 0 or not reference > 0:
        raise SolvencyInputError(
            f"power law needs coefficient, exponent and reference > 0, got {coefficient!r}, {exponent!r}, {reference!r}"
        )
    return LiquidityCurve("power_law", np.array([float(coefficient), float(exponent), float(reference)]))


def depth_table(sizes: Sequence[float], slippages: Sequence[float]) -> LiquidityCurve:
    """A table of sizes (quote units) and the average slippage of selling each at once.

    Raises
    ------
    SolvencyInputError
        Sizes not positive and increasing, slippages not in (0, 1), or the table is not convex (the marginal
        slippage between two rows is smaller than between earlier rows — the price impact would fall with
        size), naming the rows.
    """
    q = np.asarray(sizes, dtype="float64")
    s = np.asarray(slippages, dtype="float64")
    if q.ndim != 1 or q.shape != s.shape or q.size == 0:
        raise SolvencyInputError("depth table needs equally long, non-empty lists of sizes and slippages")
    if not np.all(np.isfinite(q)) or np.any(q <= 0) or np.any(np.diff(q) <= 0):
        raise SolvencyInputError(f"depth table sizes must be positive and increasing, got {q.tolist()}")
    if not np.all(np.isfinite(s)) or np.any(s <= 0) or np.any(s >= 1):
        raise SolvencyInputError(f"depth table slippages must be fractions in (0, 1), got {s.tolist()}")
    g = q * s
    slopes = np.diff(np.concatenate([[0.0], g])) / np.diff(np.concatenate([[0.0], q]))
    bad = np.flatnonzero(np.diff(slopes) < -1e-12 * np.abs(slopes[1:]))
    if bad.size:
        k = int(bad[0]) + 1
        raise SolvencyInputError(
            f"depth table is not convex: selling from {q[k - 1]:g} to {q[k]:g} costs {slopes[k]:.4g} per unit, "
            f"less than the {slopes[k - 1]:.4g} of the rows before",
            hint="slippage must grow at least linearly in cost; fix the table or use kind = 'power_law'",
        )
    n = q.size
    b_tail = 1.0 if n == 1 else float(np.log(s[-1] / s[-2]) / np.log(q[-1] / q[-2]))
    # keep the impact rising past the last knot: (1 + b)·s_n must not undercut the last segment's slope
    b_tail = max(b_tail, slopes[-1] / s[-1] - 1.0, 1e-9)
    params = np.concatenate([[float(n)], q, g, [b_tail]])
    return LiquidityCurve("depth_table", params)


def depth_table_from_volumes(volumes: Mapping[float, float]) -> LiquidityCurve:
    """A depth table from a Risk-DAO-style mapping ``{slippage fraction: quote volume sellable within it}``."""
    items = sorted((float(v), float(k)) for k, v in volumes.items())
    return depth_table([v for v, _ in items], [k for _, k in items])


def curve_from_spec(spec: LiquiditySpec) -> LiquidityCurve:
    """The curve a :class:`solvency.config.LiquiditySpec` describes (at quoted depth, unstressed)."""
    if spec.kind == "constant_product":
        return constant_product(float(spec.reserve_quote))  # type: ignore[arg-type]
    if spec.kind == "power_law":
        return power_law(float(spec.coefficient), float(spec.exponent))  # type: ignore[arg-type]
    return depth_table(spec.sizes or [], spec.slippages or [])


def pack_curves(curves: Sequence[LiquidityCurve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kernel arrays for several curves: kind codes ``(A,)``, padded params ``(A, L)``, depths ``(A,)``."""
    width = max(c.params.size for c in curves)
    params = np.zeros((len(curves), width))
    for i, c in enumerate(curves):
        params[i, : c.params.size] = c.params
    kinds = np.array([c.code for c in curves], dtype=np.int64)
    depths = np.array([c.depth for c in curves], dtype="float64")
    return kinds, params, depths
