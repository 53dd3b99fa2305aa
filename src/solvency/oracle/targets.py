"""Target models: the asset's state → the parameters the controller steers toward.

A target model is anything with ``targets(state) -> {parameter: value}`` (:class:`TargetModel`). Its output is
only a wish: the guardrails (:mod:`solvency.oracle.guardrails`) decide what is published. Two models ship:

* :class:`TableTargets` — a precomputed table ``(regime, σ) → parameters``, interpolated linearly in σ within a
  regime and held flat beyond its ends. This is the interface the lending calibrator plugs into: it writes the
  table (CSV columns ``regime, sigma, ltv, liquidation_threshold, …``) offline, the oracle reads it.
* :class:`InterimTargets` — **a placeholder until the calibrator's table exists**, a closed-form rule that only
  encodes the direction and rough size of the response to volatility:

  - move over the liquidation horizon ``h``: ``m = z · σ · sqrt(h / year) · regime_multiplier[regime]``;
  - liquidation bonus: ``LB = LB₀ · bonus_multiplier[regime]`` (liquidations must stay profitable in stress);
  - liquidation threshold: the largest LT for which a position liquidated at HF = 1 still covers debt plus bonus
    after the move, ``LT·(1+LB) = exp(−m)``, so ``LT = exp(−m) / (1 + LB)``;
  - loan-to-value: ``LTV = LT · exp(−buffer_z · σ · sqrt(buffer_horizon / year))``, the move a borrower must
    survive before acting;
  - caps: ``cap = cap₀ · cap_multiplier[regime] · min(1, σ_ref / σ)``.

  ``LB₀`` and ``cap₀`` are the market's configured parameters. At σ = 0.8 in a normal regime the defaults give
  LT ≈ 0.830 and LTV ≈ 0.804, Aave v3's WETH 0.83 / 0.805; at σ = 2 in crisis LT ≈ 0.56.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from solvency.errors import ConfigError
from solvency.oracle.config import CAP_PARAMS, PARAMETERS, REGIMES, InterimModelSpec, TableModelSpec, seconds
from solvency.oracle.state import MarketState
from solvency.units import SECONDS_PER_YEAR


@runtime_checkable
class TargetModel(Protocol):
    """Maps the state of a market's asset to target parameters (fractions; caps in their units)."""

    def targets(self, state: MarketState) -> dict[str, float]:
        """Targets for some or all of the market's parameters (a missing key means: no opinion)."""
        ...


class InterimTargets:
    """The interim closed-form mapping (see the module docstring); to be replaced by :class:`TableTargets`.

    Parameters
    ----------
    spec
        The model's knobs.
    base
        The market's configured parameters (``liquidation_bonus`` and the caps are scaled from them).

    Examples
    --------
    >>> from solvency.oracle.config import InterimModelSpec
    >>> m = InterimTargets(InterimModelSpec(), {"ltv": 0.805, "liquidation_threshold": 0.83, "liquidation_bonus": 0.05})
    >>> s = MarketState(time=0, price=1, sigma=0.8, sigma_short=0.8, sigma_long=0.8, drawdown=0, regime="normal")
    >>> {k: round(v, 3) for k, v in m.targets(s).items()}
    {'liquidation_bonus': 0.05, 'liquidation_threshold': 0.83, 'ltv': 0.804}
    """

    def __init__(self, spec: InterimModelSpec, base: Mapping[str, float]) -> None:
        self.spec = spec
        self.base = dict(base)
        self.root_h = math.sqrt(seconds(spec.horizon) / SECONDS_PER_YEAR)
        self.root_b = math.sqrt(seconds(spec.buffer_horizon) / SECONDS_PER_YEAR)

    def targets(self, state: MarketState) -> dict[str, float]:
        spec, sigma, regime = self.spec, state.sigma, state.regime
        move = spec.z * sigma * self.root_h * spec.regime_multiplier[regime]
        bonus = self.base["liquidation_bonus"] * spec.bonus_multiplier[regime]
        lt = math.exp(-move) / (1.0 + bonus)
        out = {
            "liquidation_bonus": bonus,
            "liquidation_threshold": lt,
            "ltv": lt * math.exp(-spec.buffer_z * sigma * self.root_b),
        }
        shrink = spec.cap_multiplier[regime] * min(1.0, spec.sigma_ref / sigma)
        for cap in CAP_PARAMS:
            if cap in self.base:
                out[cap] = self.base[cap] * shrink
        return out


class TableTargets:
    """Targets read from a precomputed table ``(regime, σ) → parameters`` (the calibrator's output).

    Parameters
    ----------
    rows
        Each row has ``regime`` (one of :data:`REGIMES`), ``sigma`` (annualised) and values for the same set of
        parameters. Every regime must appear; within a regime σ values must be distinct.

    Examples
    --------
    >>> t = TableTargets([
    ...     {"regime": r, "sigma": s, "ltv": l, "liquidation_threshold": l + 0.03}
    ...     for r in REGIMES for s, l in [(0.5, 0.82), (1.5, 0.62)]
    ... ])
    >>> s = MarketState(time=0, price=1, sigma=1.0, sigma_short=1, sigma_long=1, drawdown=0, regime="stressed")
    >>> {k: round(v, 3) for k, v in t.targets(s).items()}
    {'ltv': 0.72, 'liquidation_threshold': 0.75}
    """

    def __init__(self, rows: list[Mapping[str, object]], *, source: str = "<table>") -> None:
        if not rows:
            raise ConfigError("target table is empty", path=source)
        params = [k for k in rows[0] if k not in ("regime", "sigma")]
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown or not params:
            raise ConfigError(
                f"target table columns {unknown or params} are not parameters {list(PARAMETERS)}", path=source
            )
        self.params = params
        self.grid: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        for regime in REGIMES:
            sub = [r for r in rows if r.get("regime") == regime]
            if not sub:
                raise ConfigError(f"target table has no rows for regime {regime!r}", path=source)
            try:
                sig = np.array([float(r["sigma"]) for r in sub])
                vals = {p: np.array([float(r[p]) for r in sub]) for p in params}
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"target table row for regime {regime!r} is incomplete: {exc}", path=source) from None
            order = np.argsort(sig)
            sig = sig[order]
            if np.any(np.diff(sig) <= 0) or not np.all(np.isfinite(sig)) or np.any(sig <= 0):
                raise ConfigError(f"target table sigmas for {regime!r} must be positive and distinct", path=source)
            for p, v in vals.items():
                if not np.all(np.isfinite(v)) or np.any(v <= 0):
                    raise ConfigError(f"target table {p} values for {regime!r} must be positive", path=source)
            self.grid[regime] = (sig, {p: v[order] for p, v in vals.items()})

    def targets(self, state: MarketState) -> dict[str, float]:
        sig, vals = self.grid[state.regime]
        return {p: float(np.interp(state.sigma, sig, v)) for p, v in vals.items()}

    @classmethod
    def from_file(cls, path: str | Path) -> TableTargets:
        """Read a CSV (header ``regime,sigma,<params>``) or JSON (list of row objects) table."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError("target table file not found", path=path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            try:
                rows = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"invalid JSON: {exc}", path=path) from None
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise ConfigError("a JSON target table is a list of row objects", path=path)
        else:
            rows = list(csv.DictReader(text.splitlines()))
        return cls(rows, source=str(path))


def build_target_model(spec: InterimModelSpec | TableModelSpec, base: Mapping[str, float]) -> TargetModel:
    """The target model a market's ``model`` section describes."""
    if isinstance(spec, TableModelSpec):
        return TableTargets.from_file(spec.file)
    return InterimTargets(spec, base)
