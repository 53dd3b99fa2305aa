"""Named historical stress scenarios, shipped as a few factual numbers each.

A scenario is a **drawdown shape** (price relative to the start at a handful of knots, log-linear in between)
for the assets it names, the **residual volatility** of prices around that shape, and the market conditions
of the day as multipliers: **liquidity** (depth multiplier on the slippage curve), **gas** (multiplier on
the market's normal gas price) and an extra **oracle delay**. :meth:`Scenario.model` turns it into a
:class:`~solvency.sim.paths.ShapedPaths` generator at the market's current prices: every simulated path
passes through the historical knots (Brownian bridge in between, ``noise="bridge"``) or wanders around them
(``noise="free"``); ``severity`` scales the shape (1.5 = half as bad again).

How the numbers were obtained
-----------------------------
ETH shapes come from Binance ETHUSDT bars in the shared real data (``hourly/binance_ETHUSDT_1h_*.csv``;
``intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv`` for Oct 2025): the window starts at the open of its
first bar; knots are bar closes every few hours, plus the **low** of the bar holding the window's lowest low,
placed at that bar's middle (its time inside the bar is not in the data). ``vol`` is the annualised standard
deviation of hourly log closes around the knot-interpolated shape (Oct 2025: Parkinson high-low estimate over
the 4-hour bars, as the residual at bar closes is zero by construction). stETH, USDC and UST shapes come
from the Yahoo daily files (daily closes, and the lowest daily low at mid-day). ``tests/sim`` recomputes
every knot from those files. The gas multiplier for 2020 and 2021 is the peak hourly mean of ``avgGasDay`` over
its median in the first three hours of the day (``intraday/ethereum_gasprice_10m_*.csv``). Numbers marked
*assumption* have no series behind them: they are judgement calls, stated so that they can be argued with.

Scenarios
---------
``black-thursday-2020`` — 12-13 March 2020 (COVID crash). ETH 194.61 → 107.82 on 12 March on Binance (−44.6 %
close to close), low 86.00 at 02:00 UTC on the 13th (−55.8 %), 134.06 at the close of the 13th. Gas: mean
``avgGasDay`` 12 gwei in the first hours, 196 gwei in the 15:00 hour (×16; the 90th percentile reached 300).
MakerDAO's oracle security module delays prices by one hour and its feeds lagged the market during the
congestion; zero-bid auctions liquidated $8.32 M of ETH and left 5.67 M DAI of bad debt (White Rabbit
analysis, reprinted by Odaily, https://www.odaily.news/en/post/5147617 ; Glassnode via currencies.ru: gas 80-200
gwei, "Maker's Medianizer oracle showed a difference of $30"). Oracle delay 1 h. Liquidity ×0.3
(*assumption*: order books and keepers both thinned out; no depth series in the data).

``may-2021`` — 19 May 2021 (China mining ban, leverage flush). ETH 3,375.08 → low 1,888.00 in the 13:00 hour
(−44.1 %), close 2,438.92 (−27.7 %). Gas: 97 gwei early, 1,363 gwei mean in the 13:00 hour (×14); Delphi Digital
reported 1,500-1,700 gwei for about an hour as "gas wars amongst liquidators and arbitrageurs"
(https://www.fxstreet.com/cryptocurrencies/news/fallout-ethereum-fees-skyrocketed-as-traders-raced-to-unwind-leveraged-positions-202105200728).
Oracle delay 0 (Chainlink kept updating). Liquidity ×0.4 (*assumption*).

``luna-2022`` — 5-12 May 2022 (UST depeg, LUNA collapse). ETH 2,940.65 → low 1,800.00 on 12 May 05:00 UTC
(−38.8 %). UST (USTC) 1.00 → 0.41 close on 12 May, intraday low 0.30 on 11 May (Yahoo daily). The Terra
collapse "wiped over $40b" and the market fell over 20 % (DefiLlama wiki,
https://wiki.defillama.com/wiki/LUNA_Collapse_in_May_2022). Gas ×5 (*assumption*). Oracle delay 0.
Liquidity ×0.5 (*assumption*).

``steth-depeg-2022`` — 10-18 June 2022 (Celsius pauses withdrawals on 12/13 June, 3AC). ETH 1,788.80 → low
881.56 on 18 June 20:00 UTC (−50.7 %); stETH/ETH fell to 0.937 on 15 June (Yahoo daily closes), stETH/USD low
828.67. The Curve stETH/ETH pool "lost more than half its TVL" during the Terra collapse (Nansen,
https://nansen.ai/research/on-chain-forensics-demystifying-steth-depeg), hence liquidity ×0.5. Gas ×3
(*assumption*). Oracle delay 0.

``ftx-2022`` — 6-10 November 2022 (FTX/Alameda collapse). ETH 1,626.98 → low 1,073.53 on 9 November 23:00 UTC
(−34.0 %), 1,299.28 at the close of the 10th. $6 B was withdrawn from FTX in 72 hours (ForkLog,
https://forklog.com/en/november-in-numbers-the-ftx-collapse-outflows-from-centralized-exchanges-and-the-capitulation-of-bitcoin-miners/amp).
Kaiko reported market depth still depressed after FTX (https://research.kaiko.com/insights/centralized-exchange-liquidity):
liquidity ×0.5 (*assumption* on the size). Gas ×2 (*assumption*). Oracle delay 0.

``usdc-depeg-2023`` — 9-13 March 2023 (Silicon Valley Bank). Circle disclosed $3.3 B of USDC reserves at SVB
on 11 March; USDC traded down to $0.8774 (Cointelegraph via https://paypii.com/usdc-depegs-as-circle-confirms-3-3b-stuck-with-silicon-valley-bank/;
Yahoo daily low 0.8774 on 11 March) and recovered after the FDIC guarantee on 12 March. ETH 1,532.38 → low
1,368.39 on 10 March 10:00 UTC (−10.7 %), then +9 % by the 13th. Kaiko: Coinbase depth −50 %, Gemini −74 %
(https://www.tronweekly.com/crypto-market-depth-takes-a-hit-kaiko-report/amp/): liquidity ×0.5. Gas ×2
(*assumption*). Oracle delay 0. For a market quoted in USDC the collateral price in USDC rises as USDC falls;
the USDC shape is applied as the quote's.

``aug-2024`` — 2-5 August 2024 (yen carry-trade unwind). ETH 3,203.40 → low 2,111.00 on 5 August 01:00 UTC
(−34.1 %), 2,419.59 at the close of the 5th. DeFi lending saw over $320 M of liquidations in 24 hours, $187 M
of them ETH-backed (Parsec data, via https://mackhal.com/8593.html); Aave v3 $253.4 M
(https://crypto-feed.news/learn/defi/massive-defi-liquidations-amid-crypto-market-crash/). Gas ×10
(*assumption*, informed by reports of 350 gwei average vs a 3 gwei floor that week). Oracle delay 0. Liquidity
×0.6 (*assumption*; Kaiko measured higher slippage that day).

``oct-2025`` — 10-11 October 2025 (US tariff announcement). ETH 4,368.09 → low 3,435.00 in the 20:00-24:00 UTC
bar on 10 October (−21.4 %), 3,829.72 at the close (Binance). About $19 B of leveraged positions were liquidated
market-wide in 24 hours, the largest on record (CoinGlass, reported e.g. by
https://yellow.com/research/trump-100-china-tariff-how-one-announcement-liquidated-dollar19-billion-in-crypto).
Chaos Labs' report to Aave governance: ether fell about 20 % within 30 minutes; Aave cleared over $180 M of
liquidations and accrued about $0.4 M of deficits, mostly CRV and ENS debt hit by thin liquidity, gas spikes and
oracle delays (https://governance.aave.com/t/chaos-labs-risk-report-insights-from-recent-market-events-10-11-25/23248).
Liquidity ×0.5 (*assumption*: makers pulled CEX quotes, yet on-chain ETH liquidity absorbed $180 M within the
hour). Gas ×5 (*assumption*). Oracle delay 0 for ETH (the delays Chaos Labs mentions hit long-tail assets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.sim.paths import FLAT, Shape, ShapedPaths

STABLECOINS = frozenset({"USDC", "USDT", "DAI", "USDS", "GHO", "PYUSD", "LUSD", "FRAX", "USDE", "CRVUSD", "TUSD"})
"""Quote-like assets that stay at 1 unless a scenario names them."""

ALIASES = {"WETH": "ETH", "WBTC": "BTC", "CBBTC": "BTC", "WSTETH": "STETH", "USTC": "UST"}
"""Wrapped tokens follow the asset they wrap (wstETH/USD moves as stETH/USD)."""


@dataclass(frozen=True)
class Scenario:
    """A named historical stress (see the module docstring for every number's source).

    Attributes
    ----------
    name
        Registry key, e.g. ``"black-thursday-2020"``.
    title
        One line.
    start
        ISO time (UTC) of the window's first bar.
    shapes
        Drawdown shape per asset symbol; ``primary`` names the one used for assets the scenario does not name.
    vol
        Annualised volatility of prices around the shape.
    liquidity
        Depth multiplier applied to the slippage curve (< 1: liquidity evaporated).
    gas_multiplier
        Multiplier on the market's normal gas price.
    oracle_delay
        Extra oracle delay, seconds.
    sources
        Where the numbers come from.
    """

    name: str
    title: str
    start: str
    shapes: Mapping[str, Shape]
    vol: float
    liquidity: float
    gas_multiplier: float
    oracle_delay: int = 0
    primary: str = "ETH"
    sources: tuple[str, ...] = field(default=())

    @property
    def drawdown(self) -> float:
        """Peak-to-trough fall of the primary asset (fraction)."""
        return self.shapes[self.primary].drawdown

    @property
    def duration(self) -> int:
        """Seconds from the start to the primary asset's trough."""
        return round(self.shapes[self.primary].trough[0] * 3600)

    @property
    def horizon(self) -> int:
        """Seconds covered by the knots (the default simulation horizon)."""
        return max(s.duration for s in self.shapes.values())

    def shape_for(self, symbol: str) -> Shape:
        """The shape an asset follows: its own, its underlying's, flat for an unnamed stablecoin, else the
        primary's."""
        key = symbol.upper()
        key = ALIASES.get(key, key)
        if key in self.shapes:
            return self.shapes[key]
        if key in STABLECOINS:
            return FLAT
        return self.shapes[self.primary]

    def model(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        quote: str = "USD",
        step: int = 300,
        severity: float = 1.0,
        noise: str = "bridge",
        correlation: np.ndarray | None = None,
        vol: float | Sequence[float] | None = None,
    ) -> ShapedPaths:
        """A path generator replaying this scenario at the given start prices (quote units).

        Shapes are in USD; when the quote asset has its own shape (USDC in ``usdc-depeg-2023``) every
        collateral shape is divided by it, since prices are quoted in it.
        """
        quote_shape = self.shape_for(quote) if quote.upper() not in ("USD",) else FLAT
        shapes = [_relative(self.shape_for(a), quote_shape) for a in assets]
        return ShapedPaths(
            assets,
            s0,
            shapes=shapes,
            sigma=self.vol if vol is None else vol,
            step=step,
            severity=severity,
            noise=noise,
            correlation=correlation,
        )

    def facts(self) -> dict[str, object]:
        """The headline numbers, JSON-ready."""
        hours, ratio = self.shapes[self.primary].trough
        return {
            "name": self.name,
            "title": self.title,
            "start": self.start,
            "asset": self.primary,
            "drawdown": self.drawdown,
            "trough_hours": hours,
            "trough_ratio": ratio,
            "horizon_hours": self.horizon / 3600,
            "vol": self.vol,
            "liquidity": self.liquidity,
            "gas_multiplier": self.gas_multiplier,
            "oracle_delay_s": self.oracle_delay,
        }


def _relative(shape: Shape, quote: Shape) -> Shape:
    if quote is FLAT:
        return shape
    hours = np.union1d(shape.hours, quote.hours)
    ratio = np.exp(shape.log_level(hours * 3600) - quote.log_level(hours * 3600))
    return Shape(tuple(float(h) for h in hours), tuple(float(r) for r in ratio))


def _shape(knots: Sequence[tuple[float, float]]) -> Shape:
    return Shape(tuple(float(h) for h, _ in knots), tuple(float(r) for _, r in knots))


_BINANCE_H = "Binance ETHUSDT hourly (shared data hourly/binance_ETHUSDT_1h_*.csv)"

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="black-thursday-2020",
            title="Black Thursday: COVID crash, gas > 200 gwei, Maker oracle 1 h behind",
            start="2020-03-12T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (3, 0.946),
                        (6, 0.9339),
                        (9, 0.8712),
                        (12, 0.7019),
                        (15, 0.7176),
                        (18, 0.7295),
                        (21, 0.662),
                        (24, 0.554),
                        (26.5, 0.4419),
                        (27, 0.571),
                        (30, 0.5993),
                        (33, 0.644),
                        (36, 0.6557),
                        (39, 0.652),
                        (42, 0.6349),
                        (45, 0.652),
                        (48, 0.6889),
                    ]
                )
            },
            vol=4.809,
            liquidity=0.3,
            gas_multiplier=16.3,
            oracle_delay=3600,
            sources=(
                _BINANCE_H,
                "shared data intraday/ethereum_gasprice_10m_2020-03-12.csv",
                "https://www.odaily.news/en/post/5147617",
            ),
        ),
        Scenario(
            name="may-2021",
            title="19 May 2021: leverage flush, gas 1,500+ gwei",
            start="2021-05-19T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (2, 0.9446),
                        (4, 0.9177),
                        (6, 0.8674),
                        (8, 0.8844),
                        (10, 0.8811),
                        (12, 0.8062),
                        (13.5, 0.5594),
                        (14, 0.7389),
                        (16, 0.8126),
                        (18, 0.8204),
                        (20, 0.7707),
                        (22, 0.7663),
                        (24, 0.7226),
                    ]
                )
            },
            vol=3.712,
            liquidity=0.4,
            gas_multiplier=14.0,
            sources=(
                _BINANCE_H,
                "shared data intraday/ethereum_gasprice_10m_2021-05-19.csv",
                "https://www.fxstreet.com/cryptocurrencies/news/fallout-ethereum-fees-skyrocketed-as-traders-raced-to-unwind-leveraged-positions-202105200728",
            ),
        ),
        Scenario(
            name="luna-2022",
            title="Terra/LUNA collapse: UST depeg, ETH −39 % over a week",
            start="2022-05-05T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (12, 0.9949),
                        (24, 0.9345),
                        (36, 0.91),
                        (48, 0.9157),
                        (60, 0.9144),
                        (72, 0.8962),
                        (84, 0.8733),
                        (96, 0.8569),
                        (108, 0.8182),
                        (120, 0.7578),
                        (132, 0.8168),
                        (144, 0.7964),
                        (156, 0.8196),
                        (168, 0.709),
                        (173.5, 0.6121),
                        (180, 0.6641),
                        (192, 0.6666),
                    ]
                ),
                "UST": _shape(
                    [
                        (0, 1.0),
                        (24, 0.9988),
                        (48, 0.9989),
                        (72, 0.9961),
                        (96, 0.9957),
                        (120, 0.7928),
                        (144, 0.7993),
                        (156, 0.2996),
                        (168, 0.8005),
                        (192, 0.4083),
                    ]
                ),
            },
            vol=1.525,
            liquidity=0.5,
            gas_multiplier=5.0,
            sources=(
                _BINANCE_H,
                "Yahoo USTC-USD daily (shared data daily/yahoo_USTC-USD_1d.csv)",
                "https://wiki.defillama.com/wiki/LUNA_Collapse_in_May_2022",
            ),
        ),
        Scenario(
            name="steth-depeg-2022",
            title="stETH discount and Celsius: ETH −51 %, stETH/ETH 0.94",
            start="2022-06-10T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (12, 0.9906),
                        (24, 0.9296),
                        (36, 0.881),
                        (48, 0.8569),
                        (60, 0.8212),
                        (72, 0.8021),
                        (84, 0.676),
                        (96, 0.6763),
                        (108, 0.657),
                        (120, 0.6758),
                        (132, 0.6261),
                        (144, 0.6918),
                        (156, 0.6211),
                        (168, 0.5973),
                        (180, 0.6108),
                        (192, 0.6076),
                        (204, 0.5619),
                        (212.5, 0.4928),
                        (216, 0.5563),
                    ]
                ),
                "STETH": _shape(
                    [
                        (0, 1.0),
                        (24, 0.9084),
                        (48, 0.8484),
                        (72, 0.8028),
                        (96, 0.6646),
                        (120, 0.6646),
                        (144, 0.6665),
                        (168, 0.5805),
                        (192, 0.5904),
                        (204, 0.4781),
                        (216, 0.5373),
                    ]
                ),
            },
            vol=1.674,
            liquidity=0.5,
            gas_multiplier=3.0,
            sources=(
                _BINANCE_H,
                "Yahoo STETH-USD daily (shared data daily/yahoo_STETH-USD_1d.csv)",
                "https://nansen.ai/research/on-chain-forensics-demystifying-steth-depeg",
            ),
        ),
        Scenario(
            name="ftx-2022",
            title="FTX collapse: ETH −34 % in four days",
            start="2022-11-06T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (6, 0.993),
                        (12, 0.9959),
                        (18, 0.9933),
                        (24, 0.9639),
                        (30, 0.9762),
                        (36, 0.9711),
                        (42, 0.9745),
                        (48, 0.9638),
                        (54, 0.9038),
                        (60, 0.9077),
                        (66, 0.8896),
                        (72, 0.8204),
                        (78, 0.8008),
                        (84, 0.7499),
                        (90, 0.7182),
                        (95.5, 0.6598),
                        (96, 0.6778),
                        (102, 0.7297),
                        (108, 0.7296),
                        (114, 0.7739),
                        (120, 0.7986),
                    ]
                )
            },
            vol=1.669,
            liquidity=0.5,
            gas_multiplier=2.0,
            sources=(_BINANCE_H, "https://research.kaiko.com/insights/centralized-exchange-liquidity"),
        ),
        Scenario(
            name="usdc-depeg-2023",
            title="SVB: USDC at $0.877, ETH −11 % then +9 %",
            start="2023-03-09T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (6, 1.0035),
                        (12, 1.0019),
                        (18, 0.9981),
                        (24, 0.938),
                        (30, 0.9267),
                        (34.5, 0.893),
                        (36, 0.9036),
                        (42, 0.9184),
                        (48, 0.9309),
                        (54, 0.9542),
                        (60, 0.9313),
                        (66, 0.9459),
                        (72, 0.9606),
                        (78, 0.9547),
                        (84, 0.9561),
                        (90, 0.9886),
                        (96, 1.0313),
                        (102, 1.0438),
                        (108, 1.0318),
                        (114, 1.0894),
                        (120, 1.0921),
                    ]
                ),
                "USDC": _shape(
                    [(0, 1.0), (24, 1.0002), (48, 0.9996), (60, 0.8775), (72, 0.9716), (96, 0.9922), (120, 0.9991)]
                ),
            },
            vol=0.818,
            liquidity=0.5,
            gas_multiplier=2.0,
            sources=(
                _BINANCE_H,
                "Yahoo USDC-USD daily (shared data daily/yahoo_USDC-USD_1d.csv)",
                "https://www.tronweekly.com/crypto-market-depth-takes-a-hit-kaiko-report/amp/",
            ),
        ),
        Scenario(
            name="aug-2024",
            title="Yen carry unwind: ETH −34 % in three days, $320 M DeFi liquidations",
            start="2024-08-02T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (6, 0.983),
                        (12, 0.9845),
                        (18, 0.9445),
                        (24, 0.9333),
                        (30, 0.9289),
                        (36, 0.9356),
                        (42, 0.9062),
                        (48, 0.9064),
                        (54, 0.9101),
                        (60, 0.9097),
                        (66, 0.8429),
                        (72, 0.8394),
                        (73.5, 0.659),
                        (78, 0.7216),
                        (84, 0.715),
                        (90, 0.7709),
                        (96, 0.7553),
                    ]
                )
            },
            vol=1.487,
            liquidity=0.6,
            gas_multiplier=10.0,
            sources=(
                _BINANCE_H,
                "https://mackhal.com/8593.html",
                "https://crypto-feed.news/learn/defi/massive-defi-liquidations-amid-crypto-market-crash/",
            ),
        ),
        Scenario(
            name="oct-2025",
            title="10 Oct 2025: tariff shock, ETH −21 % intraday, $19 B liquidated market-wide",
            start="2025-10-10T00:00:00Z",
            shapes={
                "ETH": _shape(
                    [
                        (0, 1.0),
                        (4, 0.9952),
                        (8, 0.9898),
                        (12, 0.9943),
                        (16, 0.9393),
                        (20, 0.9152),
                        (22, 0.7864),
                        (24, 0.8767),
                        (28, 0.8682),
                        (32, 0.8605),
                        (36, 0.8791),
                        (40, 0.8757),
                        (44, 0.8609),
                        (48, 0.8578),
                    ]
                )
            },
            vol=2.188,
            liquidity=0.5,
            gas_multiplier=5.0,
            sources=(
                "Binance ETHUSDT 4h (shared data intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv)",
                "https://yellow.com/research/trump-100-china-tariff-how-one-announcement-liquidated-dollar19-billion-in-crypto",
            ),
        ),
    )
}
"""The shipped scenarios, by name."""


def get_scenario(name: str | Scenario) -> Scenario:
    """Look a scenario up by name (case-insensitive).

    Raises
    ------
    SolvencyInputError
        Unknown name, listing the known ones.
    """
    if isinstance(name, Scenario):
        return name
    key = str(name).strip().lower()
    if key not in SCENARIOS:
        raise SolvencyInputError(f"unknown scenario {name!r}", hint=f"choose one of: {', '.join(sorted(SCENARIOS))}")
    return SCENARIOS[key]


def scenario_names() -> list[str]:
    """Names of the shipped scenarios, in chronological order."""
    return list(SCENARIOS)
