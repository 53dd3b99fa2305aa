"""The protocol's moving parts around a loan book: oracle, liquidators, close factor, liquidity and price impact.

:class:`SimSetup` bundles them; both engines (:mod:`solvency.sim.reference`, :mod:`solvency.sim.kernels`)
implement exactly the step below, so their results agree to float tolerance.

One step ``t`` of a path (``dt`` seconds; ``P_t`` the undisturbed price from the path model):

1. **Impact recovery.** Each asset's unrecovered sold amount decays, ``S ← S·2^(−dt/half_life)``
   (``half_life=None``: impact is permanent). The market price is ``M_t = P_t·(1 − g(S))`` (floored at
   10⁻⁶·P_t), ``g`` being the slippage curve's price impact.
2. **Oracle.** The candidate is the market price ``delay`` seconds ago (log-linear between steps; the first
   price before the path starts). The oracle takes it when it deviates from the current oracle price by at
   least ``deviation`` or ``heartbeat`` has passed since the last update (Chainlink's rule); it starts in sync.
3. **Eligibility.** A position is eligible when its health factor at the oracle price was below 1 at every
   step of the liquidators' latency window ``[t − latency, t]`` (its current amounts, each past oracle price)
   and it has debt and collateral left. For a single-collateral position that is
   ``debt/(c·LT) > max(oracle over the window)``.
4. **Liquidations.** In at most ``per_step`` rounds, eligible positions are taken in the policy's order
   (:mod:`solvency.sim.policy`) until the step's ``capacity`` (debt repaid) is used up. Positions no
   liquidator could profit from even in the best case — repaying the whole debt and selling at the current
   market price with no further slippage: ``debt·((1+LB)·M/oracle − 1) − gas < 0`` — are left out of the
   round (they are neither scored nor counted in the policy's context). Later rounds of a step offer only
   the positions liquidated in the previous round that are still eligible. For each position:

   * close factor (Aave v3.3, ``LiquidationLogic.sol``): 50 % of the debt, 100 % when HF ≤ 0.95 or the
     seized reserve's collateral or the debt is worth less than $2,000; the policy's size is capped by it and
     by the remaining capacity;
   * the liquidator receives ``repay·(1+LB)/oracle`` units of the collateral (largest-value collateral for a
     multi-collateral position); if that exceeds what the position holds, all of it, repaying
     ``c·oracle/(1+LB)`` — the remaining debt with no collateral is bad debt;
   * Aave v3.3's dust rule: a partial liquidation must leave at least $1,000 of debt and of that collateral;
     if it would not, a 100 %-close-factor liquidation takes everything, otherwise the repay is reduced so
     that $1,000 remain;
   * the seized collateral is sold at once into the slippage curve on top of the unrecovered ``S``:
     proceeds ``Q − (G(S+Q) − G(S))`` with ``Q = units·P_t``, and ``S ← S + Q`` — the price impact of the
     sale lowers ``M`` for the following liquidations and, through the oracle, the next steps (cascades);
   * the liquidator acts only if ``proceeds − repay − gas > 0`` (bonus × repaid − slippage − gas > 0 when
     oracle and market agree); gas = ``gas_units × gwei_t × 10⁻⁹`` in the gas token, valued at the simulated
     market price when the gas token is a simulated asset, else at ``native_price``.

With a :class:`~solvency.sim.schedule.ParamSchedule` (``SimSetup.schedule``) the scheduled asset's LT and LB
change from step to step; how steps 3-4 use them is in :mod:`solvency.sim.schedule`.

After the last step, each position's **bad debt** is ``max(0, debt − Σ c·M_T)`` (Gauntlet's net insolvent
amount at the end of the run); its count is the insolvent positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.market.liquidity import LiquidityCurve
from solvency.sim.book import LoanBook
from solvency.sim.schedule import ParamSchedule, ScheduleArrays, book_value

AAVE_V33_SOURCE = (
    "aave-dao/aave-v3-origin @ 027aaed77f89 src/contracts/protocol/libraries/logic/LiquidationLogic.sol: "
    "DEFAULT_LIQUIDATION_CLOSE_FACTOR = 0.5e4, CLOSE_FACTOR_HF_THRESHOLD = 0.95e18, "
    "MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8 (USD, 8 decimals), MIN_LEFTOVER_BASE = threshold / 2"
)
PRICE_FLOOR = 1e-6
"""The market price never falls below this fraction of the undisturbed price, however much is sold."""
GWEI = 1e-9


@dataclass(frozen=True)
class OracleModel:
    """A push oracle: ``heartbeat`` and ``delay`` in seconds, ``deviation`` as a fraction."""

    heartbeat: int = 3600
    deviation: float = 0.005
    delay: int = 0

    def __post_init__(self) -> None:
        if self.heartbeat <= 0 or self.delay < 0 or not 0 <= self.deviation < 1:
            raise SolvencyInputError("oracle needs heartbeat > 0, delay ≥ 0 and deviation in [0, 1)")


@dataclass(frozen=True)
class CloseFactorRule:
    """How much of a position one liquidation may repay (defaults: Aave v3.3, see ``AAVE_V33_SOURCE``).

    Attributes
    ----------
    default
        Share of the debt repayable when none of the conditions below holds.
    full_below_hf
        At or below this health factor the whole debt may be repaid.
    full_below_value
        Below this value (quote units) of the seized reserve's collateral or of the debt, the whole debt.
    min_leftover
        A partial liquidation must leave at least this much debt and collateral value (0 disables).
    """

    default: float = 0.5
    full_below_hf: float = 0.95
    full_below_value: float = 2000.0
    min_leftover: float = 1000.0

    def __post_init__(self) -> None:
        if not 0 < self.default <= 1 or self.full_below_value < 0 or self.min_leftover < 0:
            raise SolvencyInputError("close factor must be in (0, 1] and thresholds non-negative")


@dataclass(frozen=True)
class LiquidatorModel:
    """The liquidators competing for the market.

    Attributes
    ----------
    latency
        Seconds a position must have been liquidatable before it is liquidated.
    capacity
        Debt they can repay per step (quote units) — at the simulation's step; see :meth:`SimSetup.rescaled`.
    gas_units
        Gas used by one liquidation.
    gas_gwei
        Gas price in gwei: a number, or one value per path point (replays with a gas file).
    native_price
        Price of the gas token in quote units when it is not one of the simulated assets.
    gas_asset
        Index of the simulated asset whose market price values gas (e.g. WETH for ETH gas), or -1.
    per_step
        Liquidation rounds per step: how many times one position may be liquidated in a step.
    profit_check
        Liquidate only when ``proceeds − repay − gas > 0``.
    """

    latency: int = 60
    capacity: float = 2.5e7
    gas_units: float = 500_000.0
    gas_gwei: float | np.ndarray = 30.0
    native_price: float = 3000.0
    gas_asset: int = -1
    per_step: int = 1
    profit_check: bool = True

    def __post_init__(self) -> None:
        if self.latency < 0 or not self.capacity >= 0 or self.gas_units < 0 or self.per_step < 1:
            raise SolvencyInputError("liquidators need latency ≥ 0, capacity ≥ 0, gas_units ≥ 0, per_step ≥ 1")
        if np.any(np.asarray(self.gas_gwei) < 0) or not np.all(np.isfinite(np.asarray(self.gas_gwei))):
            raise SolvencyInputError("gas prices must be finite and non-negative")

    def gas_native(self, n_points: int) -> np.ndarray:
        """Gas cost of one liquidation in the gas token, per path point ``(n_points,)``."""
        gwei = np.asarray(self.gas_gwei, dtype="float64")
        if gwei.ndim == 0:
            gwei = np.full(n_points, float(gwei))
        elif gwei.size < n_points:
            raise SolvencyInputError(f"gas series has {gwei.size} points, the path {n_points}")
        return np.ascontiguousarray(gwei[:n_points] * GWEI * self.gas_units)


@dataclass
class SimSetup:
    """Everything an engine needs besides the price paths and the policy.

    Attributes
    ----------
    book
        The loan book (its ``assets`` order is the price paths' column order).
    curves
        One slippage curve per asset, stress already applied (:meth:`LiquidityCurve.stressed`).
    oracle, liquidators, close_factor
        See the classes above.
    impact_half_life
        Seconds for unrecovered price impact to halve; None = permanent.
    sigma
        Annualised volatility per asset of the path model (context for policies only).
    schedule
        Time-varying LT/LB of one collateral asset (:mod:`solvency.sim.schedule`); None keeps the book's.
    """

    book: LoanBook
    curves: list[LiquidityCurve]
    oracle: OracleModel = field(default_factory=OracleModel)
    liquidators: LiquidatorModel = field(default_factory=LiquidatorModel)
    close_factor: CloseFactorRule = field(default_factory=CloseFactorRule)
    impact_half_life: int | None = 3600
    sigma: np.ndarray | None = None
    schedule: ParamSchedule | None = None

    def __post_init__(self) -> None:
        if len(self.curves) != self.book.n_assets:
            raise SolvencyInputError(
                f"need one liquidity curve per asset ({self.book.n_assets}), got {len(self.curves)}"
            )
        if self.impact_half_life is not None and self.impact_half_life <= 0:
            raise SolvencyInputError("impact half-life must be positive (or None for permanent impact)")
        if not -1 <= self.liquidators.gas_asset < self.book.n_assets:
            raise SolvencyInputError("gas_asset must index a simulated asset or be -1")
        if self.sigma is None:
            self.sigma = np.zeros(self.book.n_assets)
        self.sigma = np.broadcast_to(np.asarray(self.sigma, dtype="float64"), (self.book.n_assets,)).copy()
        self._book_params: tuple[float | None, float | None] = (None, None)
        if self.schedule is not None:
            if self.schedule.asset not in self.book.assets:
                raise SolvencyInputError(
                    f"the schedule's asset {self.schedule.asset!r} is not in the book {list(self.book.assets)}"
                )
            a = self.book.assets.index(self.schedule.asset)
            held = self.book.collateral[:, a] > 0
            name = self.schedule.asset
            keep_lt = self.schedule.lt is None
            keep_lb = self.schedule.lb is None
            self._book_params = (
                book_value(self.book.lt[:, a], held, asset=name, name="lt") if keep_lt else None,
                book_value(self.book.lb[:, a], held, asset=name, name="lb") if keep_lb else None,
            )
            self.schedule.series(1, book_lt=self._book_params[0], book_lb=self._book_params[1])  # fail early

    def schedule_arrays(self, n_points: int) -> ScheduleArrays:
        """The schedule as the engines take it: which assets are scheduled, and LT and LB per point and asset
        (zeros for unscheduled assets)."""
        n_assets = self.book.n_assets
        scheduled = np.zeros(n_assets, dtype=np.bool_)
        lt = np.zeros((n_points, n_assets))
        lb = np.zeros((n_points, n_assets))
        if self.schedule is not None:
            a = self.book.assets.index(self.schedule.asset)
            scheduled[a] = True
            book_lt, book_lb = self._book_params
            lt[:, a], lb[:, a] = self.schedule.series(n_points, book_lt=book_lt, book_lb=book_lb)
        return scheduled, lt, lb

    def start_params(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-position LT and LB ``(N, A)`` at the first step: the book's, the scheduled asset's replaced."""
        lt, lb = self.book.lt, self.book.lb
        if self.schedule is None:
            return lt, lb
        scheduled, lt_path, lb_path = self.schedule_arrays(1)
        lt, lb = lt.copy(), lb.copy()
        lt[:, scheduled] = lt_path[0, scheduled]
        lb[:, scheduled] = lb_path[0, scheduled]
        return lt, lb

    def decay(self, step: int) -> float:
        """Per-step retention of unrecovered impact."""
        if self.impact_half_life is None:
            return 1.0
        return math.pow(0.5, step / self.impact_half_life)

    def latency_steps(self, step: int) -> int:
        """Latency in whole steps (rounded to the nearest; 0 = the step the position becomes eligible)."""
        return math.floor(self.liquidators.latency / step + 0.5)

    def rescaled(self, step: int, reference_step: int) -> SimSetup:
        """A copy whose per-step capacity is scaled from ``reference_step`` to ``step`` seconds."""
        if step == reference_step:
            return self
        liq = replace(self.liquidators, capacity=self.liquidators.capacity * step / reference_step)
        return replace(self, liquidators=liq)
