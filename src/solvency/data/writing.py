"""Writing price frames to files that :func:`solvency.data.loading.load_prices` reads back unchanged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solvency.data.loading import PRICE_FIELDS
from solvency.errors import SolvencyInputError
from solvency.jsonutil import dumps

FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
"""File suffix → format written by :func:`write_prices` (CSV for any other suffix)."""


def write_prices(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a price frame as CSV (default), Parquet (``.parquet``) or JSON records (``.json``).

    Columns written: ``time`` (ISO-8601 UTC), then whichever of ``open, high, low, close, volume`` the
    frame has, at full float precision, so that reading the file back with ``load_prices`` gives the same
    numbers and times.

    Raises
    ------
    SolvencyInputError
        The folder does not exist or is not writable (naming the path).
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower(), "csv")
    index = pd.DatetimeIndex(df.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    cols = [c for c in (*PRICE_FIELDS, "volume") if c in df.columns]
    out = df[cols].copy()
    out.index = index.as_unit("ns")
    out.index.name = "time"
    out = out.reset_index()
    out.attrs = {}  # row numbers and the source belong to the frame, not to the new file
    try:
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:  # pragma: no cover - depends on installed extras
                raise SolvencyInputError(
                    "writing Parquet needs pyarrow", path=path, hint="pip install 'solvency[parquet]'"
                ) from exc
            out.to_parquet(path, index=False)
        elif fmt == "json":
            # json (repr of floats) keeps every digit; pandas' to_json stops at 15 significant digits.
            path.write_text(dumps(out.to_dict(orient="records"), indent=1) + "\n")
        else:
            out["time"] = out["time"].map(lambda t: t.isoformat().replace("+00:00", "Z"))
            out.to_csv(path, index=False, float_format=None)
    except OSError as exc:
        raise SolvencyInputError(f"cannot write: {exc.strerror or exc}", path=path, hint="choose --out PATH") from exc
    return path
