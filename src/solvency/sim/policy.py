"""Liquidation policies: which eligible position liquidators take first when their capacity binds, and how much.

This is the extension point the liquidation-queue work plugs into; both engines call it the same way.

At every step the engines collect the positions that are eligible (HF < 1 throughout the liquidators'
latency window), then in each round (at most ``per_step`` rounds per step) they

1. evaluate ``score`` for every eligible position and liquidate in **descending score** order (ties: lower
   position index first), until the step's capacity is used up;
2. for each position call ``size`` to choose the debt to repay, which the engine then caps by the close
   factor (Aave v3.3 rules), the remaining capacity and the position's collateral.

A policy is two plain Python functions over scalars and two float64 arrays, written in the subset numba
compiles (arithmetic, ``math``, comparisons; no Python objects). The fast engine compiles them with
:func:`solvency._jit.compile_function`; the reference engine calls them interpreted. Signatures::

    score(coll_value, adj_value, debt, bonus, market_value, ctx, params) -> float
    size(coll_value, adj_value, debt, bonus, market_value, max_repay, ctx, params) -> float

Arguments (quote units): ``coll_value`` = Σ collateral × oracle price; ``adj_value`` = Σ collateral × oracle
price × LT (so HF = adj_value / debt); ``debt``; ``bonus`` = LB of the collateral that would be seized;
``market_value`` = Σ collateral × current market price (after this step's price impact); ``max_repay`` = the
close-factor limit; ``params`` = the policy's own parameters. ``ctx`` holds the step's context, indexed by the
``CTX_*`` constants below:

=====================  ============================================================================
``CTX_STEP``           step index t (0 = start)
``CTX_DT``             seconds per step
``CTX_SIGMA``          per-step log volatility of the seized asset's price model (σ·√dt)
``CTX_CAPACITY``       liquidators' repay capacity per step (quote)
``CTX_CAPACITY_LEFT``  capacity still unused in this step when the round started
``CTX_GAS``            gas cost of one liquidation (quote)
``CTX_N_ELIGIBLE``     number of positions offered in this round (eligible, and not hopeless, see
                       :mod:`solvency.sim.mechanics`)
``CTX_ELIGIBLE_DEBT``  their total debt (quote; summed in whole cents, so exact in any order)
``CTX_DEPTH``          depth multiplier of the seized asset's slippage curve
``CTX_SOLD``           quote value sold into that curve and not yet recovered (the impact state)
``CTX_ORACLE``         oracle price of the seized asset
``CTX_MARKET``         market price of the seized asset (after impact)
``CTX_ASSET``          index of the seized asset in the book's assets (policies with per-asset parameters)
=====================  ============================================================================

Example — a policy that liquidates the positions closest to insolvency first (a ``risk_weighted`` policy
would rather use ``ctx[CTX_SIGMA]`` and the queue ahead)::

    def closest_to_insolvency(coll_value, adj_value, debt, bonus, market_value, ctx, params):
        return debt / max(market_value, 1e-12)

    policy = LiquidationPolicy("closest_to_insolvency", closest_to_insolvency)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvency._jit import compile_function, python_function
from solvency.errors import SolvencyInputError

CTX_STEP = 0
CTX_DT = 1
CTX_SIGMA = 2
CTX_CAPACITY = 3
CTX_CAPACITY_LEFT = 4
CTX_GAS = 5
CTX_N_ELIGIBLE = 6
CTX_ELIGIBLE_DEBT = 7
CTX_DEPTH = 8
CTX_SOLD = 9
CTX_ORACLE = 10
CTX_MARKET = 11
CTX_ASSET = 12
CTX_SIZE = 16
"""Length of the context array (spare slots for later use)."""


def full_close_factor(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    max_repay: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """Default sizing: repay as much as the close factor allows (what a profit-maximising liquidator does)."""
    return max_repay


def lowest_health_factor(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """``health_first``: the lowest health factor first (score = −HF)."""
    return -adj_value / debt


def largest_debt(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """``largest_first``: the largest debt first (the most bonus per transaction)."""
    return debt


@dataclass(frozen=True)
class LiquidationPolicy:
    """A liquidation priority (``score``) and sizing (``size``) rule; see the module docstring.

    Attributes
    ----------
    name
        Identifier used in results and on the command line.
    score
        Priority function; higher is liquidated first.
    size
        Repay-size function (default: the whole close-factor amount).
    params
        Parameters passed to both functions as a float64 array.
    description
        One line for reports.
    for_setup
        Optional ``for_setup(policy, setup) -> policy``: the policy bound to a market (its curves, close-factor
        rule) through ``params``; the engine calls it once when it is prepared.
    """

    name: str
    score: Callable[..., float]
    size: Callable[..., float] = full_close_factor
    params: tuple[float, ...] = ()
    description: str = ""
    for_setup: Callable[..., LiquidationPolicy] | None = field(default=None, repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def param_array(self) -> np.ndarray:
        """``params`` as the float64 array the functions receive (length ≥ 1)."""
        return np.array(self.params if self.params else (0.0,), dtype="float64")

    def compiled(self) -> tuple[Any, Any]:
        """``(score, size)`` as numba ``cfunc`` objects for the fast engine (interpreted when numba is off).

        solvency's own functions are cached on disk; others compile once per session (about a second).
        """
        if "compiled" not in self._cache:
            try:
                self._cache["compiled"] = (
                    compile_function(self.score, score_signature, cache=_cacheable(self.score)),
                    compile_function(self.size, size_signature, cache=_cacheable(self.size)),
                )
            except Exception as exc:  # numba raises its own error types, with pages of context
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SolvencyInputError(
                    f"policy {self.name!r}: numba cannot compile its score/size function ({first})",
                    hint="use the documented signature (no *args), scalar arithmetic and math only; "
                    "or run it with engine='reference'",
                ) from exc
        return self._cache["compiled"]

    def interpreted(self) -> tuple[Callable[..., float], Callable[..., float]]:
        """``(score, size)`` as plain Python (for the reference engine)."""
        return python_function(self.score), python_function(self.size)


def score_signature() -> Any:
    """numba signature of a policy's ``score``."""
    from numba import types

    f, arr = types.float64, types.float64[::1]
    return f(f, f, f, f, f, arr, arr)


def size_signature() -> Any:
    """numba signature of a policy's ``size``."""
    from numba import types

    f, arr = types.float64, types.float64[::1]
    return f(f, f, f, f, f, f, arr, arr)


def _cacheable(fn: Callable[..., Any]) -> bool:
    """Only solvency's own policy functions are cached on disk. A user's function is compiled each session: a
    numba cache entry records the importing module's name, and loading it under another name (a notebook, a
    script run two ways) fails."""
    return str(getattr(fn, "__module__", "")).startswith("solvency.")


HEALTH_FIRST = LiquidationPolicy(
    "health_first", lowest_health_factor, description="lowest health factor first (the default)"
)
LARGEST_FIRST = LiquidationPolicy("largest_first", largest_debt, description="largest debt first")

POLICIES: dict[str, LiquidationPolicy] = {p.name: p for p in (HEALTH_FIRST, LARGEST_FIRST)}
"""Registered policies by name (see :func:`register_policy`)."""


def register_policy(policy: LiquidationPolicy) -> LiquidationPolicy:
    """Make a policy available by name (to ``simulate_lending(policy=...)`` and ``--policy``)."""
    if not policy.name or not policy.name.replace("_", "").isalnum():
        raise SolvencyInputError(f"policy name must be an identifier, got {policy.name!r}")
    POLICIES[policy.name] = policy
    return policy


def get_policy(policy: str | LiquidationPolicy | None) -> LiquidationPolicy:
    """A policy object from a name (None → ``health_first``)."""
    if policy is None:
        return HEALTH_FIRST
    if isinstance(policy, LiquidationPolicy):
        return policy
    key = str(policy).strip().lower().replace("-", "_")
    if key not in POLICIES:
        raise SolvencyInputError(f"unknown liquidation policy {policy!r}", hint=f"choose one of: {', '.join(POLICIES)}")
    return POLICIES[key]


# The risk-based policies (``risk_weighted``, ``optimized``) live in their own module, which registers them here;
# importing it last keeps them available by name wherever a policy is looked up.
from solvency.sim import queue_policies as _queue_policies  # noqa: E402, F401
