"""Loan books as a struct of arrays: who borrowed how much against what.

A :class:`LoanBook` holds ``N`` positions over ``A`` collateral assets, all borrowing one debt asset (the
market's quote, priced at 1):

* ``collateral`` ``(N, A)`` — amounts of each collateral asset (asset units);
* ``debt`` ``(N,)`` — debt, quote units;
* ``lt``, ``lb`` ``(N, A)`` — liquidation threshold and bonus that apply to each position's collateral in each
  asset (Aave sets them per asset; a CSV may override them per position);
* ``ids`` — position identifiers.

Health factor at prices ``p`` (``A``,): ``HF = Σ_a c_a p_a LT_a / debt``; a position is liquidatable when
``HF < 1``. A *single-collateral* position has exactly one asset with a positive amount; its liquidation
price is ``debt / (c · LT)`` and its insolvency price ``debt / c``.

:func:`synthetic_book` generates a documented, realistic book; :func:`load_book` reads a CSV.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError


class BookFormatError(SolvencyInputError):
    """A loan-book file cannot be used (named by file and row)."""


@dataclass
class LoanBook:
    """Positions over collateral assets against one debt asset (see the module docstring)."""

    assets: tuple[str, ...]
    collateral: np.ndarray
    debt: np.ndarray
    lt: np.ndarray
    lb: np.ndarray
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    debt_asset: str = "USDC"

    def __post_init__(self) -> None:
        self.assets = tuple(str(a) for a in self.assets)
        n_assets = len(self.assets)
        self.collateral = np.ascontiguousarray(np.asarray(self.collateral, dtype="float64").reshape(-1, n_assets))
        n = self.collateral.shape[0]
        self.debt = np.ascontiguousarray(np.asarray(self.debt, dtype="float64").reshape(n))
        self.lt = np.ascontiguousarray(np.broadcast_to(np.asarray(self.lt, dtype="float64"), (n, n_assets)))
        self.lb = np.ascontiguousarray(np.broadcast_to(np.asarray(self.lb, dtype="float64"), (n, n_assets)))
        if self.ids is None or len(self.ids) == 0:
            self.ids = np.arange(n).astype(str).astype(object)
        self.ids = np.asarray(self.ids, dtype=object)
        if self.ids.shape != (n,):
            raise SolvencyInputError(f"ids must have one entry per position ({n}), got {self.ids.shape}")
        for name, arr in (("collateral", self.collateral), ("debt", self.debt)):
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise SolvencyInputError(f"{name} amounts must be finite and non-negative")
        if np.any((self.lt <= 0) | (self.lt >= 1)) or np.any((self.lb < 0) | (self.lb >= 1)):
            raise SolvencyInputError("lt must be in (0, 1) and lb in [0, 1)")

    # --------------------------------------------------------------------------------------------- views
    def __len__(self) -> int:
        return self.debt.size

    @property
    def n_assets(self) -> int:
        return len(self.assets)

    @property
    def debt_total(self) -> float:
        """Total debt, quote units."""
        return float(self.debt.sum())

    @property
    def n_collateral(self) -> np.ndarray:
        """Number of collateral assets with a positive amount, per position."""
        return (self.collateral > 0).sum(axis=1)

    @property
    def is_single_collateral(self) -> bool:
        """Whether every position holds at most one collateral asset (the fast sorted engine applies)."""
        return bool(np.all(self.n_collateral <= 1))

    @property
    def primary_asset(self) -> np.ndarray:
        """Index of each position's largest-amount collateral asset (its only one when single-collateral)."""
        return np.argmax(self.collateral, axis=1)

    def collateral_value(self, prices: Sequence[float] | np.ndarray) -> np.ndarray:
        """Collateral value per position at ``prices`` (quote units)."""
        return self.collateral @ np.asarray(prices, dtype="float64")

    def health_factor(self, prices: Sequence[float] | np.ndarray) -> np.ndarray:
        """``Σ c·p·LT / debt`` per position (inf where there is no debt)."""
        adj = (self.collateral * self.lt) @ np.asarray(prices, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.debt > 0, adj / np.where(self.debt > 0, self.debt, 1.0), np.inf)

    def liquidation_price(self) -> np.ndarray:
        """Price of each single-collateral position's asset at which HF = 1 (NaN for multi-collateral)."""
        a = self.primary_asset
        rows = np.arange(len(self))
        c, lt = self.collateral[rows, a], self.lt[rows, a]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(c > 0, self.debt / (c * lt), np.inf)
        out[self.n_collateral > 1] = np.nan
        return out

    def subset(self, index: np.ndarray | Sequence[int] | slice) -> LoanBook:
        """The positions at ``index`` as a new book."""
        return LoanBook(
            self.assets,
            self.collateral[index],
            self.debt[index],
            self.lt[index],
            self.lb[index],
            self.ids[index],
            self.debt_asset,
        )

    def with_params(self, *, lt: float | None = None, lb: float | None = None) -> LoanBook:
        """A copy with every position's LT and/or LB replaced (same amounts) — for parameter sweeps."""
        return LoanBook(
            self.assets,
            self.collateral.copy(),
            self.debt.copy(),
            self.lt if lt is None else np.full_like(self.lt, lt),
            self.lb if lb is None else np.full_like(self.lb, lb),
            self.ids.copy(),
            self.debt_asset,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per position and collateral asset held (the CSV layout of :func:`load_book`)."""
        rows = []
        for i in range(len(self)):
            held = np.flatnonzero(self.collateral[i] > 0)
            for a in held if held.size else [int(self.primary_asset[i])]:
                rows.append(
                    {
                        "id": self.ids[i],
                        "collateral_asset": self.assets[a],
                        "collateral_amount": self.collateral[i, a],
                        "debt_asset": self.debt_asset,
                        "debt_amount": self.debt[i],
                        "lt": self.lt[i, a],
                        "lb": self.lb[i, a],
                    }
                )
        return pd.DataFrame(rows)

    def summary(self, prices: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Headline numbers at ``prices``: positions, debt, collateral, debt-weighted HF quantiles."""
        hf = self.health_factor(prices)
        finite = np.isfinite(hf)
        w = self.debt[finite]
        order = np.argsort(hf[finite])
        cum = np.cumsum(w[order]) / max(w.sum(), 1e-300)

        def q(p: float) -> float:
            return float(hf[finite][order][np.searchsorted(cum, p)]) if finite.any() else math.inf

        return {
            "positions": len(self),
            "debt_total": self.debt_total,
            "collateral_value": float(self.collateral_value(prices).sum()),
            "hf_p05": q(0.05),
            "hf_p50": q(0.5),
            "liquidatable_debt": float(self.debt[hf < 1].sum()),
        }


# ------------------------------------------------------------------------------------------- synthetic


def synthetic_book(
    *,
    assets: Sequence[str],
    prices: Sequence[float],
    lt: float | Sequence[float],
    lb: float | Sequence[float],
    positions: int = 5_000,
    debt_total: float = 1.0e9,
    whale_share: float = 0.2,
    hf_median: float = 1.5,
    hf_dispersion: float = 0.9,
    hf_min: float = 1.0,
    size_dispersion: float = 1.5,
    multi_collateral_share: float = 0.0,
    debt_asset: str = "USDC",
    seed: int | np.random.Generator = 7,
) -> LoanBook:
    """A realistic synthetic loan book.

    Generation, step by step (every number is a parameter):

    1. **Debt sizes.** Lognormal with log-sd ``size_dispersion`` (1.5 spreads sizes over ~3 orders of
       magnitude, as retail-to-fund books do). The largest 1 % of positions (at least one) are the **whales**;
       both groups are rescaled so the whales hold ``whale_share`` of ``debt_total`` and the rest the remainder.
    2. **Health factors.** ``HF = hf_min + X`` with ``ln X ~ N(ln(hf_median − hf_min), hf_dispersion²)``: most
       borrowers keep a cushion, a thin tail sits just above liquidation. With the defaults (1.0, 1.5, 0.9)
       about 3.7 % of positions have HF < 1.1, 15 % HF < 1.2 and half HF < 1.5. This is a deliberately
       stressed book (an assumption, not a measurement): when ether fell ~20 % on 10 Oct 2025 Aave liquidated a
       little over $180 M (Chaos Labs' report to Aave governance) out of tens of billions borrowed, so its real
       book was far more conservative. Fit ``hf_median`` and
       ``hf_dispersion`` to a real book (or load it with :func:`load_book`) for numbers about a real market.
       Whales take the same distribution.
    3. **Collateral.** Value ``HF × debt / LT`` at ``prices`` (the start of the simulation). A share
       ``multi_collateral_share`` of positions (needs ≥ 2 assets) splits it between its primary asset and one
       other, the primary's share uniform in [0.3, 0.9]; HF counts each asset with its own LT. Single-
       collateral positions are spread over the assets in proportion 1 : 1/2 : 1/3 … (the first asset, the
       market's, dominates).

    Parameters
    ----------
    assets, prices
        Collateral assets and their prices at the start (quote units).
    lt, lb
        Liquidation threshold and bonus, per asset or one for all.
    seed
        Seed or generator (the book is reproducible).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    assets = tuple(assets)
    n_assets = len(assets)
    p = np.broadcast_to(np.asarray(prices, dtype="float64"), (n_assets,))
    lt_a = np.broadcast_to(np.asarray(lt, dtype="float64"), (n_assets,))
    lb_a = np.broadcast_to(np.asarray(lb, dtype="float64"), (n_assets,))
    if positions <= 0 or not debt_total > 0:
        raise SolvencyInputError("a synthetic book needs positions > 0 and debt_total > 0")
    if not 0 <= whale_share < 1 or not 0 <= multi_collateral_share <= 1:
        raise SolvencyInputError("whale_share must be in [0, 1) and multi_collateral_share in [0, 1]")
    if not hf_median > hf_min > 0 or not hf_dispersion > 0:
        raise SolvencyInputError("need hf_median > hf_min > 0 and hf_dispersion > 0")
    if np.any(p <= 0):
        raise SolvencyInputError("start prices must be positive")

    size = rng.lognormal(0.0, size_dispersion, positions)
    n_whales = max(1, positions // 100) if positions > 1 else 0
    order = np.argsort(size)[::-1]
    whales = np.zeros(positions, dtype=bool)
    whales[order[:n_whales]] = True
    debt = np.empty(positions)
    if n_whales:
        debt[whales] = size[whales] / size[whales].sum() * whale_share * debt_total
        rest = ~whales
        if rest.any():
            debt[rest] = size[rest] / size[rest].sum() * (1 - whale_share) * debt_total
        else:
            debt[:] = debt_total / positions
    else:
        debt[:] = debt_total

    hf = hf_min + np.exp(rng.normal(math.log(hf_median - hf_min), hf_dispersion, positions))
    weights = 1.0 / np.arange(1, n_assets + 1)
    primary = rng.choice(n_assets, size=positions, p=weights / weights.sum())
    share = np.zeros((positions, n_assets))
    share[np.arange(positions), primary] = 1.0
    if n_assets > 1 and multi_collateral_share > 0:
        multi = rng.random(positions) < multi_collateral_share
        other = (primary + rng.integers(1, n_assets, positions)) % n_assets
        w = rng.uniform(0.3, 0.9, positions)
        idx = np.flatnonzero(multi)
        share[idx, primary[idx]] = w[idx]
        share[idx, other[idx]] = 1.0 - w[idx]
    # HF·debt = Σ_a value_a·LT_a with value_a = share_a·V  =>  V = HF·debt / Σ_a share_a·LT_a
    value = hf * debt / (share @ lt_a)
    collateral = share * value[:, None] / p[None, :]
    return LoanBook(
        assets,
        collateral,
        debt,
        np.broadcast_to(lt_a, (positions, n_assets)),
        np.broadcast_to(lb_a, (positions, n_assets)),
        np.array([f"pos{i:06d}" for i in range(positions)], dtype=object),
        debt_asset,
    )


# ------------------------------------------------------------------------------------------------- CSV

REQUIRED = ("id", "collateral_asset", "collateral_amount", "debt_asset", "debt_amount")
OPTIONAL = ("lt", "lb")


def load_book(
    path: str | Path,
    *,
    assets: Sequence[str],
    lt: float | Sequence[float],
    lb: float | Sequence[float],
    debt_asset: str = "USDC",
) -> LoanBook:
    """Read a loan book from CSV.

    Columns: ``id, collateral_asset, collateral_amount, debt_asset, debt_amount`` and optionally ``lt, lb``
    (fractions; default: the market's values for the asset). A position with several collateral assets has
    one row per asset with the same ``id`` and the same debt on every row. Amounts are in asset units; debt in
    the debt asset's units.

    Parameters
    ----------
    assets
        Collateral assets the market accepts (symbols, matched case-insensitively).
    lt, lb
        Market LT/LB per asset (or one for all), used where a row leaves them empty.
    debt_asset
        The market's debt asset; every row must borrow it.

    Raises
    ------
    BookFormatError
        Naming the file and row: missing columns, unparseable or negative numbers, unknown assets, a debt asset
        other than the market's, a position repeated with different debts or the same asset twice, LT/LB outside
        (0, 1) or with LT·(1+LB) > 1, an empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise BookFormatError("loan book file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BookFormatError(f"cannot read loan book: {exc}", path=path) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise BookFormatError("loan book is empty", path=path)
    header = {h.strip().lower(): h for h in reader.fieldnames if h is not None}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BookFormatError(
            f"missing column(s) {', '.join(missing)}; found {list(reader.fieldnames)}",
            path=path,
            hint=f"the header must name {', '.join(REQUIRED)} (optional {', '.join(OPTIONAL)})",
        )
    assets = tuple(assets)
    index = {a.upper(): k for k, a in enumerate(assets)}
    lt_a = np.broadcast_to(np.asarray(lt, dtype="float64"), (len(assets),))
    lb_a = np.broadcast_to(np.asarray(lb, dtype="float64"), (len(assets),))

    positions: dict[str, int] = {}
    coll: list[np.ndarray] = []
    debts: list[float] = []
    lts: list[np.ndarray] = []
    lbs: list[np.ndarray] = []
    seen: set[tuple[str, int]] = set()
    rows = 0
    for row_no, raw in enumerate(reader, start=1):
        rows += 1
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            raise BookFormatError("row has more fields than the header", path=path, row=row_no)
        pid = row["id"]
        if not pid:
            raise BookFormatError("empty id", path=path, row=row_no)
        asset = row["collateral_asset"].upper()
        if asset not in index:
            raise BookFormatError(
                f"unknown collateral asset {row['collateral_asset']!r}",
                path=path,
                row=row_no,
                hint=f"the market's collateral assets are {', '.join(assets)}",
            )
        if row["debt_asset"].upper() != debt_asset.upper():
            raise BookFormatError(
                f"debt asset {row['debt_asset']!r} is not the market's debt asset {debt_asset!r}",
                path=path,
                row=row_no,
                hint="solvency simulates one debt asset per market; split the book by debt asset",
            )
        amount = _number(row["collateral_amount"], "collateral_amount", path, row_no)
        debt = _number(row["debt_amount"], "debt_amount", path, row_no)
        a = index[asset]
        lt_v = _number(row["lt"], "lt", path, row_no) if row.get("lt") else float(lt_a[a])
        lb_v = _number(row["lb"], "lb", path, row_no) if row.get("lb") else float(lb_a[a])
        if not 0 < lt_v < 1 or not 0 <= lb_v < 1:
            raise BookFormatError(f"lt {lt_v} must be in (0, 1) and lb {lb_v} in [0, 1)", path=path, row=row_no)
        if lt_v * (1 + lb_v) > 1 + 1e-12:
            raise BookFormatError(
                f"lt·(1+lb) = {lt_v * (1 + lb_v):.4f} > 1: liquidations of this position would be toxic",
                path=path,
                row=row_no,
                hint="Aave enforces lt·(1+lb) ≤ 1; fix lt or lb",
            )
        if (pid, a) in seen:
            raise BookFormatError(f"position {pid!r} lists {assets[a]} twice", path=path, row=row_no)
        seen.add((pid, a))
        if pid not in positions:
            positions[pid] = len(debts)
            coll.append(np.zeros(len(assets)))
            lts.append(lt_a.copy())
            lbs.append(lb_a.copy())
            debts.append(debt)
        k = positions[pid]
        if abs(debts[k] - debt) > 1e-9 * max(1.0, abs(debt)):
            raise BookFormatError(
                f"position {pid!r} has debt {debts[k]} on an earlier row and {debt} here",
                path=path,
                row=row_no,
                hint="repeat the position's total debt on each of its collateral rows",
            )
        coll[k][a] = amount
        lts[k][a] = lt_v
        lbs[k][a] = lb_v
    if rows == 0:
        raise BookFormatError("loan book has a header but no positions", path=path)
    return LoanBook(
        assets,
        np.array(coll),
        np.array(debts),
        np.array(lts),
        np.array(lbs),
        np.array(list(positions), dtype=object),
        debt_asset,
    )


def _number(text: str, column: str, path: Path, row: int) -> float:
    try:
        value = float(text.replace(",", "")) if text else math.nan
    except ValueError:
        raise BookFormatError(f"{column} is not a number: {text!r}", path=path, row=row) from None
    if not math.isfinite(value):
        raise BookFormatError(f"{column} is missing or not finite: {text!r}", path=path, row=row)
    if value < 0:
        raise BookFormatError(f"{column} is negative: {text!r}", path=path, row=row)
    return value
