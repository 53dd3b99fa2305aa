"""The liquidation-threshold frontier: the highest LT whose stress bad debt stays within the budget, at each σ.

**Risk of a candidate.** For a liquidation threshold ``LT`` (and bonus ``LB``) the loan book is rebuilt so that
every borrower keeps its health factor and debt — borrowers lever up to what the threshold allows, which is
what makes a higher LT both more capital-efficient and riskier (:class:`BookShape`). The book is run through the
stress paths (:class:`~solvency.calibrate.stress_paths.StressPaths`) with the simulator's fast engine under
stressed liquidity; the candidate is *feasible* when the ES99 of bad debt over the paths is at most
``budget × debt``.

**Search.** LT values live on a fixed grid (``lt_step``, 0.25 pp by default). At one volatility, the search walks
down the grid from a start value and returns the first feasible LT:
``R(s, F) = max{x ∈ grid : x ≤ s, x ∈ F}``. Bad debt is non-decreasing in LT in practice (higher LT, thinner
cushion between liquidation and insolvency), so walking down from the previous answer is short; ``R`` never
assumes it, so the answer is exact for any feasibility set.

**Frontier over σ (a staircase).** The frontier is computed on an absolute grid of volatilities
``σ_k = sigma_min · sigma_ratio^k`` with ``LT*(σ_0) = R(LT_max, F_0)`` and ``LT*(σ_k) = R(LT*(σ_{k−1}), F_k)``.
By construction ``LT*`` never rises with σ, whatever the simulation does, and (since ``R`` is monotone in the
start and in the feasible set) a larger budget never lowers it. Between nodes LT is interpolated linearly in
``ln σ`` (the way the oracle interpolates its target table). :mod:`~solvency.calibrate.ladder` stacks such
frontiers on an absolute ladder of depths, each row capped by the deeper one inside this recursion, so that LT
never falls with depth either.

**Speed, exactly.** Two shortcuts that never change a result:

* *Early stop.* Paths are simulated from the deepest fall to the mildest; once the ``k = ⌈0.01·n⌉`` largest bad
  debts seen so far sum to more than ``k·budget·debt`` the candidate is infeasible (more paths can only raise
  ES99), and the rest are skipped.
* *Clean paths.* A path is skipped (bad debt exactly 0) when it provably produces none: if the undisturbed price
  never falls below ``P_min`` and liquidation sales can depress it by at most ``g(P_max·C)`` (``C`` = collateral
  of every position that could ever be liquidated, ``g`` the curve's price impact), and
  ``P_min·(1 − g(P_max·C)) ≥ (1 + LB)·max_i(debt_i/collateral_i)``, then the oracle stays above
  ``(1 + LB)·debt/collateral`` of every position, each liquidation lowers that position's debt/collateral ratio,
  and no position ends with debt above its collateral's value (proof in :func:`clean_paths`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from solvency.calibrate.stress_paths import StressPaths
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import LiquidityCurve
from solvency.sim.book import LoanBook
from solvency.sim.engine import Engine
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel, SimSetup
from solvency.sim.metrics import bad_debt_metrics, expected_shortfall

ES_LEVEL = 0.99
FIRST_CHUNK = 16
"""Paths simulated before the first early-stop check (the worst falls: they decide ES99 and cost the most)."""


# --------------------------------------------------------------------------------------------------- book


@dataclass(frozen=True)
class BookShape:
    """A single-collateral loan book reduced to what stays fixed across candidate parameters.

    Attributes
    ----------
    asset, debt_asset
        Collateral and debt asset.
    debt
        Debt per position, quote units (positions without debt are dropped: they carry no risk).
    hf
        Health factor of each position at the start price under the book's own LT.
    s0
        Start price of the collateral, quote units.
    ids
        Position identifiers.
    """

    asset: str
    debt_asset: str
    debt: np.ndarray
    hf: np.ndarray
    s0: float
    ids: np.ndarray

    @classmethod
    def from_book(cls, book: LoanBook, s0: float) -> BookShape:
        """Health factors and debts of ``book`` at price ``s0`` (one collateral asset only)."""
        if book.n_assets != 1:
            raise SolvencyInputError(
                f"the lending calibrator works on one collateral asset; the book has {list(book.assets)}",
                hint="give a book of the market's collateral only",
            )
        if not s0 > 0:
            raise SolvencyInputError(f"start price must be positive, got {s0!r}")
        keep = book.debt > 0
        if not keep.any():
            raise SolvencyInputError("the loan book has no debt to calibrate against")
        hf = book.health_factor([s0])[keep]
        if np.any(hf <= 0):
            raise SolvencyInputError("every indebted position needs collateral (health factor > 0)")
        return cls(book.assets[0], book.debt_asset, book.debt[keep].copy(), hf, float(s0), book.ids[keep].copy())

    def __len__(self) -> int:
        return self.debt.size

    @property
    def debt_total(self) -> float:
        return float(self.debt.sum())

    def collateral(self, lt: float) -> np.ndarray:
        """Collateral per position (asset units) when borrowers keep their health factors at threshold ``lt``."""
        return self.hf * self.debt / (lt * self.s0)

    def book(self, lt: float, lb: float) -> LoanBook:
        """The loan book at threshold ``lt`` and bonus ``lb`` (same debts and health factors)."""
        return LoanBook((self.asset,), self.collateral(lt)[:, None], self.debt, lt, lb, self.ids, self.debt_asset)

    def typical_debt(self, quantile: float = 0.5) -> float:
        """Debt-weighted ``quantile`` of position debts: half of the debt sits in positions larger than the median."""
        order = np.argsort(self.debt, kind="stable")
        cum = np.cumsum(self.debt[order]) / self.debt_total
        return float(self.debt[order][min(np.searchsorted(cum, quantile), len(self) - 1)])

    def collateral_value_share(self, max_hf: float) -> float:
        """Share of the book's collateral value held by positions with health factor below ``max_hf``."""
        w = self.hf * self.debt  # collateral value × LT, the same LT for every position
        return float(w[self.hf < max_hf].sum() / w.sum())


# -------------------------------------------------------------------------------------------- risk model


@dataclass(frozen=True)
class RiskModel:
    """Everything the risk of a candidate depends on besides LT, LB and the price paths.

    Attributes
    ----------
    shape
        The book.
    curve
        Slippage curve of the collateral with stress applied.
    oracle, liquidators, close_factor
        Protocol mechanics (liquidator capacity already at ``step``).
    impact_half_life
        Recovery of price impact, seconds (None: permanent).
    step
        Seconds per path step.
    budget
        ES99 of bad debt allowed, fraction of the book's debt.
    policy
        Liquidation policy name.
    """

    shape: BookShape
    curve: LiquidityCurve
    oracle: OracleModel
    liquidators: LiquidatorModel
    close_factor: CloseFactorRule
    impact_half_life: int | None
    step: int
    budget: float
    policy: str = "health_first"

    def __post_init__(self) -> None:
        if not 0 < self.budget < 1:
            raise SolvencyInputError(f"risk budget must be a fraction of debt in (0, 1), got {self.budget!r}")

    def setup(self, lt: float, lb: float, sigma: float = 0.0) -> SimSetup:
        """The simulator's setup for a candidate."""
        return SimSetup(
            self.shape.book(lt, lb),
            [self.curve],
            oracle=self.oracle,
            liquidators=self.liquidators,
            close_factor=self.close_factor,
            impact_half_life=self.impact_half_life,
            sigma=np.array([sigma]),
        )

    def with_depth(self, multiplier: float) -> RiskModel:
        """The same model with liquidity depth multiplied by ``multiplier``."""
        return replace(self, curve=self.curve.stressed(multiplier))

    @property
    def allowed(self) -> float:
        """Bad debt allowed (quote units)."""
        return self.budget * self.shape.debt_total


@dataclass(frozen=True)
class Evaluation:
    """Bad debt of one candidate over the stress paths.

    ``complete`` is False when the early stop cut the run short: ``es99`` is then a lower bound already above
    the budget and the other metrics are None.
    """

    sigma: float
    lt: float
    lb: float
    es99: float
    feasible: bool
    complete: bool
    paths_run: int
    var95: float | None = None
    prob: float | None = None
    mean: float | None = None
    lar95: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "sigma": self.sigma,
            "liquidation_threshold": self.lt,
            "liquidation_bonus": self.lb,
            "bad_debt_es99": self.es99,
            "feasible": self.feasible,
            "complete": self.complete,
        }


def clean_paths(prices: np.ndarray, model: RiskModel, lt: float, lb: float) -> np.ndarray:
    """Paths on which no position can end with bad debt, whatever liquidators do (boolean ``(n_paths,)``).

    With ``κ = max_i debt_i/c_i`` (insolvency price of the weakest position), ``L = (1 + LB)·κ`` and ``C`` the
    collateral (units) of the positions whose liquidation price ``debt/(c·LT)`` exceeds ``L``, a path is clean
    when ``P_min·(1 − g(P_max·C)) ≥ L``. Proof, by induction over steps: while every market price so far is
    ≥ L, oracle prices (past market prices, log-interpolated) are ≥ L, so only positions with liquidation price
    > L can be liquidated; they sell at most ``C`` units, each worth at most ``P_max`` when sold, so the unrecovered
    sold amount is ≤ ``P_max·C`` and the next market price is ≥ ``P_min·(1 − g(P_max·C)) ≥ L``. A liquidation of a
    position with ``debt/c ≤ κ ≤ oracle/(1 + LB)`` lowers (or keeps) its ``debt/c`` — repaying ``r`` and seizing
    ``r(1+LB)/oracle`` — and a full seizure repays all of its debt; so at the end every ``debt/c ≤ κ < L ≤ M_T``
    and ``debt − c·M_T ≤ 0``. Capacity, latency and the profit check only remove liquidations, which the bound
    already allows for.
    """
    c = model.shape.collateral(lt)
    kappa = float(np.max(model.shape.debt / c))
    level = (1.0 + lb) * kappa
    liq_price = model.shape.debt / (c * lt)
    units = float(c[liq_price > level].sum())
    p = prices[:, :, 0]
    p_min, p_max = p.min(axis=1), p.max(axis=1)
    depressed = np.asarray(model.curve.impact(p_max * units), dtype="float64")
    return p_min * (1.0 - depressed) >= level


def severity_order(prices: np.ndarray) -> np.ndarray:
    """Path indices from the deepest fall (lowest minimum price) to the mildest, ties by index."""
    low = prices[:, :, 0].min(axis=1)
    return np.lexsort((np.arange(low.size), low))


def evaluate(
    model: RiskModel,
    prices: np.ndarray,
    lt: float,
    lb: float,
    *,
    sigma: float = 0.0,
    order: np.ndarray | None = None,
    early_stop: bool = True,
    skip_clean: bool = True,
    share: float = 1.0,
) -> Evaluation:
    """Simulate the candidate ``(lt, lb)`` on price paths ``(n_paths, n_steps + 1, 1)``.

    Parameters
    ----------
    sigma
        Annualised volatility of the paths (recorded; the liquidation policy may read it).
    order
        :func:`severity_order` of ``prices`` (computed when None; pass it to reuse across candidates).
    early_stop
        Stop as soon as the candidate is proven infeasible (metrics then None).
    skip_clean
        Skip paths proven free of bad debt (:func:`clean_paths`); liquidation metrics (LaR95) need them, so a
        final evaluation passes False.
    share
        Simulate only this share of the paths, those with the deepest falls, and count the others as free of
        bad debt (the search's shortcut: ES99 is the mean of the worst 1 %, which lies among the deepest falls;
        a final evaluation uses 1.0 and says whether the shortcut changed anything).
    """
    n = prices.shape[0]
    k = max(1, math.ceil((1.0 - ES_LEVEL) * n - 1e-9))
    allowed_sum = model.allowed * k
    if order is None:
        order = severity_order(prices)
    if share < 1.0:
        order = order[: max(k, math.ceil(share * n))]
    if skip_clean:
        order = order[~clean_paths(prices, model, lt, lb)[order]]
    engine = Engine(model.setup(lt, lb, sigma), model.step, model.policy)
    bad = np.zeros(n)
    volume = np.zeros(n)
    done = 0
    complete = True
    chunk = FIRST_CHUNK
    while done < order.size:
        idx = order[done : done + chunk]
        out = engine.run(prices[idx])
        bad[idx] = out.bad_debt
        volume[idx] = out.volume
        done += idx.size
        chunk *= 2
        if early_stop and done < order.size:
            top = np.partition(bad, n - k)[n - k :].sum() if n > k else bad.sum()
            if top > allowed_sum:
                complete = False
                break
    es = expected_shortfall(bad, ES_LEVEL)
    feasible = bool(es <= model.allowed)
    if not complete:
        return Evaluation(sigma, lt, lb, es, False, False, done)
    m = bad_debt_metrics(bad)
    lar = float(np.quantile(volume, 0.95)) if not skip_clean and share >= 1.0 else None
    return Evaluation(sigma, lt, lb, es, feasible, True, done, m.var95, m.prob, m.mean, lar)


# ------------------------------------------------------------------------------------------------ search


def lt_grid(lt_min: float, lt_max: float, step: float) -> np.ndarray:
    """The LT grid: multiples of ``step`` in ``[lt_min, lt_max]`` (rounded to 1e-10 so values are exact)."""
    lo, hi = math.ceil(lt_min / step - 1e-9), math.floor(lt_max / step + 1e-9)
    if hi < lo:
        raise SolvencyInputError(f"no LT grid point in [{lt_min}, {lt_max}] with step {step}")
    return np.round(np.arange(lo, hi + 1) * step, 10)


def search_down(
    start: float,
    grid: np.ndarray,
    evaluate_at: Callable[[float], Evaluation],
    *,
    guess: float | None = None,
) -> tuple[float, list[Evaluation], bool]:
    """The highest feasible grid LT at or below ``start``: test a guess, then bisect up or walk down.

    The first test is at ``guess`` (default ``start``; clipped to ``start``). If it is feasible the answer lies
    between it and ``start`` and is found by bisection (which relies on bad debt being non-decreasing in LT
    between the bracketing points, as it is in practice); if not, the search walks down one grid step at a time
    and returns the first feasible point. Walking rather than galloping costs no feasible evaluation beyond the
    answer's — infeasible candidates are cheap, the early stop ends them after a few dozen paths, while every
    feasible one simulates all its paths — and finds the highest feasible point below the guess whatever the
    simulation does. In every case the result never exceeds ``start`` — the property that keeps the frontier
    monotone in σ and the LT surface monotone in depth.

    Returns ``(lt, evaluations, found)``; when nothing down to the lowest grid point is feasible, the lowest is
    returned with ``found = False``.
    """
    top = max(int(np.searchsorted(grid, start + 1e-12)) - 1, 0)
    first = top if guess is None else min(max(int(np.searchsorted(grid, guess + 1e-12)) - 1, 0), top)
    evaluations: list[Evaluation] = []

    def test(i: int) -> bool:
        ev = evaluate_at(float(grid[i]))
        evaluations.append(ev)
        return ev.feasible

    if not test(first):
        for i in range(first - 1, -1, -1):
            if test(i):
                return float(grid[i]), evaluations, True
        return float(grid[0]), evaluations, False
    good, bad = first, top + 1  # top + 1: above the start, never allowed
    while bad - good > 1:
        mid = (good + bad) // 2
        if test(mid):
            good = mid
        else:
            bad = mid
    return float(grid[good]), evaluations, True


def sigma_nodes(sigma_min: float, ratio: float, sigma_max: float, *, up_to: float | None = None) -> np.ndarray:
    """The absolute σ grid ``sigma_min·ratio^k`` up to ``sigma_max`` (or the first node ≥ ``up_to``)."""
    n = math.floor(math.log(sigma_max / sigma_min) / math.log(ratio) + 1e-9) + 1
    nodes = sigma_min * ratio ** np.arange(n)
    if up_to is not None:
        last = int(np.searchsorted(nodes, up_to - 1e-12))
        nodes = nodes[: min(last + 1, n)]
    return nodes


@dataclass
class Frontier:
    """``LT*(σ)`` on the σ grid for one bonus and one depth (see the module docstring and
    :mod:`~solvency.calibrate.ladder`, which stacks them over depth).

    Attributes
    ----------
    sigmas, lts
        Grid nodes and the frontier's LT at each (non-increasing).
    found
        Whether the budget was met at each node (False: ``lts`` holds the lowest grid LT).
    lb
        Liquidation bonus the candidates were simulated with.
    depth
        Depth the frontier is for: quote units that sell at 1 % average slippage, unstressed
        (:func:`~solvency.calibrate.ladder.market_depth`); None when not stated.
    evaluations
        Every candidate simulated, in order.
    """

    sigmas: np.ndarray
    lts: np.ndarray
    found: np.ndarray
    lb: float
    depth: float | None = None
    evaluations: list[Evaluation] = field(default_factory=list)

    def lt_at(self, sigma: float) -> float:
        """Frontier LT at ``sigma``: linear in ``ln σ`` between nodes, flat below the first node.

        Raises
        ------
        SolvencyInputError
            ``sigma`` lies above the last node (the frontier was not computed that far).
        """
        if sigma > self.sigmas[-1] * (1 + 1e-12):
            raise SolvencyInputError(
                f"σ = {sigma:.4f} is above the frontier's last node {self.sigmas[-1]:.4f}",
                hint="raise [calibration] sigma_max",
            )
        if sigma <= self.sigmas[0]:
            return float(self.lts[0])
        return float(np.interp(math.log(sigma), np.log(self.sigmas), self.lts))

    def found_at(self, sigma: float) -> bool:
        """Whether the budget was met at the σ nodes :meth:`lt_at` reads for ``sigma`` (one or two)."""
        i = int(np.searchsorted(self.sigmas, sigma * (1 - 1e-12)))
        return bool(self.found[max(i - 1, 0) : i + 1].all())

    def to_dict(self) -> dict[str, object]:
        return {
            "sigma": [float(s) for s in self.sigmas],
            "liquidation_threshold": [float(x) for x in self.lts],
            "budget_met": [bool(f) for f in self.found],
            "liquidation_bonus": self.lb,
            "depth": self.depth,
        }


def lt_frontier(
    model: RiskModel,
    paths: StressPaths,
    lb: float,
    sigmas: Sequence[float],
    grid: np.ndarray,
    *,
    start: float,
    ceiling: Sequence[float] | None = None,
    depth: float | None = None,
    share: float = 1.0,
    known: Frontier | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Frontier:
    """The staircase ``LT*(σ_k) = R(min(LT*(σ_{k−1}), ceiling_k), F_k)`` from ``LT*(σ_{−1}) = start``.

    Parameters
    ----------
    ceiling
        Optional per-node upper bound (the deeper row's values in :mod:`~solvency.calibrate.ladder`), applied
        inside the recursion so that this frontier never exceeds it. It also guides the search: the first guess
        at node ``k`` is this row's answer at ``k − 1`` lowered by the ceiling's own step down from ``k − 1`` to
        ``k`` (rows of nearby depths fall alike with σ).
    depth
        Depth the frontier is for (recorded).
    known
        The same staircase already computed on a prefix of ``sigmas``: its nodes are taken as they are and the
        recursion continues from its last one (extending a frontier to higher σ).
    """
    sig = np.asarray(sigmas, dtype="float64")
    lts = np.empty(sig.size)
    found = np.zeros(sig.size, dtype=bool)
    evaluations: list[Evaluation] = []
    current = float(start)
    n_known = 0
    if known is not None:
        n_known = known.sigmas.size
        if n_known > sig.size or not np.array_equal(known.sigmas, sig[:n_known]):
            raise SolvencyInputError("a known frontier must be computed on a prefix of the σ nodes")
        lts[:n_known], found[:n_known] = known.lts, known.found
        evaluations.extend(known.evaluations)
        if n_known:
            current = float(known.lts[-1])
    for k, s in enumerate(sig):
        if k < n_known:
            continue
        top = current if ceiling is None else min(current, float(ceiling[k]))
        prices = paths.prices(float(s), model.shape.s0)
        order = severity_order(prices)

        def feasible(lt: float, s: float = float(s), p: np.ndarray = prices, o: np.ndarray = order) -> Evaluation:
            return evaluate(model, p, lt, lb, sigma=s, order=o, share=share)

        guess = None
        if ceiling is not None and k >= 1:
            guess = float(lts[k - 1]) + float(ceiling[k]) - float(ceiling[k - 1])
        elif k >= 2:  # the last step's fall again (an optimistic guess: walking down from it is cheap)
            guess = top - max(0.0, float(lts[k - 2] - lts[k - 1]))
        current, evs, ok = search_down(top, grid, feasible, guess=guess)
        lts[k], found[k] = current, ok
        evaluations.extend(evs)
        if progress is not None:
            progress(k + 1, sig.size)
    return Frontier(sig, lts, found, lb, depth, evaluations)
