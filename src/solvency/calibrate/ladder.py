"""The LT surface over volatility and depth: a two-dimensional staircase, monotone in both by construction.

**Why.** The LT search is exact per candidate, but bad debt in a cascade simulator is not monotone in depth.
Hypothesis found two mechanisms on small markets: (1) deeper liquidity needs a smaller bonus, and the thinner
margin makes fewer liquidations profitable in the stress, costing more LT than the depth saves; (2) even at a
fixed bonus, one path's cascade can end with more bad debt in the deeper market (it liquidates less, later, at
worse prices). Higher σ never raises LT because the frontier is a staircase on an *absolute* σ grid
(:mod:`~solvency.calibrate.frontier`); depth gets the same treatment here.

**Depth, absolutely.** A market's *depth* ``D`` is the size (quote units, valued at the pre-trade price) that
sells at 1 % average slippage (:data:`DEPTH_SLIPPAGE`) on the power law fitted to its curve — the fit the bonus
and the caps use (:class:`~solvency.calibrate.bonus.PowerLawDepth`). The curve counted in units of its own depth
(:meth:`~solvency.market.liquidity.LiquidityCurve.in_units`, rounded to 10 significant digits) is its *shape*:
a deeper copy of a market (every size of its table, its pool reserve or its power-law scale multiplied by one
factor) has the same shape to the bit, and a larger ``D``.

**The ladder.** Depth nodes ``D_k = ratio^k`` quote units, ``k`` an integer — one absolute scale for every market
(``[calibration] depth_ratio``, default 2). Row ``k`` is the market's shape at depth ``D_k``: the curve
``shape.stressed(stress_multiplier · D_k)`` in the simulator and the bonus the stress conditions need at
``D_k`` (capped at ``lb_max``; or the fixed ``[calibration] liquidation_bonus``), so each row is a complete,
self-consistent market (``LT·(1 + LB_k) ≤ max_lt_bonus`` through its search start). Everything a row depends on
— shape, book, mechanics, stress paths, σ nodes, LT grid, ``D_k`` — is shared by deeper and shallower copies of
the market, so they compute the same rows.

**The staircase.** Rows are computed from a top node ``K`` down, each cell's search starting no higher than the
answers at the lower σ node and at the deeper depth node::

    LT*(σ_i, D_k) = R( min(LT*(σ_{i−1}, D_k), LT*(σ_i, D_{k+1}), lt_start(LB_k)), F_{i,k} )

with ``R`` the grid search (:func:`~solvency.calibrate.frontier.search_down`), which never returns more than its
start. So on the nodes LT* never rises with σ and never falls with depth, whatever the simulation does; common
random numbers (one set of stress paths for every cell) keep the rows comparable, so the minimum rarely binds.

**The top.** ``K`` is the first node at which the book's whole collateral (valued at the start price under the
parameters in force) sells within ``[calibration] depth_top_slippage`` (10 %) average slippage in stressed
depth. Depths above ``D_K`` are read as ``D_K``: the property holds for every depth, and a market deeper than the
top is calibrated as the top node — conservative (less depth than it has), and reported. A top where depth
provably stops mattering does not exist in a cascade simulator (every finite depth moves prices a little), and
an infinite-depth node (zero slippage, a well-defined model) would leave the nodes between it and a market
unbounded; so the top is a finite ceiling, placed where depth has mostly stopped paying. On the WETH example
(real ETH σ, 10,000 paths; measured on the stress paths before jumps were added) the top sits at 14 × the
market's depth and its row is within 0.25 pp of the rows up to 228 × (where the whole book would sell within 1 %)
at every σ node up to the market's; above the market's σ the gap grows (7.5 pp at 1.8 × σ), so a very deep market
in a volatile month gets a conservative LT. A 1 % top would double the rows above the market.

**Reading a market.** For ``D`` in ``[D_j, D_{j+1})`` with ``j < K``, the market's frontier at σ node ``i`` is
``LT*(σ_i, D_j) + w·(LT*(σ_i, D_{j+1}) − LT*(σ_i, D_j))`` with ``w = ln(D/D_j)/ln(ratio)``, capped at
``lt_start(LB(D))``; between σ nodes it is linear in ``ln σ`` as before. ``LB(D)`` is the bonus the market's own
depth needs: it pays for the slippage there (liquidations stay profitable), lies between the bracketing rows'
bonuses and never rises with depth. Monotone, exactly: the two rows are ordered and do not depend on ``D``; ``w``
never falls as ``D`` rises (and a bracket's upper row is the next bracket's lower one); the cap
``max_lt_bonus/(1 + LB(D))`` never falls with depth; and the σ interpolation uses the same weights for every
depth. LTV (LT − a buffer that depends on σ only) and the borrow cap (∝ LT × the supply cap) inherit it.

*Interpolation, not snapping down.* Reading the row below (``D_j``) would be conservative but a step function: with
ratio 2 a market just above a node is calibrated at about half its depth, which on the WETH example means LT 80.7 %
instead of 88.5 % (``benchmarks/RESULTS.md``, stress paths without jumps); keeping that haircut near 2 pp needs
ratio ``2^(1/4)``, four times the rows, and does not fit the time budget. Linear interpolation in ``ln D`` between
two chained rows is as monotone, continuous, and conservative wherever LT is concave in ``ln D`` — diminishing
returns of depth, what the rows show. It is the approximation the σ axis already makes between its nodes, and the
recommendation is then simulated on all paths at the market's own depth and σ (the evidence, ``budget_met``). The
bracketing nodes and the weight are reported.

*The bonus of a row* is the one its depth needs, so a deeper row may carry a thinner bonus, lose LT to it
(the first mechanism above) and pass that limit down the chain to shallower markets: the shallower market's
LT is capped by what a deeper market with its thinner bonus sustains. That is the conservative resolution —
raising the deeper market's bonus instead would break the rule that the bonus is no higher than its depth needs.

**Cost.** ``(K − j + 1)`` rows × the σ nodes up to the market's σ. A cell's start (the deeper row's answer) is
usually its answer, its first guess follows the deeper row's step down in σ, and the search walks down from a
failed guess one grid step at a time (:func:`~solvency.calibrate.frontier.search_down`), so a cell costs about
one feasible evaluation — infeasible candidates stop after a few dozen paths, and paths proven clean are skipped
(:func:`~solvency.calibrate.frontier.evaluate`). Depth sensitivity (×2, ×0.5) and the oracle's regimes (depth
× 0.75, × 0.5) read the same ladder — one more row below the market instead of a search each. σ sensitivity
reads above the market's σ: only the two rows around the market are continued there
(:meth:`~solvency.calibrate.setup.CalibrationSetup.extend`), which keeps it monotone in σ (and in depth between
those two rows) without paying for every row at the most expensive σ nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solvency.calibrate.bonus import PowerLawDepth
from solvency.calibrate.frontier import Evaluation, Frontier
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import LiquidityCurve

DEPTH_SLIPPAGE = 0.01
"""Average slippage at which a market's depth is measured: ``D`` = the size that sells within it."""


def market_depth(curve: LiquidityCurve) -> float:
    """Depth ``D`` of a curve: quote units that sell at :data:`DEPTH_SLIPPAGE` on its fitted power law."""
    return PowerLawDepth.fit(curve).size_at(DEPTH_SLIPPAGE)


@dataclass(frozen=True)
class DepthNodes:
    """The absolute depth ladder ``D_k = ratio^k`` (quote units at 1 %), up to the top node ``top``."""

    ratio: float
    top: int

    def __post_init__(self) -> None:
        if not self.ratio > 1:
            raise SolvencyInputError(f"depth_ratio must be above 1, got {self.ratio!r}")

    @classmethod
    def for_book(cls, ratio: float, *, collateral_value: float, stressed_unit_size: float) -> DepthNodes:
        """The ladder whose top is the first node ``D`` with ``D · stressed_unit_size ≥ collateral_value``.

        ``stressed_unit_size`` is what one unit of depth sells within the top slippage in stressed depth.
        """
        if not collateral_value > 0 or not stressed_unit_size > 0:
            raise SolvencyInputError("the depth ladder needs a book with collateral and a curve with depth")
        need = collateral_value / stressed_unit_size
        return cls(float(ratio), math.ceil(math.log(need) / math.log(ratio) - 1e-9))

    def value(self, k: int) -> float:
        """Depth of node ``k`` (quote units at 1 %)."""
        return float(self.ratio**k)

    def below(self, depth: float) -> int:
        """The highest node at or below ``depth`` (the top for anything deeper)."""
        if not depth > 0:
            raise SolvencyInputError(f"depth must be positive, got {depth!r}")
        return min(math.floor(math.log(depth) / math.log(self.ratio) + 1e-9), self.top)

    def bracket(self, depth: float) -> tuple[int, float]:
        """``(j, w)``: ``depth`` lies between nodes ``j`` and ``j + 1`` at weight ``w = ln(D/D_j)/ln(ratio)`` in
        ``[0, 1)`` (``w = 0`` at or above the top)."""
        j = self.below(depth)
        if j >= self.top:
            return self.top, 0.0
        w = (math.log(depth) - math.log(self.value(j))) / math.log(self.ratio)
        return j, min(max(w, 0.0), 1.0)


@dataclass
class DepthLadder:
    """Rows of the staircase: one :class:`~solvency.calibrate.frontier.Frontier` per depth node, on shared σ nodes.

    Attributes
    ----------
    nodes
        The ladder.
    rows
        Node index → that row's frontier (its ``lb`` the row's bonus, its ``depth`` the node's depth).
    """

    nodes: DepthNodes
    rows: dict[int, Frontier] = field(default_factory=dict)

    @property
    def sigmas(self) -> np.ndarray:
        """The σ nodes every row has (rows around a market may go further, :meth:`CalibrationSetup.extend`)."""
        return min((fr.sigmas for fr in self.rows.values()), key=len)

    @property
    def evaluations(self) -> list[Evaluation]:
        """Every candidate simulated, row by row from the top."""
        return [ev for k in sorted(self.rows, reverse=True) for ev in self.rows[k].evaluations]

    def frontier_at(self, depth: float, *, lb: float, cap: float) -> Frontier:
        """The frontier of a market of depth ``depth`` with bonus ``lb`` (module docstring: interpolated between
        the bracketing rows in ``ln D``, capped at ``cap``)."""
        j, w = self.nodes.bracket(depth)
        if j not in self.rows or (w > 0 and j + 1 not in self.rows):
            raise SolvencyInputError(
                f"depth {depth:,.0f} is below the ladder's lowest row {self.nodes.value(min(self.rows)):,.0f}"
            )
        low = self.rows[j]
        lts, found, sigmas = low.lts, low.found, low.sigmas
        if w > 0:
            high = self.rows[j + 1]
            n = min(low.sigmas.size, high.sigmas.size)
            lts = lts[:n] + w * (high.lts[:n] - lts[:n])
            found, sigmas = found[:n] & high.found[:n], sigmas[:n]
        return Frontier(sigmas, np.minimum(lts, cap), found.copy(), lb, depth, self.evaluations)

    def to_dict(self) -> dict[str, object]:
        ks = sorted(self.rows)
        return {
            "ratio": self.nodes.ratio,
            "depth_slippage": DEPTH_SLIPPAGE,
            "top": self.nodes.value(self.nodes.top),
            "sigma": [float(s) for s in self.sigmas],
            "depth": [self.nodes.value(k) for k in ks],
            "liquidation_bonus": [self.rows[k].lb for k in ks],
            "liquidation_threshold": [[float(x) for x in self.rows[k].lts] for k in ks],
            "budget_met": [[bool(f) for f in self.rows[k].found] for k in ks],
        }
