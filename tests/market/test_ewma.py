"""EWMA: the filter equals the textbook recursion; time-aware decay keeps the half-life."""

from __future__ import annotations

import numpy as np
import pytest

from solvency.market.ewma import decay_for_step, ewma_variance


def naive(r: np.ndarray, lam: float, init: float) -> np.ndarray:
    out = [init]
    for x in r[:-1]:
        out.append(lam * out[-1] + (1 - lam) * x * x)
    return np.array(out)


def test_matches_recursion() -> None:
    r = np.random.default_rng(1).standard_normal(500) * 0.03
    assert np.allclose(ewma_variance(r, 0.94, init=0.001), naive(r, 0.94, 0.001), rtol=1e-12, atol=0)


def test_hand_example() -> None:
    # v1 = 0.94*0.0004 + 0.06*0.02^2 = 0.0004 ; v2 = 0.94*0.0004 + 0.06*0.05^2 = 0.000526
    out = ewma_variance(np.array([0.02, 0.05, 0.0]), 0.94, init=0.0004)
    assert out == pytest.approx([0.0004, 0.0004, 0.000526], rel=1e-12)


def test_half_life_in_time() -> None:
    hourly = decay_for_step(3600)
    assert hourly**24 == pytest.approx(0.94, rel=1e-12)


def test_bad_lambda() -> None:
    with pytest.raises(ValueError, match="lam"):
        ewma_variance(np.zeros(3), 1.0)


def test_next_variance_and_flat_forecast() -> None:
    from solvency.market.ewma import ewma_forecast, ewma_next_variance

    r = np.random.default_rng(2).standard_normal(200) * 0.02
    path = naive(np.r_[r, 0.0], 0.94, 0.0003)  # the filter run one bar further
    assert ewma_next_variance(r, 0.94, init=0.0003) == pytest.approx(path[-1], rel=1e-12)
    assert ewma_forecast(path[-1], 10) == pytest.approx([path[-1]] * 10)
