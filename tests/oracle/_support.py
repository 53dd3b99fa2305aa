"""Shared test helpers: a small oracle config, a TOML writer, and an independent checker of ledger rows.

The checker restates the guardrail contract from the issue text — bounds, max step (absolute for ratios,
relative for caps), minimum delay, LTV ≤ LT − gap, LT·(1+LB) ≤ max, never zero, nothing while paused — without
importing :mod:`solvency.oracle.guardrails`, so a bug there cannot hide itself.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from solvency.oracle.config import OracleConfig, load_oracle_config
from solvency.oracle.keys import generate_keys

SOURCES = ["s1", "s2", "s3"]

BASE: dict[str, Any] = {
    "service": {"ledger": "ledger.sqlite", "private_key": "keys/oracle_ed25519.pem", "tokens": "keys/tokens.toml"},
    "volatility": {"short_half_life": "6h", "long_half_life": "11.2d", "min_sample_interval": "0s"},
    "assets": {
        "ETH": {
            "sources": SOURCES,
            "quorum": 2,
            "heartbeat": "1h",
            "max_deviation": 0.05,
            "jump": 0.10,
            "confirm_window": "5m",
            "initial_vol": 0.8,
        }
    },
    "markets": {
        "weth": {
            "asset": "ETH",
            "params": {
                "ltv": 0.805,
                "liquidation_threshold": 0.83,
                "liquidation_bonus": 0.05,
                "supply_cap": 1_000_000.0,
            },
            "invariants": {"ltv_gap": 0.01, "max_lt_bonus": 0.99},
            "rules": {
                "ltv": {"min": 0.40, "max": 0.86, "max_step": 0.01, "min_delay": "1h", "min_change": 0.001},
                "liquidation_threshold": {
                    "min": 0.50,
                    "max": 0.88,
                    "max_step": 0.01,
                    "min_delay": "1h",
                    "min_change": 0.001,
                },
                "liquidation_bonus": {
                    "min": 0.03,
                    "max": 0.12,
                    "max_step": 0.005,
                    "min_delay": "1h",
                    "min_change": 0.001,
                },
                "supply_cap": {
                    "min": 100_000.0,
                    "max": 3_000_000.0,
                    "max_step_relative": 0.25,
                    "min_delay": "6h",
                    "min_change": 0.01,
                },
            },
        }
    },
}


def merged(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The base config dict with ``overrides`` merged in (nested dicts merge, other values replace)."""
    out = copy.deepcopy(BASE)

    def merge(dst: dict[str, Any], src: Mapping[str, Any]) -> None:
        for k, v in src.items():
            if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
                merge(dst[k], v)
            else:
                dst[k] = copy.deepcopy(v)

    merge(out, overrides or {})
    return out


def to_toml(data: Mapping[str, Any]) -> str:
    """A minimal TOML writer for config dicts (tables, strings, numbers, booleans, lists of scalars)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(float(v)) if isinstance(v, float) else str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(type(v))

    lines: list[str] = []

    def table(prefix: str, d: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, Mapping)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        for k, v in d.items():
            if isinstance(v, Mapping):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines) + "\n"


def scratch_dir() -> Path:
    """A fresh folder on tmpfs when there is one (fsync-heavy tests), else in the temp dir."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="solvency-oracle-", dir=base))


def write_config(folder: Path, overrides: Mapping[str, Any] | None = None, *, keys: bool = True) -> Path:
    """Write ``oracle.toml`` (and keys) into ``folder``; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    if keys and not (folder / "keys" / "oracle_ed25519.pem").exists():
        generate_keys(folder / "keys")
    path = folder / "oracle.toml"
    path.write_text(to_toml(merged(overrides)), encoding="utf-8")
    return path


def make_config(folder: Path, overrides: Mapping[str, Any] | None = None) -> OracleConfig:
    """Write and load a config in ``folder``."""
    return load_oracle_config(write_config(folder, overrides))


def token(folder: Path, role: str) -> str:
    return (folder / "keys" / f"{role}.token").read_text().strip()


def span(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return 0.0 if text in ("0s", "0") else float(text[:-1]) * units[text[-1]]


def epoch_of(iso_text: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def check_rows(
    rows: list[Mapping[str, Any]],
    cfg: Mapping[str, Any],
    *,
    paused: Iterable[tuple[float, float]] = (),
) -> None:
    """Assert the guardrail contract on published ledger rows (dicts with the ledger's fields).

    ``cfg`` is the config dict (as :func:`merged` returns); ``paused`` the clock intervals [start, end) in which
    the kill switch was on.
    """
    tol = 1e-9
    values = {m: dict(spec["params"]) for m, spec in cfg["markets"].items()}
    last_time: dict[tuple[str, str], float] = {}
    paused = list(paused)
    expected_seq = 1
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        assert row["seq"] == expected_seq, f"seq {row['seq']} where {expected_seq} expected"
        expected_seq += 1
        groups.setdefault((row["market"], row["time"]), []).append(row)
    for (market, time_text), group in groups.items():
        t = epoch_of(time_text)
        spec = cfg["markets"][market]
        for start, end in paused:
            assert not start <= t < end, f"update at {time_text} while paused"
        for row in group:
            name = row["parameter"]
            rule = spec["rules"][name]
            old, new = row["old"], row["new"]
            assert old == values[market][name], f"{name}: old {old} is not the value in force {values[market][name]}"
            assert isinstance(new, float) and math.isfinite(new) and new > 0, f"{name}: {new} is not positive"
            assert rule["min"] - tol <= new <= rule["max"] + tol, f"{name}: {new} outside bounds"
            if "max_step" in rule:
                assert abs(new - old) <= rule["max_step"] + tol, f"{name}: step {new - old} too large"
            else:
                assert abs(new - old) <= rule["max_step_relative"] * old * (1 + tol), f"{name}: relative step"
            assert new != old, f"{name}: no-op update"
            delay = span(rule.get("min_delay", "1h"))
            prev = last_time.get((market, name))
            assert prev is None or t - prev >= delay - 1e-6, f"{name}: updated {t - prev:.0f}s after the last"
            last_time[(market, name)] = t
            values[market][name] = new
        v = values[market]
        inv = spec.get("invariants", {"ltv_gap": 0.005, "max_lt_bonus": 0.99})
        assert v["ltv"] <= v["liquidation_threshold"] - inv["ltv_gap"] + tol, f"LTV ≥ LT − gap after {time_text}"
        assert v["liquidation_threshold"] * (1 + v["liquidation_bonus"]) <= inv["max_lt_bonus"] + tol, (
            f"LT·(1+LB) too high after {time_text}"
        )
