"""The embedded sample market: deterministic, consistent across frequencies, with its documented crashes."""

from __future__ import annotations

import numpy as np
import pytest

from solvency.data.sample import CRASHES, sample_crash, sample_prices
from solvency.errors import SolvencyInputError


def test_deterministic_and_consistent() -> None:
    daily = sample_prices("1d")
    hourly = sample_prices("1h")
    assert len(daily) == 3000
    assert daily.equals(sample_prices("1d"))
    # The daily close is the last hourly close of the day; the daily low the minimum hourly low.
    day = "2020-03-12"
    assert daily.loc[day, "close"].item() == pytest.approx(hourly.loc[day, "close"].iloc[-1])
    assert daily.loc[day, "low"].item() == pytest.approx(hourly.loc[day, "low"].min())
    assert (daily["high"] >= daily[["open", "close"]].max(axis=1)).all()
    assert (daily["low"] <= daily[["open", "close"]].min(axis=1)).all()


@pytest.mark.parametrize("day", sorted(CRASHES))
def test_crash_days(day: str) -> None:
    daily = sample_prices("1d")
    prev = daily["close"].shift(1)
    move = (daily["close"] / prev - 1).loc[day].item()
    assert move == pytest.approx(CRASHES[day]["return"], abs=1e-9)
    crash = sample_crash("10m", day=day)
    assert len(crash) == 144
    assert crash["low"].min() / crash["open"].iloc[0] - 1 < CRASHES[day]["return"]


def test_realistic_volatility() -> None:
    r = np.diff(np.log(sample_prices("1d")["close"].to_numpy()))
    assert 0.5 < r.std() * np.sqrt(365) < 1.2  # ETH's annualised vol order (60-100 %)


def test_bad_frequency() -> None:
    with pytest.raises(SolvencyInputError):
        sample_prices("7m")
