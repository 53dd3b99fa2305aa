"""What a simulation returns: per-path outcomes (:class:`EngineOutput`) and the stress result with its metrics
(:class:`StressResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solvency.sim.metrics import BadDebtMetrics, LiquidationMetrics, bad_debt_metrics, liquidation_metrics
from solvency.units import format_duration


@dataclass
class EngineOutput:
    """Per-path outcomes of one engine run, and per-position bad debt summed over paths.

    Attributes
    ----------
    bad_debt
        Net insolvent debt at the end of each path, quote units ``(n_paths,)``.
    insolvent
        Positions with bad debt at the end of each path.
    liquidations
        Liquidation transactions per path.
    volume
        Collateral seized per path, valued at the oracle price (= repaid × (1 + LB)), quote units.
    repaid
        Debt repaid by liquidators per path.
    reached
        Positions that were eligible for liquidation at least once, per path.
    shortfall
        Bad debt of each position summed over the paths ``(n_positions,)``.
    """

    bad_debt: np.ndarray
    insolvent: np.ndarray
    liquidations: np.ndarray
    volume: np.ndarray
    repaid: np.ndarray
    reached: np.ndarray
    shortfall: np.ndarray
    slippage: np.ndarray | None = None
    """Quote lost to slippage selling the seized collateral, per path (``G(S+Q) − G(S)`` summed over sales)."""

    def __post_init__(self) -> None:
        if self.slippage is None:
            self.slippage = np.zeros(self.bad_debt.size)

    @classmethod
    def empty(cls, n_paths: int, n_positions: int) -> EngineOutput:
        return cls(
            bad_debt=np.zeros(n_paths),
            insolvent=np.zeros(n_paths, dtype=np.int64),
            liquidations=np.zeros(n_paths, dtype=np.int64),
            volume=np.zeros(n_paths),
            repaid=np.zeros(n_paths),
            reached=np.zeros(n_paths, dtype=np.int64),
            shortfall=np.zeros(n_positions),
            slippage=np.zeros(n_paths),
        )

    @property
    def n_paths(self) -> int:
        return self.bad_debt.size

    @classmethod
    def concat(cls, parts: list[EngineOutput]) -> EngineOutput:
        """Join the outputs of consecutive path blocks (shortfalls add up)."""
        return cls(
            bad_debt=np.concatenate([p.bad_debt for p in parts]),
            insolvent=np.concatenate([p.insolvent for p in parts]),
            liquidations=np.concatenate([p.liquidations for p in parts]),
            volume=np.concatenate([p.volume for p in parts]),
            repaid=np.concatenate([p.repaid for p in parts]),
            reached=np.concatenate([p.reached for p in parts]),
            shortfall=np.sum([p.shortfall for p in parts], axis=0),
            slippage=np.concatenate([p.slippage for p in parts]),
        )

    def per_path(self) -> pd.DataFrame:
        """The per-path arrays as a frame."""
        return pd.DataFrame(
            {
                "bad_debt": self.bad_debt,
                "insolvent": self.insolvent,
                "liquidations": self.liquidations,
                "volume": self.volume,
                "repaid": self.repaid,
                "reached": self.reached,
                "slippage": self.slippage,
            }
        )


@dataclass
class StressResult:
    """The outcome of :func:`solvency.sim.stress.simulate_lending`.

    Attributes
    ----------
    scenario
        Scenario name (``"replay:FILE"`` for a price file, the model name for model paths).
    paths, horizon, step
        Paths simulated, horizon and step in seconds.
    debt_total
        Debt of the book at the start, quote units.
    output
        Per-path outcomes.
    worst
        The positions with the most bad debt on average over paths (id, asset, debt, mean bad debt, share of
        paths insolvent is not tracked per position, so mean only).
    runtime_s
        Wall time of the simulation.
    details
        Engine, policy, model, market and the conditions applied (JSON-ready).
    """

    scenario: str
    paths: int
    horizon: int
    step: int
    debt_total: float
    output: EngineOutput
    worst: pd.DataFrame
    runtime_s: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def bad_debt(self) -> BadDebtMetrics:
        return bad_debt_metrics(self.output.bad_debt)

    @property
    def liquidations(self) -> LiquidationMetrics:
        return liquidation_metrics(self.output.liquidations, self.output.volume)

    @property
    def insolvent_positions_mean(self) -> float:
        return float(self.output.insolvent.mean())

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency stress --json`` object (exactly the keys of the command's contract)."""
        return {
            "scenario": self.scenario,
            "paths": self.paths,
            "horizon": format_duration(self.horizon),
            "debt_total": self.debt_total,
            "bad_debt": self.bad_debt.to_dict(),
            "liquidations": self.liquidations.to_dict(),
            "insolvent_positions_mean": self.insolvent_positions_mean,
            "runtime_s": self.runtime_s,
        }

    def summary(self) -> str:
        """A few lines for humans."""
        b, liq = self.bad_debt, self.liquidations
        share = b.mean / self.debt_total if self.debt_total else float("nan")
        lines = [
            f"scenario {self.scenario}: {self.paths:,} paths over {format_duration(self.horizon)} "
            f"in steps of {format_duration(self.step)}, debt {self.debt_total:,.0f}",
            f"bad debt: mean {b.mean:,.0f} ({share:.4%} of debt), VaR95 {b.var95:,.0f}, ES99 {b.es99:,.0f}, "
            f"P(any) {b.prob:.2%}, max {b.max:,.0f}",
            f"liquidations: {liq.count_mean:,.1f} per path, volume {liq.volume_mean:,.0f}, LaR95 {liq.lar95:,.0f}",
            f"insolvent positions: {self.insolvent_positions_mean:,.2f} per path; runtime {self.runtime_s:.2f} s",
        ]
        return "\n".join(lines)
