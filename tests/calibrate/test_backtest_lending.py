"""Walk-forward backtest: no peeking, steward-limited updates, envelope never looser than static, real crashes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solvency.calibrate.backtest_lending import CRASH_WINDOWS, CrashWindow, backtest_lending
from solvency.calibrate.setup import market_spec
from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError

from ..conftest import ROOT
from ._lending_support import tiny_spec

KEYS = {"windows", "dynamic_mean_lt", "static_mean_lt", "updates"}
WINDOW = {"name", "dynamic_bad_debt", "static_bad_debt"}


@pytest.fixture(scope="module")
def offline():
    spec = tiny_spec(prices__sample_vol_multiplier=1.5)
    return backtest_lending(spec, prices=sample_prices("1d"), paths=300, books=2, data_root="/nonexistent")


def test_contract_and_fallback_sources(offline) -> None:
    d = offline.to_dict()
    assert set(d) >= KEYS and all(set(w) >= WINDOW for w in d["windows"])
    assert [w["name"] for w in d["windows"]] == [w.name for w in CRASH_WINDOWS]
    assert all("fallback" in w["source"] for w in d["windows"])
    assert d["static_mean_lt"] == 0.83 and d["updates"] > 0


def test_envelope_never_loosens_and_steps_are_legal(offline) -> None:
    path = offline.path
    assert (path["liquidation_threshold"] <= 0.83 + 1e-9).all() and (path["ltv"] <= 0.805 + 1e-9).all()
    assert (path["liquidation_bonus"] == 0.05).all()
    assert (path["ltv"] < path["liquidation_threshold"]).all()
    lt = np.concatenate([[0.83], path["liquidation_threshold"].to_numpy()])
    assert np.all(np.abs(np.diff(lt)) <= 0.005 + 1e-9)
    assert np.all(np.diff(path.index.as_unit("s").asi8) >= 3 * 86_400)
    for w in offline.windows:
        assert w.dynamic["liquidation_threshold"] <= w.static["liquidation_threshold"]


def test_no_peeking_the_past_does_not_depend_on_the_future() -> None:
    spec = tiny_spec(prices__sample_vol_multiplier=1.5)
    full = sample_prices("1d")
    cut = full.loc[:"2021-12-31"].copy()
    cut.attrs.update(full.attrs)
    kw = dict(paths=300, books=1, data_root="/nonexistent", windows=(CRASH_WINDOWS[0],))
    a = backtest_lending(spec, prices=full, **kw).path
    b = backtest_lending(spec, prices=cut, **kw).path
    common = b.index[b.index <= pd.Timestamp("2021-12-31", tz="UTC")]
    pd.testing.assert_frame_equal(a.loc[common], b.loc[common])


def test_refusals() -> None:
    spec = tiny_spec()
    with pytest.raises(SolvencyInputError, match="steward"):
        backtest_lending(spec, prices=sample_prices("1d"), rebalance="1d")
    with pytest.raises(SolvencyInputError, match="policy"):
        backtest_lending(spec, prices=sample_prices("1d"), policy="yolo")
    short = sample_prices("1d").iloc[:100]
    with pytest.raises(SolvencyInputError, match="warm-up"):
        backtest_lending(spec, prices=short)
    odd = (CrashWindow("empty", "2019-01-01", "2019-01-01"),)
    with pytest.raises(SolvencyInputError, match="fewer than two bars"):
        backtest_lending(spec, prices=sample_prices("1d"), windows=odd, paths=200, books=1)


def _eth_walk_forward(real_data, jumps: str):
    spec = market_spec(ROOT / "examples" / "markets" / "aave-v3-weth.toml", jumps=jumps)
    r = backtest_lending(spec, prices=real_data / "daily" / "binance_ETHUSDT_1d.csv", data_root=real_data, books=8)
    names = {w.name: w for w in r.windows}
    assert set(names) == {w.name for w in CRASH_WINDOWS}
    assert not any("fallback" in w.source for w in r.windows)
    assert names["black-thursday-2020"].static_bad_debt > 0  # the replay is a real stress
    assert (r.jumps is None) == (jumps == "none")
    return r


@pytest.mark.realdata
@pytest.mark.slow
def test_eth_2018_2026_real_crashes(real_data) -> None:
    """The issue's target on real data with the example market's 10,000 paths (fewer paths make the frontier more
    conservative: the staircase keeps the minimum over noisier node estimates), half the benchmark's books — with
    the stress paths of the issue's first calibrator (a diffusion without jumps, ``--jumps none``)."""
    r = _eth_walk_forward(real_data, "none")
    assert r.dominates
    assert r.dynamic_mean_lt >= r.static_mean_lt - 0.02


@pytest.mark.realdata
@pytest.mark.slow
def test_eth_2018_2026_real_crashes_with_jumps(real_data) -> None:
    """The same walk-forward with the default jump law, its rate falling with the path's volatility level: dynamic
    takes no more bad debt than static in every crash window and the 2-pp capital-efficiency target is met (mean LT
    81.8 % vs Aave's 83 % at the spec's seed). With the pooled rate (26.4 a year at every level) the target failed —
    3.5 pp below at seed 4 (benchmarks/RESULTS.md, "Jump rate by volatility level"); that run is not repeated here
    (the pooled paths are the previous commit's bit for bit, tests/calibrate/test_stress_paths.py)."""
    r = _eth_walk_forward(real_data, "default")
    assert r.jumps is not None and r.jumps["rate"] != "pooled"
    assert r.dominates
    assert r.dynamic_mean_lt >= r.static_mean_lt - 0.02
