"""The markets of a sweep: every ``*.toml`` market spec in a folder, read once on the client."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from solvency.config import MarketSpec, load_market
from solvency.errors import SolvencyInputError


def load_markets(folder: str | Path) -> list[MarketSpec]:
    """Read every ``*.toml`` in ``folder`` (not its subfolders), sorted by file name.

    Paths are made absolute first, so the price and book files a spec names resolve to absolute paths: a
    cluster's workers run in other directories (and must see those paths).

    Raises
    ------
    SolvencyInputError
        The folder is missing or holds no ``*.toml``; a spec is invalid (:class:`~solvency.errors.ConfigError`
        naming the file and field); two specs share a ``name``.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise SolvencyInputError("not a folder of market specs", path=root, hint="pass a folder of *.toml files")
    files = sorted(p for p in root.glob("*.toml") if p.is_file())
    if not files:
        raise SolvencyInputError("no market specs (*.toml) in this folder", path=root)
    specs = [load_market(p.resolve()) for p in files]
    check_unique_names(specs)
    return specs


def check_unique_names(specs: Iterable[MarketSpec]) -> None:
    """Refuse two specs with one ``name``: a market's name keys its random streams and its place in the output."""
    seen: dict[str, MarketSpec] = {}
    for spec in specs:
        other = seen.setdefault(spec.name, spec)
        if other is not spec:
            raise SolvencyInputError(
                f"market name {spec.name!r} is used by {other.source} and {spec.source}",
                path=spec.source,
                hint="give each spec its own `name = ...`",
            )


def market_label(spec: MarketSpec) -> str:
    """How a market is named in messages: its ``name`` and file."""
    return f"{spec.name} ({spec.source.name})" if spec.source is not None else spec.name
