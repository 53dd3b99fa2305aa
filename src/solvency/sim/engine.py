"""Run a loan book through price paths with one of the engines.

``engine="fast"`` (default) uses the sorted single-collateral kernel when every position holds one
collateral asset and the general compiled kernel otherwise (multi-collateral positions cost
O(steps × positions) per path); ``"general"`` forces the latter; ``"reference"`` runs the plain, slow
:mod:`solvency.sim.reference`. All three implement the same mechanics (:mod:`solvency.sim.mechanics`).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from solvency import _jit
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import pack_curves
from solvency.sim import kernels as K
from solvency.sim.mechanics import SimSetup
from solvency.sim.policy import (
    LiquidationPolicy,
    full_close_factor,
    get_policy,
    largest_debt,
    lowest_health_factor,
)
from solvency.sim.reference import run_reference
from solvency.sim.results import EngineOutput
from solvency.units import SECONDS_PER_YEAR

ENGINES = ("fast", "general", "reference")


class Engine:
    """A prepared engine for one setup, step and policy; call :meth:`run` on blocks of price paths.

    Parameters
    ----------
    setup
        Book, curves, oracle, liquidators.
    step
        Seconds per path step.
    policy
        Liquidation policy (name or object).
    engine
        ``"fast"``, ``"general"`` or ``"reference"``.
    use_numba
        Run the compiled kernels (default: whenever numba is enabled); False runs the same kernel code
        interpreted (slow; for tests and environments without numba).
    """

    def __init__(
        self,
        setup: SimSetup,
        step: int,
        policy: str | LiquidationPolicy | None = None,
        *,
        engine: str = "fast",
        use_numba: bool | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise SolvencyInputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
        self.setup = setup
        self.step = int(step)
        self.policy = get_policy(policy)
        if self.policy.for_setup is not None:  # a policy that needs the market's curves or rules
            self.policy = self.policy.for_setup(self.policy, setup)
        self.use_numba = _jit.ENABLED if use_numba is None else bool(use_numba and _jit.ENABLED)
        book = setup.book
        if engine == "fast":
            engine = "sorted" if book.is_single_collateral else "general"
        self.kind = engine
        self._arrays = self._prepare() if engine in ("sorted", "general") else None

    # ------------------------------------------------------------------------------------------ prepare
    def _config(self) -> tuple[np.ndarray, np.ndarray]:
        s, step = self.setup, self.step
        cfg = np.zeros(K.N_FCFG)
        cfg[K.F_DECAY] = s.decay(step)
        cfg[K.F_HEARTBEAT] = s.oracle.heartbeat
        cfg[K.F_DEVIATION] = s.oracle.deviation
        cfg[K.F_DELAY] = s.oracle.delay / step
        cfg[K.F_DT] = step
        cfg[K.F_CAPACITY] = s.liquidators.capacity
        cfg[K.F_NATIVE_PRICE] = s.liquidators.native_price
        cfg[K.F_CF_DEFAULT] = s.close_factor.default
        cfg[K.F_CF_HF] = s.close_factor.full_below_hf
        cfg[K.F_CF_VALUE] = s.close_factor.full_below_value
        cfg[K.F_MIN_LEFT] = s.close_factor.min_leftover
        icfg = np.zeros(K.N_ICFG, dtype=np.int64)
        icfg[K.I_LATENCY] = s.latency_steps(step)
        icfg[K.I_GAS_ASSET] = s.liquidators.gas_asset
        icfg[K.I_PER_STEP] = s.liquidators.per_step
        icfg[K.I_PROFIT] = int(s.liquidators.profit_check)
        icfg[K.I_BUILTIN] = {lowest_health_factor: 1, largest_debt: 2}.get(self.policy.score, 0)
        icfg[K.I_FULL_SIZE] = int(self.policy.size is full_close_factor)
        return cfg, icfg

    def _prepare(self) -> dict[str, object]:
        book = self.setup.book
        book_lt, book_lb = self.setup.start_params()  # a scheduled asset at its first step's values
        kinds, cparams, depths = pack_curves(self.setup.curves)
        cfg, icfg = self._config()
        arrays: dict[str, object] = {
            "kinds": kinds,
            "cparams": cparams,
            "depths": depths,
            "sigma_step": self.setup.sigma * math.sqrt(self.step / SECONDS_PER_YEAR),
            "cfg": cfg,
            "icfg": icfg,
        }
        if self.kind == "general":
            arrays.update(
                single=np.ascontiguousarray(book.n_collateral <= 1),
                primary=np.ascontiguousarray(book.primary_asset.astype(np.int64)),
                c0=book.collateral,
                d0=book.debt,
                lt=book_lt,
                lb=book_lb,
                lbmax=np.ascontiguousarray(book_lb.max(axis=0) if len(book) else np.zeros(book.n_assets)),
            )
            return arrays
        n = len(book)
        rows = np.arange(n)
        asset = book.primary_asset.astype(np.int64)
        c0 = np.ascontiguousarray(book.collateral[rows, asset])
        d0 = book.debt
        lt = np.ascontiguousarray(book_lt[rows, asset])
        lb = np.ascontiguousarray(book_lb[rows, asset])
        alive = (c0 > 0) & (d0 > 0)
        liq = np.full(n, -np.inf)
        liq[alive] = d0[alive] / (c0[alive] * lt[alive])  # the expression the kernels and reference use
        ins = np.where(d0 > 0, np.inf, -np.inf)
        has_c = c0 > 0
        ins[has_c & (d0 > 0)] = d0[has_c & (d0 > 0)] / c0[has_c & (d0 > 0)]
        order = np.lexsort((rows, -liq, asset))
        ins_order = np.lexsort((rows, -ins, asset))
        aoff = np.searchsorted(asset[order], np.arange(book.n_assets + 1)).astype(np.int64)
        arrays.update(
            order=order.astype(np.int64),
            liq_sorted=np.ascontiguousarray(liq[order]),
            ins_order=ins_order.astype(np.int64),
            ins_sorted=np.ascontiguousarray(ins[ins_order]),
            aoff=aoff,
            pos_asset=asset,
            c0=c0,
            d0=d0,
            lt=lt,
            lb=lb,
            lbmax=np.array(
                [lb[asset == a].max() if np.any(asset == a) else 0.0 for a in range(book.n_assets)], dtype="float64"
            ),
        )
        return arrays

    # ---------------------------------------------------------------------------------------------- run
    def run(self, prices: np.ndarray, *, n_groups: int | None = None) -> EngineOutput:
        """Simulate price paths ``(n_paths, n_steps + 1, n_assets)`` (columns in the book's asset order)."""
        prices = np.ascontiguousarray(prices, dtype="float64")
        book = self.setup.book
        if prices.ndim != 3 or prices.shape[2] != book.n_assets:
            raise SolvencyInputError(
                f"price paths must have shape (paths, steps+1, {book.n_assets}), got {prices.shape}"
            )
        if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
            raise SolvencyInputError("price paths must be positive and finite")
        if self.kind == "reference":
            return run_reference(self.setup, prices, self.step, self.policy)
        n_paths = prices.shape[0]
        groups = max(1, min(n_groups or _jit.threads(), n_paths))
        out = EngineOutput.empty(n_paths, len(book))
        shortfall = np.zeros((groups, len(book)))
        gas_native = self.setup.liquidators.gas_native(prices.shape[1])
        schedule = self.setup.schedule_arrays(prices.shape[1])
        if self.use_numba:
            score_fn, size_fn = self.policy.compiled()
            sorted_kernel, general_kernel = K.run_sorted, K.run_general
        else:
            score_fn, size_fn = self.policy.interpreted()
            sorted_kernel, general_kernel = _jit.python_function(K.run_sorted), _jit.python_function(K.run_general)
        a = self._arrays
        assert a is not None
        market_args = (
            a["kinds"],
            a["cparams"],
            a["depths"],
            a["sigma_step"],
            gas_native,
            a["cfg"],
            a["icfg"],
            score_fn,
            size_fn,
            self.policy.param_array(),
        )
        outputs = (
            out.bad_debt,
            out.insolvent,
            out.liquidations,
            out.volume,
            out.repaid,
            out.reached,
            out.slippage,
            shortfall,
        )
        if self.kind == "sorted":
            head = (
                prices,
                a["order"],
                a["liq_sorted"],
                a["ins_order"],
                a["ins_sorted"],
                a["aoff"],
                a["pos_asset"],
                a["c0"],
                a["d0"],
                a["lt"],
                a["lb"],
                a["lbmax"],
                *schedule,
            )
            kernel = sorted_kernel
        else:
            head = (prices, a["single"], a["primary"], a["c0"], a["d0"], a["lt"], a["lb"], a["lbmax"], *schedule)
            kernel = general_kernel

        def work(group: int) -> None:
            kernel(*head, *market_args, group, groups, *outputs)

        if groups == 1 or not self.use_numba:
            for group in range(groups):
                work(group)
        else:  # the compiled kernels release the GIL: one thread per group
            with ThreadPoolExecutor(max_workers=groups) as pool:
                list(pool.map(work, range(groups)))
        out.shortfall = shortfall.sum(axis=0)
        return out


def run_engine(
    setup: SimSetup,
    prices: np.ndarray,
    step: int,
    policy: str | LiquidationPolicy | None = None,
    *,
    engine: str = "fast",
    use_numba: bool | None = None,
) -> EngineOutput:
    """One-shot :class:`Engine` run (prepare, then simulate ``prices``)."""
    return Engine(setup, step, policy, engine=engine, use_numba=use_numba).run(prices)
