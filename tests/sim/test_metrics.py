"""Risk metrics as defined in solvency.sim.metrics, on hand-made samples."""

from __future__ import annotations

import numpy as np
import pytest

from solvency.sim.metrics import bad_debt_metrics, expected_shortfall, liquidation_metrics


def test_bad_debt_metrics_by_hand() -> None:
    x = np.concatenate([np.zeros(90), np.arange(1.0, 11.0)])  # 100 paths: 90 clean, 10 with 1..10
    m = bad_debt_metrics(x)
    assert m.mean == pytest.approx(0.55)
    assert m.prob == pytest.approx(0.10)
    assert m.max == 10.0
    assert m.var95 == pytest.approx(np.quantile(x, 0.95))  # between the 95th and 96th order statistics: 5.05
    assert m.var95 == pytest.approx(5.05)
    assert m.es99 == 10.0  # ceil(1 % of 100) = 1 worst path


def test_expected_shortfall_tail_size() -> None:
    x = np.arange(1000.0)
    assert expected_shortfall(x, 0.99) == pytest.approx(np.mean(np.arange(990.0, 1000.0)))
    assert expected_shortfall(np.array([3.0, 1.0]), 0.99) == 3.0
    assert np.isnan(expected_shortfall(np.array([]), 0.99))


def test_liquidation_metrics() -> None:
    m = liquidation_metrics(np.array([1, 2, 3, 4]), np.array([10.0, 0.0, 30.0, 20.0]))
    assert (m.count_mean, m.volume_mean) == (2.5, 15.0)
    assert m.lar95 == pytest.approx(np.quantile([10.0, 0.0, 30.0, 20.0], 0.95))
