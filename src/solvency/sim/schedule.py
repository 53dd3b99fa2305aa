"""Time-varying risk parameters: a per-step liquidation threshold and bonus for one collateral asset.

A :class:`ParamSchedule` is what governance, a risk steward or the risk oracle (:mod:`solvency.oracle`) does to
a market during a run: at every path point ``t`` it gives the asset's liquidation threshold ``LT_t`` and bonus
``LB_t``. Like Aave's ``PoolConfigurator.setReserveConfiguration`` (a reserve's LT and LB live in the reserve,
not in the position), the values apply at once to **every position** holding the asset, replacing the book's
per-position LT/LB for that asset (e-mode categories, which Aave keeps apart, are not modelled). LTV only
gates new borrows, which the simulator does not model, so a schedule carries no LTV.

How a step uses it (the rest of the step is :mod:`solvency.sim.mechanics`):

* **Eligibility.** A position must have had HF < 1 at every step ``s`` of the liquidators' latency window, each
  step with *its own* oracle price and threshold: for a single-collateral position
  ``debt/c > max_s(oracle_s·LT_s)``, written ``debt/(c·LT_t) > max_s(oracle_s·LT_s/LT_t)`` (with a constant LT
  exactly the unscheduled rule). A cut of LT therefore makes a position liquidatable only once it has stayed
  under the new threshold for the whole window, as if liquidators had to notice it — no instant liquidations
  backdated to before the change.
* **Liquidation.** Health factor (hence the close factor), the policy's view and the bonus paid are those of
  step ``t``.

Both engines (:mod:`~solvency.sim.reference`, :mod:`~solvency.sim.kernels`) implement it; a constant schedule
equal to the book's parameters gives the same numbers, bit for bit, as no schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from solvency.errors import SolvencyInputError

ScheduleArrays = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(scheduled (A,) bool, lt (n_points, A), lb (n_points, A))`` as the engines take them."""


@dataclass(frozen=True)
class ParamSchedule:
    """Liquidation threshold and bonus of ``asset`` at every path point.

    Parameters
    ----------
    asset
        The collateral asset (a name in the book's ``assets``).
    lt, lb
        Fractions: a number (constant) or one value per path point ``(n_points,)`` (longer series are cut to
        the path; shorter ones are an error). None keeps the book's value, which must then be the same for
        every position holding the asset.

    Examples
    --------
    >>> s = ParamSchedule("WETH", lt=[0.83, 0.83, 0.82], lb=0.05)
    >>> s.series(3)[0].tolist()
    [0.83, 0.83, 0.82]
    """

    asset: str
    lt: float | np.ndarray | list[float] | None = None
    lb: float | np.ndarray | list[float] | None = None

    def __post_init__(self) -> None:
        for name, lo_open, value in (("lt", True, self.lt), ("lb", False, self.lb)):
            if value is None:
                continue
            arr = np.asarray(value, dtype="float64")
            if arr.ndim > 1 or arr.size == 0:
                raise SolvencyInputError(f"schedule {name} must be a number or a 1-d series, got shape {arr.shape}")
            low_bad = (arr <= 0) if lo_open else (arr < 0)
            if not np.all(np.isfinite(arr)) or np.any(low_bad | (arr >= 1)):
                k = int(np.flatnonzero(~np.isfinite(arr) | low_bad | (arr >= 1))[0])
                interval = "(0, 1)" if lo_open else "[0, 1)"
                raise SolvencyInputError(
                    f"schedule {name} must be in {interval}; point {k} is {arr.reshape(-1)[k]!r}",
                    hint="give fractions (0.83, not 83)",
                )
            object.__setattr__(self, name, arr.copy() if arr.ndim else float(arr))

    def series(
        self, n_points: int, *, book_lt: float | None = None, book_lb: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(lt, lb)`` at each of ``n_points`` path points; ``book_lt``/``book_lb`` fill a None."""
        out = []
        for name, value, fallback in (("lt", self.lt, book_lt), ("lb", self.lb, book_lb)):
            if value is None:
                if fallback is None:
                    raise SolvencyInputError(f"schedule for {self.asset} has no {name} and no book value to keep")
                value = fallback
            arr = np.asarray(value, dtype="float64")
            if arr.ndim == 0:
                arr = np.full(n_points, float(arr))
            elif arr.size < n_points:
                raise SolvencyInputError(
                    f"schedule {name} for {self.asset} has {arr.size} points, the path {n_points}",
                    hint="give one value per path point (steps + 1)",
                )
            out.append(np.ascontiguousarray(arr[:n_points]))
        return out[0], out[1]

    def describe(self, n_points: int | None = None) -> dict[str, Any]:
        """Start, end, min and max of each parameter (a number stays a number)."""
        out: dict[str, Any] = {"asset": self.asset}
        for name in ("lt", "lb"):
            value = getattr(self, name)
            if value is None:
                out[name] = None
                continue
            arr = np.atleast_1d(np.asarray(value, dtype="float64"))
            if n_points is not None and arr.size > 1:
                arr = arr[:n_points]
            out[name] = {
                "start": float(arr[0]),
                "end": float(arr[-1]),
                "min": float(arr.min()),
                "max": float(arr.max()),
                "changes": int(np.count_nonzero(np.diff(arr))),
            }
        return out


def book_value(values: np.ndarray, held: np.ndarray, *, asset: str, name: str) -> float | None:
    """The one value ``values`` takes over the positions ``held`` (None when no position holds the asset).

    Raises
    ------
    SolvencyInputError
        The positions disagree — a schedule that keeps the book's value needs a single one.
    """
    v = values[held]
    if v.size == 0:
        return None
    if np.any(v != v[0]):
        raise SolvencyInputError(
            f"the book's {name} for {asset} differs between positions ({v.min():g} to {v.max():g})",
            hint=f"give the schedule's {name} explicitly",
        )
    return float(v[0])
