"""Online state of an asset: time-aware EWMA volatility, drawdown, implied vol and the regime.

Volatility. Two exponentially weighted averages of the *variance rate* (annualised), updated on each sample of
the consensus price ``(t, P)`` taken at most every ``min_sample_interval``. With the log return ``r`` over
``dt`` seconds since the previous sample, each EWMA with a daily decay ``λ_d`` does

    λ = λ_d ** (dt / 1 day)                     (solvency.market.ewma.decay_for_step)
    v ← λ·v + (1 − λ)·r² · (SECONDS_PER_YEAR / dt)

On regular daily bars this is exactly RiskMetrics (``σ²_daily = v / 365``); on irregular samples the weight of a
return grows with the time it spans, so the half-life is a span of *time*, whatever the sampling. ``λ_d`` comes
from a half-life: ``λ_d = 0.5 ** (1 day / half_life)``. The fast EWMA (default half-life 6 h) reacts within
hours, the slow one (11.2 d ≈ λ = 0.94 daily) is the baseline.

Regime (:func:`classify_regime`, thresholds in :class:`~solvency.oracle.config.RegimeSpec`), from three signals:
the ratio ``σ_short/σ_long`` (volatility is rising faster than its baseline), the drawdown from the highest
sampled price over ``drawdown_window``, and, when an implied vol is supplied and fresh, ``σ_implied/σ_long``
(the options market prices stress ahead). Each signal votes a level — crisis at or above its crisis threshold,
stressed at or above its stressed threshold, calm at or below its calm threshold, else normal; implied vol only
ever votes stressed or crisis (below its stressed threshold it does not object to calm) — and the regime is the
highest vote. The regime falls only when the signals are below the
thresholds times ``hysteresis`` (no flapping at a threshold).

The volatility the target model uses is ``σ = max(σ_short, σ_long, σ_implied)``, held at its highest value over
the last ``sigma_hold`` (default 24 h): it rises as fast as the fast EWMA and falls only once the slow one has
and a day has passed (tighten fast, loosen slowly).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from solvency.market.ewma import decay_for_step
from solvency.oracle.config import REGIMES, AssetFeedSpec, RegimeSpec, VolatilitySpec, seconds
from solvency.units import SECONDS_PER_YEAR


def daily_lambda(half_life_seconds: float) -> float:
    """Daily decay factor with the given half-life in time.

    Examples
    --------
    >>> round(daily_lambda(86_400), 3), round(daily_lambda(11.2 * 86_400), 3)
    (0.5, 0.94)
    """
    return 0.5 ** (86_400.0 / half_life_seconds)


@dataclass(frozen=True, slots=True)
class MarketState:
    """What the target model sees: the asset's state at ``time`` (epoch seconds).

    ``sigma`` is the annualised volatility to use (max of the fast, slow and implied); ``drawdown`` a fraction of
    the window's high; ``regime`` one of :data:`~solvency.oracle.config.REGIMES`.
    """

    time: float
    price: float
    sigma: float
    sigma_short: float
    sigma_long: float
    drawdown: float
    regime: str
    implied_vol: float | None = None

    def inputs(self) -> dict[str, object]:
        """The state as a JSON-ready dict (goes into each ledger row's ``reason``)."""
        return {
            "price": self.price,
            "sigma": self.sigma,
            "sigma_short": self.sigma_short,
            "sigma_long": self.sigma_long,
            "drawdown": self.drawdown,
            "regime": self.regime,
            "implied_vol": self.implied_vol,
        }


def _vote(value: float, calm: float | None, stressed: float, crisis: float) -> int:
    if value >= crisis:
        return 3
    if value >= stressed:
        return 2
    if calm is None or value <= calm:  # no calm threshold: the signal can only raise the regime
        return 0
    return 1


def classify_regime(
    ratio: float, drawdown: float, iv_ratio: float | None, spec: RegimeSpec, *, scale: float = 1.0
) -> int:
    """Regime level (index into :data:`REGIMES`) from the three signals, thresholds times ``scale``.

    Examples
    --------
    >>> spec = RegimeSpec()
    >>> [REGIMES[classify_regime(r, d, None, spec)] for r, d in [(0.7, 0.01), (1.0, 0.01), (1.6, 0.0), (1.0, 0.25)]]
    ['calm', 'normal', 'stressed', 'crisis']
    """
    s = scale
    votes = [
        _vote(ratio, spec.calm_ratio * s, spec.stressed_ratio * s, spec.crisis_ratio * s),
        _vote(drawdown, spec.calm_drawdown * s, spec.stressed_drawdown * s, spec.crisis_drawdown * s),
    ]
    if iv_ratio is not None:
        votes.append(_vote(iv_ratio, None, spec.stressed_iv_ratio * s, spec.crisis_iv_ratio * s))
    return max(votes)


class AssetState:
    """Online volatility, drawdown and regime of one asset (samples must come in time order).

    Parameters
    ----------
    feed
        The asset's feed spec (for ``initial_vol``).
    vol
        Half-lives, sampling interval, drawdown window.
    regime
        Regime thresholds.
    """

    def __init__(self, feed: AssetFeedSpec, vol: VolatilitySpec, regime: RegimeSpec) -> None:
        self.lam_short = daily_lambda(seconds(vol.short_half_life))
        self.lam_long = daily_lambda(seconds(vol.long_half_life))
        self.min_interval = float(seconds(vol.min_sample_interval))
        self.window = float(seconds(vol.drawdown_window))
        self.iv_max_age = float(seconds(vol.implied_vol_max_age))
        self.hold = float(seconds(vol.sigma_hold))
        self.peaks: deque[tuple[float, float]] = deque()  # (time, σ), σ decreasing: rolling max over `hold`
        self.spec = regime
        self.var_short = self.var_long = feed.initial_vol**2
        self.time: float | None = None
        self.price: float | None = None
        self.highs: deque[tuple[float, float]] = deque()  # (time, price), prices decreasing: rolling max
        self.level = 1
        self.implied: tuple[float, float] | None = None  # (time, annualised vol)
        self.samples = 0

    def observe(self, time: float, price: float) -> bool:
        """Take a sample of the consensus price; returns False when it is too soon after the previous one."""
        if self.time is not None:
            dt = time - self.time
            if dt <= 0.0 or dt < self.min_interval:
                return False
            r = math.log(price / self.price)
            rate = r * r * (SECONDS_PER_YEAR / dt)
            ls = decay_for_step(dt, self.lam_short)
            ll = decay_for_step(dt, self.lam_long)
            self.var_short = ls * self.var_short + (1.0 - ls) * rate
            self.var_long = ll * self.var_long + (1.0 - ll) * rate
        self.time, self.price = time, price
        highs = self.highs
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append((time, price))
        while highs[0][0] < time - self.window:
            highs.popleft()
        self.samples += 1
        self._classify()
        self._hold(time, self._sigma(time))
        return True

    def _sigma(self, now: float) -> float:
        return max(math.sqrt(self.var_short), math.sqrt(self.var_long), self._iv(now) or 0.0)

    def _hold(self, time: float, sigma: float) -> None:
        peaks = self.peaks
        while peaks and peaks[-1][1] <= sigma:
            peaks.pop()
        peaks.append((time, sigma))
        while peaks[0][0] < time - self.hold:
            peaks.popleft()

    def observe_implied(self, time: float, vol: float) -> None:
        """Record an implied volatility (annualised fraction), e.g. a DVOL reading / 100."""
        if math.isfinite(vol) and vol > 0 and (self.implied is None or time >= self.implied[0]):
            self.implied = (time, vol)
            if self.time is not None:
                self._classify()
                self._hold(max(time, self.time), self._sigma(max(time, self.time)))

    def _iv(self, now: float) -> float | None:
        if self.implied is None or now - self.implied[0] > self.iv_max_age:
            return None
        return self.implied[1]

    def _signals(self, now: float) -> tuple[float, float, float | None]:
        sl = math.sqrt(self.var_long)
        iv = self._iv(now)
        return math.sqrt(self.var_short) / sl, self.drawdown, (iv / sl if iv is not None else None)

    def _classify(self) -> None:
        ratio, dd, ivr = self._signals(self.time)
        raw = classify_regime(ratio, dd, ivr, self.spec)
        if raw < self.level:  # leave a regime downwards only when clearly below its thresholds
            raw = max(raw, classify_regime(ratio, dd, ivr, self.spec, scale=self.spec.hysteresis))
        self.level = raw

    @property
    def drawdown(self) -> float:
        """Fraction below the highest sampled price of the window."""
        if not self.highs or self.price is None:
            return 0.0
        return max(0.0, 1.0 - self.price / self.highs[0][1])

    def snapshot(self, now: float | None = None) -> MarketState | None:
        """The state for the target model (None before the first sample)."""
        if self.time is None:
            return None
        now = self.time if now is None else now
        iv = self._iv(now)
        s_short, s_long = math.sqrt(self.var_short), math.sqrt(self.var_long)
        held = max((s for t, s in self.peaks if t >= now - self.hold), default=0.0)
        return MarketState(
            time=self.time,
            price=self.price,
            sigma=max(s_short, s_long, iv or 0.0, held),
            sigma_short=s_short,
            sigma_long=s_long,
            drawdown=self.drawdown,
            regime=REGIMES[self.level],
            implied_vol=iv,
        )
