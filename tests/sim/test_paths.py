"""Path models: moments against closed forms, dependence, bridges, FHS with arch, bootstrap, replays, seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.sim.montecarlo import PATH_BLOCK, simulate_paths
from solvency.sim.paths import (
    GBM,
    BlockBootstrap,
    GarchFHS,
    MertonJumpDiffusion,
    Replay,
    Shape,
    ShapedPaths,
    bridge_increments,
    correlated_normals,
)
from solvency.units import SECONDS_PER_YEAR


def test_gbm_mean_and_log_variance() -> None:
    model = GBM(["A"], 100.0, sigma=0.9, mu=0.4, step=3600)
    n, steps = 40_000, 24 * 7
    s = simulate_paths(model, n, steps, seed=11)[:, -1, 0]
    t = steps * 3600 / SECONDS_PER_YEAR
    mean, se = s.mean(), s.std(ddof=1) / math.sqrt(n)
    assert abs(mean - 100.0 * math.exp(0.4 * t)) < 4 * se
    logvar = np.log(s / 100.0).var(ddof=1)
    assert logvar == pytest.approx(0.81 * t, rel=0.03)  # sd of a variance estimate, n = 40k: ~0.7 %


def test_merton_moments() -> None:
    # Merton (1976): E[S_T] = S_0 e^{μT}; Var ln S_T = (σ² + λ(μ_J² + σ_J²)) T
    lam, mj, sj, sig = 50.0, -0.04, 0.06, 0.5
    model = MertonJumpDiffusion(["A"], 100.0, sigma=sig, jump_rate=lam, jump_mean=mj, jump_std=sj, step=3600)
    n, steps = 40_000, 24 * 30
    s = simulate_paths(model, n, steps, seed=5)[:, -1, 0]
    t = steps * 3600 / SECONDS_PER_YEAR
    assert abs(s.mean() - 100.0) < 4 * s.std(ddof=1) / math.sqrt(n)
    assert np.log(s / 100).var(ddof=1) == pytest.approx((sig**2 + lam * (mj**2 + sj**2)) * t, rel=0.04)


def test_correlated_normals_and_t_copula_tails() -> None:
    rho = 0.6
    corr = np.array([[1.0, rho], [rho, 1.0]])
    chol = np.linalg.cholesky(corr)
    rng = np.random.default_rng(2)
    g = correlated_normals(rng, 400, 500, 2, chol=chol).reshape(-1, 2)
    t = correlated_normals(rng, 400, 500, 2, chol=chol, copula="t", df=3.0).reshape(-1, 2)
    assert np.corrcoef(g.T)[0, 1] == pytest.approx(rho, abs=0.01)
    assert g.std(axis=0) == pytest.approx([1, 1], abs=0.01)
    assert t.std(axis=0) == pytest.approx([1, 1], abs=0.01)  # normal marginals kept
    q = np.quantile(g[:, 0], 0.01)
    joint_g = np.mean((g[:, 0] < q) & (g[:, 1] < q))
    joint_t = np.mean((t[:, 0] < q) & (t[:, 1] < q))
    assert joint_t > 1.3 * joint_g  # t-copula: joint crashes are more frequent at the same correlation
    with pytest.raises(SolvencyInputError, match="copula"):
        correlated_normals(rng, 2, 2, 2, chol=chol, copula="clayton")


def test_bridge_sums_to_bar_returns() -> None:
    rng = np.random.default_rng(0)
    bars = rng.normal(0, 0.05, (3, 4, 2))
    inc = bridge_increments(rng, bars, np.full_like(bars, 0.05), 12)
    assert inc.shape == (3, 48, 2)
    assert inc.reshape(3, 4, 12, 2).sum(axis=2) == pytest.approx(bars, abs=1e-15)


def test_garch_fhs_recovers_parameters_simulated_by_arch() -> None:
    from arch.univariate import GARCH, ConstantMean, StudentsT

    true = {"mu": 0.05, "omega": 0.2, "alpha[1]": 0.10, "beta[1]": 0.85, "nu": 6.0}  # percent returns
    sim = ConstantMean(None, volatility=GARCH(p=1, q=1), distribution=StudentsT(seed=np.random.default_rng(8)))
    data = sim.simulate(list(true.values()), 3000, burn=500)
    pct = data["data"].to_numpy()
    prices = pd.DataFrame(
        {"close": 100 * np.exp(np.cumsum(pct / 100))},
        index=pd.date_range("2015-01-01", periods=pct.size, freq="D", tz="UTC"),
    )
    model = GarchFHS.fit(prices, assets=["A"], step=86_400)
    _mu, omega, alpha, _, beta = model.params[0]
    assert alpha == pytest.approx(0.10, abs=0.04)
    assert beta == pytest.approx(0.85, abs=0.05)
    assert omega == pytest.approx(0.2e-4, rel=0.6)
    # simulated bars have the fitted unconditional variance (long horizon, many paths)
    bars, _ = model.bar_returns(4000, 400, np.random.default_rng(1))
    uncond = omega / (1 - alpha - beta)
    assert bars[:, 200:, 0].var() == pytest.approx(uncond, rel=0.15)
    # hourly steps bridge each daily bar
    paths = model.simulate(8, 48, np.random.default_rng(2))
    assert paths.shape == (8, 49, 1) and np.all(paths > 0)
    with pytest.raises(SolvencyInputError, match="divide"):
        GarchFHS.fit(prices, step=7 * 3600)


def test_bootstrap_resamples_rows_in_blocks() -> None:
    prices = sample_prices("1d").iloc[:500]
    model = BlockBootstrap.from_prices(prices, assets=["A"], block=20)
    idx = model.indices(200, 300, np.random.default_rng(4))
    assert idx.min() >= 0 and idx.max() < model.returns.shape[0]
    runs = np.mean(np.diff(idx, axis=1) == 1)
    assert runs == pytest.approx(1 - 1 / 20, abs=0.01)  # a new block starts with probability 1/block
    bars, _ = model.bar_returns(50, 100, np.random.default_rng(5))
    assert np.isin(bars.ravel(), model.returns.ravel()).all()


def test_replay_close_and_ohlc() -> None:
    idx = pd.date_range("2025-10-10", periods=3, freq="4h", tz="UTC")
    frame = pd.DataFrame(
        {"open": [100.0, 98, 90], "high": [101, 99, 95], "low": [97, 85, 89], "close": [98.0, 90, 94]}, index=idx
    )
    close = Replay(frame, assets=["ETH"])
    assert close.step == 4 * 3600 and close.max_steps == 3
    assert close.simulate(2, 3, np.random.default_rng(0))[0, :, 0] == pytest.approx([100, 98, 90, 94])
    ohlc = Replay(frame, assets=["ETH"], intrabar="ohlc")
    assert ohlc.step == 4 * 3600 // 3
    # falling bars: high first, then low; the rising last bar: low first
    assert ohlc.points[:, 0] == pytest.approx([100, 101, 97, 98, 99, 85, 90, 89, 95, 94])
    with pytest.raises(SolvencyInputError, match="steps"):
        close.simulate(1, 5, np.random.default_rng(0))
    bad = frame.copy()
    bad.iloc[1, 3] = -1.0
    with pytest.raises(SolvencyInputError, match="positive") as err:
        Replay(bad, assets=["ETH"])
    assert "2025-10-10 04:00" in str(err.value)
    with pytest.raises(SolvencyInputError, match="needs columns"):
        Replay(frame[["close"]], assets=["ETH"], intrabar="ohlc")
    gappy = pd.concat([frame, frame.iloc[[-1]].set_axis([idx[-1] + pd.Timedelta(hours=12)])])
    with pytest.raises(SolvencyInputError, match="gap") as err:
        Replay(gappy, assets=["ETH"])
    assert err.value.time is not None and "2025-10-10 20:00" in err.value.time  # the bar after the gap


def test_shaped_paths_pass_through_the_knots() -> None:
    shape = Shape((0.0, 2.0, 5.0), (1.0, 0.7, 0.8))
    model = ShapedPaths(["ETH"], 2000.0, shapes=[shape], sigma=2.0, step=600)
    px = model.simulate(50, 48, np.random.default_rng(9))
    assert px[:, 12, 0] == pytest.approx(1400.0)  # 2 h = step 12
    assert px[:, 30, 0] == pytest.approx(1600.0)  # 5 h = step 30
    assert px[:, 20, 0].std() > 10  # random between knots
    assert np.log(px[:, 48, 0] / 1600).std() == pytest.approx(2.0 * math.sqrt(3 * 3600 / SECONDS_PER_YEAR), rel=0.3)
    worse = ShapedPaths(["ETH"], 2000.0, shapes=[shape], sigma=0.0, step=600, severity=2.0)
    assert worse.simulate(1, 12, np.random.default_rng(0))[0, 12, 0] == pytest.approx(2000 * 0.7**2)
    free = ShapedPaths(["ETH"], 2000.0, shapes=[shape], sigma=2.0, step=600, noise="free")
    spread = np.log(free.simulate(400, 12, np.random.default_rng(1))[:, 12, 0] / 1400).std()
    assert spread == pytest.approx(2.0 * math.sqrt(2 * 3600 / SECONDS_PER_YEAR), rel=0.15)  # free: not pinned


def test_paths_do_not_depend_on_chunking_and_follow_the_seed() -> None:
    model = GBM(["A", "B"], [10.0, 20.0], sigma=[0.5, 0.7], correlation=np.array([[1, 0.5], [0.5, 1]]))
    n = PATH_BLOCK * 2 + 17
    a = simulate_paths(model, n, 30, seed=4)
    b = np.concatenate(
        [
            model.simulate(PATH_BLOCK, 30, g) if k < 2 else model.simulate(17, 30, g)
            for k, g in enumerate(_streams(4, n))
        ]
    )
    assert np.array_equal(a, b)
    assert np.array_equal(a, simulate_paths(model, n, 30, seed=4))
    assert not np.array_equal(a, simulate_paths(model, n, 30, seed=5))


def _streams(seed: int, n: int) -> list[np.random.Generator]:
    from solvency.sim.montecarlo import block_streams

    return block_streams(seed, n)


def test_bad_parameters() -> None:
    with pytest.raises(SolvencyInputError, match="positive"):
        GBM(["A"], -1.0, sigma=0.5)
    with pytest.raises(SolvencyInputError, match="2×2"):
        GBM(["A", "B"], [1, 1], sigma=0.5, correlation=np.eye(3))
    with pytest.raises(SolvencyInputError, match="knots"):
        Shape((1.0, 2.0), (1.0, 0.5))
