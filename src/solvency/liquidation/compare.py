"""Compare liquidation policies inside the same Monte Carlo scenarios (common random numbers).

Each scenario — a named historical stress (:mod:`solvency.sim.scenarios`) or a replay of a price file — is
simulated once per policy with the same seed, so every policy faces the same exogenous price shocks; paths
then differ only through what the policy does (its liquidations' price impact feeds back into the path).
The simulator's policies are those of :mod:`solvency.sim.policy` and :mod:`solvency.sim.queue_policies`;
its ``optimized`` is the per-step greedy approximation of the planner's schedule.

Metrics per scenario and policy (quote units): ``bad_debt_mean`` and ``bad_debt_es99`` (mean of the worst 1 %
of paths, :mod:`solvency.sim.metrics`) of the bad debt left at the end, and ``slippage_mean``, what the
liquidators' sales lost to slippage. The top-level ``policies`` are the scenarios' figures averaged with
equal weight per scenario (the scenario itself for one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, as_market_spec
from solvency.errors import SolvencyInputError
from solvency.liquidation.ranking import POLICY_NAMES
from solvency.sim.book import LoanBook
from solvency.sim.metrics import expected_shortfall
from solvency.sim.policy import LiquidationPolicy
from solvency.sim.results import StressResult
from solvency.sim.stress import simulate_lending

METRICS = ("bad_debt_mean", "bad_debt_es99", "slippage_mean")


@dataclass(frozen=True)
class Replay:
    """A price file to replay, with an optional gas file (wei per gas) and its column."""

    prices: str | Path | pd.DataFrame
    gas: str | Path | pd.Series | pd.DataFrame | None = None
    gas_column: str = "avgGasDay"
    intrabar: str = "close"

    @property
    def label(self) -> str:
        """``replay:FILE`` (``replay:FILE/ohlc`` with OHLC sub-steps), the scenario's name in results."""
        source = self.prices.attrs.get("source", "prices") if isinstance(self.prices, pd.DataFrame) else self.prices
        suffix = "" if self.intrabar == "close" else f"/{self.intrabar}"
        return f"replay:{Path(str(source)).name}{suffix}"


@dataclass
class PolicyComparison:
    """Per-scenario, per-policy outcomes.

    Attributes
    ----------
    results
        ``{scenario: {policy: StressResult}}``.
    paths, seed
        As simulated (replays run one path).
    """

    results: dict[str, dict[str, StressResult]]
    paths: int
    seed: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def _metrics(r: StressResult) -> dict[str, float]:
        o = r.output
        return {
            "bad_debt_mean": float(o.bad_debt.mean()),
            "bad_debt_es99": expected_shortfall(o.bad_debt, 0.99),
            "slippage_mean": float(np.mean(o.slippage)),
        }

    def table(self) -> pd.DataFrame:
        """One row per scenario and policy with the three metrics and the repaid debt."""
        rows = []
        for scen, per_policy in self.results.items():
            for name, r in per_policy.items():
                rows.append(
                    {"scenario": scen, "policy": name, **self._metrics(r), "repaid_mean": float(r.output.repaid.mean())}
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency liquidate --compare-policies --json`` object."""
        per_scenario = {
            scen: {"policies": {name: self._metrics(r) for name, r in per_policy.items()}}
            for scen, per_policy in self.results.items()
        }
        names = list(next(iter(self.results.values())))
        pooled = {
            name: {m: float(np.mean([s["policies"][name][m] for s in per_scenario.values()])) for m in METRICS}
            for name in names
        }
        return {"policies": pooled, "scenarios": per_scenario, "paths": self.paths, "seed": self.seed}


def compare_policies(
    market: MarketSpec | str | Path | None = None,
    *,
    scenarios: Sequence[str] | None = None,
    replays: Sequence[Replay] = (),
    book: LoanBook | str | Path | None = None,
    policies: Sequence[str | LiquidationPolicy] = POLICY_NAMES,
    paths: int = 1000,
    seed: int | None = 0,
    horizon: str | int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PolicyComparison:
    """Simulate the market's book through each scenario once per policy, on common random numbers.

    Parameters
    ----------
    market
        Market spec or TOML path (default ``MarketSpec()``).
    scenarios
        Named scenarios (default: the spec's ``[risk] scenarios`` when no replay is given).
    replays
        Price files to replay (one path each), with their gas files.
    book
        Loan book (default: the spec's).
    policies
        Policies to compare (default all four): names, or :class:`~solvency.sim.policy.LiquidationPolicy` objects
        (ablations, custom rules).
    paths, seed, horizon
        Monte Carlo paths per scenario, seed (shared by every policy), horizon (default the scenario's).
    progress
        ``progress(label, done, total)`` after each chunk of paths; ``label`` is ``"scenario / policy"``.

    Examples
    --------
    >>> c = compare_policies(scenarios=["oct-2025"], paths=32, seed=1, horizon="6h")
    >>> sorted(c.to_dict()["policies"])
    ['health_first', 'largest_first', 'optimized', 'risk_weighted']
    """
    spec = as_market_spec(market)
    chosen = {}
    for p in policies:
        pol = p if isinstance(p, LiquidationPolicy) else str(p).strip().lower().replace("-", "_")
        if isinstance(pol, str) and pol not in POLICY_NAMES:
            raise SolvencyInputError(f"unknown policy {p!r}", hint=f"choose from: {', '.join(POLICY_NAMES)}")
        chosen[pol.name if isinstance(pol, LiquidationPolicy) else pol] = pol
    if not chosen:
        raise SolvencyInputError("give at least one policy to compare")
    if scenarios is None:
        scenarios = [] if replays else list(spec.risk.scenarios)
    if not scenarios and not replays:
        raise SolvencyInputError("nothing to compare on", hint="give --scenario NAME or --replay FILE")
    results: dict[str, dict[str, StressResult]] = {}
    runs: list[tuple[str, dict[str, Any]]] = [(s, {"scenario": s}) for s in scenarios]
    for rep in replays:
        frame = rep.prices
        if not isinstance(frame, pd.DataFrame):
            from solvency.data.resolve import prices_or_sample

            frame = prices_or_sample(frame)
            frame.attrs["source"] = str(rep.prices)
        runs.append(
            (rep.label, {"prices": frame, "gas": rep.gas, "gas_column": rep.gas_column, "intrabar": rep.intrabar})
        )
    for label, kwargs in runs:
        if label in results:
            raise SolvencyInputError(f"scenario {label!r} given twice")
        results[label] = {}
        for name, pol in chosen.items():

            def tick(done: int, total: int, _tag: str = f"{label} / {name}") -> None:
                if progress is not None:
                    progress(_tag, done, total)

            results[label][name] = simulate_lending(
                spec, book=book, paths=paths, seed=seed, horizon=horizon, policy=pol, progress=tick, **kwargs
            )
    return PolicyComparison(results=results, paths=paths, seed=seed)
