"""Conversion of results to JSON-ready Python objects (used by the CLI, reports and the service)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(obj: Any) -> Any:
    """Recursively convert numpy / pandas / dataclass values into plain JSON types.

    Non-finite floats become ``None`` (JSON has no NaN); timestamps become ISO-8601 UTC strings.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.Timestamp):
        if obj is pd.NaT:
            return None
        ts = obj.tz_localize("UTC") if obj.tzinfo is None else obj.tz_convert("UTC")
        return ts.isoformat().replace("+00:00", "Z")
    if isinstance(obj, _dt.datetime):
        return to_jsonable(pd.Timestamp(obj))
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.Series):
        return {to_jsonable(k) if not isinstance(k, str) else k: to_jsonable(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if obj is pd.NaT:
        return None
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`to_jsonable` (strict: no NaN tokens in the output)."""
    return json.dumps(to_jsonable(obj), allow_nan=False, **kwargs)
