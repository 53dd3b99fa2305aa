"""The risk oracle's target table: σ grid × regime → LTV, LT, LB, precomputed by the lending calibrator.

The oracle (:class:`solvency.oracle.targets.TableTargets`) reads a CSV with columns
``regime, sigma, ltv, liquidation_threshold, liquidation_bonus`` and interpolates linearly in σ within a regime.
Each regime is the market with its depth multiplied by ``[calibration] regime_depth[regime]`` (liquidity
evaporates in stress: 1, 1, 0.75, 0.5 by default, the interim model's cap multipliers); its rows are the LT
frontier ``LT*(σ)`` on the calibrator's σ grid read off the LT surface at that depth
(:mod:`~solvency.calibrate.ladder`) with the bonus that depth needs, and the LTV buffer at each σ. The surface
never lets LT fall with depth, so a more severe regime never gets a higher LT (nor a lower bonus: the bonus falls
with depth), and the ``normal`` regime's row at the market's σ is what ``solvency calibrate lending`` recommends.

Produce it with ``solvency calibrate lending --market M.toml --table OUT.csv`` (or :func:`target_table` and
:meth:`TargetTable.write`).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solvency.calibrate.buffer import ltv_buffer
from solvency.calibrate.frontier import Frontier
from solvency.calibrate.setup import CalibrationSetup
from solvency.errors import SolvencyInputError
from solvency.units import parse_duration

REGIMES: tuple[str, ...] = ("calm", "normal", "stressed", "crisis")
COLUMNS: tuple[str, ...] = ("regime", "sigma", "ltv", "liquidation_threshold", "liquidation_bonus")


@dataclass
class TargetTable:
    """Rows of the oracle's table and the frontiers behind them (one per distinct depth)."""

    rows: list[dict[str, Any]]
    frontiers: dict[float, Frontier] = field(default_factory=dict)

    def write(self, path: str | Path) -> Path:
        """Write the table: JSON (a list of rows) for a ``.json`` path, else CSV with :data:`COLUMNS`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.rows, indent=1) + "\n", encoding="utf-8")
            return path
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: (f"{row[k]:.6f}" if isinstance(row[k], float) else row[k]) for k in COLUMNS})
        return path


def target_table(
    setup: CalibrationSetup,
    *,
    sigmas: Sequence[float] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TargetTable:
    """Compute the table (see the module docstring) on ``sigmas`` (default: the whole σ grid)."""
    cal = setup.spec.calibration
    depth = cal.regime_depth
    levels = [depth[r] for r in REGIMES]
    if any(b > a for a, b in itertools.pairwise(levels)):
        raise SolvencyInputError(
            f"regime_depth must not rise with severity (calm ≥ normal ≥ stressed ≥ crisis), got {depth}"
        )
    nodes = setup.sigmas() if sigmas is None else list(sigmas)
    horizon = parse_duration(cal.ltv_horizon)
    tick = None if progress is None else (lambda d, t: progress("LT surface", d, t))
    ladder = setup.ladder(nodes, lowest=setup.market_depth * min(levels), progress=tick)
    frontiers: dict[float, Frontier] = {}
    rows: list[dict[str, Any]] = []
    for regime in REGIMES:
        m = depth[regime]
        if m not in frontiers:
            frontiers[m] = setup.read(ladder, m)
        fr = frontiers[m]
        for s, lt in zip(fr.sigmas, fr.lts, strict=True):
            buf = ltv_buffer(float(lt), float(s), horizon=horizon, coverage=cal.ltv_coverage, tail_df=cal.tail_df)
            rows.append(
                {
                    "regime": regime,
                    "sigma": float(s),
                    "ltv": min(buf.ltv, float(lt) - cal.ltv_gap),
                    "liquidation_threshold": float(lt),
                    "liquidation_bonus": fr.lb,
                }
            )
    return TargetTable(rows, frontiers)
