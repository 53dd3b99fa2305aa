"""Market specifications: pydantic models read from TOML files.

A market spec describes one market of a protocol — the asset, where its prices come from, the parameters
currently in force, the liquidity that absorbs liquidations, the oracle and liquidators, the loan book and
the risk budget. Every section has a documented default, so ``MarketSpec()`` is a usable WETH/USDC lending
market on the embedded sample prices; ``examples/markets/*.toml`` carry real protocols' parameters.

Units follow DESIGN §3: ratios are fractions, sizes are in the quote (debt) asset, time spans are strings
such as ``"10m"`` (converted with :func:`solvency.units.parse_duration`). Relative file paths are resolved
against the directory of the TOML file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solvency.errors import ConfigError
from solvency.units import parse_duration

_M = TypeVar("_M", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


def _span(value: Any) -> str:
    parse_duration(value)  # raises a clear error on a bad span
    return str(value) if not isinstance(value, int | float) else f"{int(value)}s"


class PricesSpec(_Section):
    """Where the market's price history comes from (default: the embedded sample)."""

    file: Path | None = Field(None, description="price file (CSV/Parquet/JSON); None = embedded sample")
    column: str | None = Field(None, description="series to use where the file holds several")
    freq: str = Field("1d", description="bar length of the embedded sample when no file is given")
    sample_vol_multiplier: float = Field(
        1.0, gt=0, description="embedded sample only: log returns scaled by this (an asset calmer or wilder than ETH)"
    )
    sample_price: float | None = Field(
        None, gt=0, description="embedded sample only: price level of its first bar (default: the sample's 750)"
    )


class LendingParams(_Section):
    """Parameters of a lending market (Aave v3 naming), as fractions; caps in units of the asset."""

    ltv: float = Field(0.805, gt=0, lt=1, description="maximum loan-to-value at borrow time")
    liquidation_threshold: float = Field(0.83, gt=0, lt=1, description="LT: health factor = collateral·LT/debt")
    liquidation_bonus: float = Field(0.05, ge=0, lt=1, description="LB: extra collateral paid to liquidators")
    close_factor: float = Field(0.5, gt=0, le=1, description="share of debt repayable in one liquidation")
    supply_cap: float | None = Field(None, gt=0, description="max collateral supplied, asset units")
    borrow_cap: float | None = Field(None, gt=0, description="max debt borrowed, quote units")

    @model_validator(mode="after")
    def _invariants(self) -> LendingParams:
        if not self.ltv < self.liquidation_threshold:
            raise ValueError(f"ltv {self.ltv} must be below liquidation_threshold {self.liquidation_threshold}")
        if not self.liquidation_threshold * (1 + self.liquidation_bonus) < 1 + 1e-12:
            raise ValueError("liquidation_threshold·(1+liquidation_bonus) must not exceed 1")
        return self


class LiquiditySpec(_Section):
    """How much the price moves when ``size`` (quote units) of collateral is sold.

    * ``constant_product``: an x·y = k pool with ``reserve_base`` / ``reserve_quote``;
    * ``depth_table``: ``sizes`` (quote units) sold at ``slippages`` (fractions), interpolated;
    * ``power_law``: slippage = ``coefficient`` · (size / 1e6) ** ``exponent``.

    In stress scenarios depth is multiplied by ``stress_multiplier`` (< 1: liquidity evaporates).
    """

    kind: Literal["constant_product", "depth_table", "power_law"] = "depth_table"
    reserve_base: float | None = Field(None, gt=0)
    reserve_quote: float | None = Field(None, gt=0)
    sizes: list[float] | None = Field(
        # Order of magnitude of ETH/USDC on-chain + CEX depth in 2023 (Risk DAO usd_volume_for_slippage style).
        default_factory=lambda: [1e6, 1e7, 5e7, 1e8, 2.5e8],
        description="quote amounts sold",
    )
    slippages: list[float] | None = Field(
        default_factory=lambda: [0.001, 0.005, 0.02, 0.04, 0.10], description="price impact at each size"
    )
    coefficient: float | None = Field(None, gt=0)
    exponent: float | None = Field(None, gt=0)
    stress_multiplier: float = Field(0.5, gt=0, le=1, description="depth multiplier in stress")
    recovery: str | None = Field(
        "1h", description="half-life of the price impact of liquidation sales (None: the impact is permanent)"
    )

    @field_validator("recovery")
    @classmethod
    def _recovery(cls, value: Any) -> str | None:
        if value is None or str(value).strip().lower() in {"none", "permanent", "inf"}:
            return None
        return _span(value)

    @model_validator(mode="after")
    def _complete(self) -> LiquiditySpec:
        if self.kind == "constant_product" and (self.reserve_base is None or self.reserve_quote is None):
            raise ValueError("constant_product liquidity needs reserve_base and reserve_quote")
        if self.kind == "depth_table":
            if not self.sizes or not self.slippages or len(self.sizes) != len(self.slippages):
                raise ValueError("depth_table liquidity needs sizes and slippages of equal length")
            if any(b <= a for a, b in zip(self.sizes, self.sizes[1:], strict=False)):
                raise ValueError("depth_table sizes must increase")
            if any(s <= 0 or s >= 1 for s in self.slippages):
                raise ValueError("depth_table slippages must be fractions in (0, 1)")
        if self.kind == "power_law" and (self.coefficient is None or self.exponent is None):
            raise ValueError("power_law liquidity needs coefficient and exponent")
        return self


class OracleSpec(_Section):
    """Price oracle of the protocol (Chainlink-style push oracle)."""

    heartbeat: str = Field("1h", description="maximum time between updates")
    deviation: float = Field(0.005, ge=0, lt=1, description="relative move that forces an update")
    delay: str = Field("0s", description="extra delay between the market and the oracle")

    _v = field_validator("heartbeat")(_span)

    @field_validator("delay")
    @classmethod
    def _delay(cls, value: Any) -> str:
        if str(value).strip() in {"0", "0s", "0m"}:
            return "0s"
        return _span(value)


class LiquidatorSpec(_Section):
    """The liquidators competing for the market's positions."""

    latency: str = Field("1m", description="time from liquidatable to liquidated")
    capacity_per_step: float = Field(
        2.5e7, gt=0, description="quote amount they can repay per [sim] step (scaled to other step lengths)"
    )
    gas_units: float = Field(500_000, gt=0, description="gas used by one liquidation")
    gas_price_gwei: float = Field(30.0, gt=0, description="gas price in normal times")
    native_price: float = Field(3_000.0, gt=0, description="price of the gas token in quote units")
    gas_token: str = Field("ETH", description="gas token; a simulated asset that is (or wraps) it prices the gas")
    per_step: int = Field(1, ge=1, description="times one position can be liquidated in one step")
    profit_check: bool = Field(True, description="liquidate only when bonus covers slippage and gas")

    _v = field_validator("latency")(_span)


class BookSpec(_Section):
    """The loan book: a CSV of positions, or a synthetic book with these properties."""

    file: Path | None = None
    positions: int = Field(5_000, gt=0, description="synthetic: number of positions")
    debt_total: float = Field(1.0e9, gt=0, description="synthetic: total debt, quote units")
    whale_share: float = Field(0.2, ge=0, lt=1, description="synthetic: share of debt held by the top 1 %")
    seed: int = 7
    hf_median: float = Field(1.5, gt=1, description="synthetic: median health factor")
    hf_dispersion: float = Field(0.9, gt=0, description="synthetic: log-sd of (HF - hf_min)")
    hf_min: float = Field(1.0, gt=0, description="synthetic: lowest health factor at the start")
    size_dispersion: float = Field(1.5, gt=0, description="synthetic: log-sd of debt sizes")
    multi_collateral_share: float = Field(0.0, ge=0, le=1, description="synthetic: positions with two assets")


class RiskSpec(_Section):
    """The risk budget and how it is measured."""

    budget: float = Field(0.001, gt=0, lt=1, description="ES99 of bad debt allowed, fraction of debt")
    horizon: str = Field("1d", description="stress horizon")
    coverage: float = Field(0.99, gt=0.5, lt=1)
    paths: int = Field(10_000, gt=0)
    scenarios: list[str] = Field(default_factory=lambda: ["black-thursday-2020", "oct-2025"])

    _v = field_validator("horizon")(_span)


class PerpSpec(_Section):
    """A perpetual-futures market: liquidation mechanics, depth and the margin-calibration settings.

    Price impact of closing ``size`` (quote units) is the square-root law
    ``impact_coefficient · (size / impact_reference) ** impact_exponent`` (Tóth et al. 2011), a fraction of price.
    """

    liquidation_horizon: str = Field("1h", description="time to close a position once it is liquidatable")
    maintenance_fraction: float = Field(0.6, gt=0, le=1, description="MMF / IMF (dYdX v4 default 0.6)")
    tier_notionals: list[float] = Field(
        default_factory=lambda: [1e5, 1e6, 5e6, 2.5e7, 1e8], description="upper notional of each margin tier"
    )
    impact_coefficient: float = Field(0.001, gt=0, description="impact of closing impact_reference, fraction")
    impact_reference: float = Field(1e6, gt=0, description="size (quote) at which impact = impact_coefficient")
    impact_exponent: float = Field(0.5, gt=0, le=1, description="exponent of the impact law")
    liquidation_fee_floor: float = Field(0.001, ge=0, lt=1)
    liquidation_fee_cap: float = Field(0.015, gt=0, lt=1, description="dYdX v4 caps the fee at 1.5 %")
    typical_liquidation_size: float = Field(1e5, gt=0, description="quote size of a typical liquidation")
    keeper_cost: float = Field(1.0, ge=0, description="quote cost of one liquidation transaction")
    oi_liquidation_share: float = Field(0.25, gt=0, le=1, description="share of OI liquidated in a tail move")
    oi_impact_budget: float = Field(0.02, gt=0, lt=1, description="impact allowed when closing that share")
    oi_cap_ratio: float = Field(2.0, gt=1, description="upper OI cap / lower OI cap (dYdX v4 uses 2)")
    vol_basis: Literal["max", "current", "average"] = Field("max", description="which FHS tail move sets MMF")
    insurance_horizon: str = Field("7d", description="window over which bankruptcies are simulated")
    insurance_paths: int = Field(2000, gt=0)
    insurance_positions: int = Field(400, gt=0, description="positions per side in the simulated book")
    seed: int = 11

    _v = field_validator("liquidation_horizon", "insurance_horizon")(_span)

    @field_validator("tier_notionals")
    @classmethod
    def _tiers(cls, value: list[float]) -> list[float]:
        if not value or min(value) <= 0 or value != sorted(set(value)):
            raise ValueError("tier_notionals must be positive and increasing")
        return value


class OptionsSpec(_Section):
    """Portfolio-margin settings for options on the market's asset (Deribit / Derive-style scenario grid)."""

    spot: float | None = Field(None, gt=0, description="underlying price; None = last close of the prices")
    implied_vol: float | None = Field(None, gt=0, description="flat IV for positions without one; None = FHS σ")
    rate: float = Field(0.0, description="discount rate (0: crypto options margined in the underlying)")
    price_range: float | None = Field(None, gt=0, lt=1, description="R; None = FHS tail move at risk.coverage")
    margin_horizon: str = Field("1d", description="horizon of the FHS tail move that sets R")
    price_steps: int = Field(9, ge=3, description="evenly spaced price moves from -R to +R (odd: includes 0)")
    vol_up: float = Field(0.45, ge=0, description="relative IV shock up at 30 days to expiry")
    vol_down: float = Field(0.30, ge=0, lt=1, description="relative IV shock down at 30 days to expiry")
    tenor_power: float = Field(0.3, ge=0, description="p in the tenor scaling (30 / DTE) ** p")
    min_dte_days: float = Field(1.0, gt=0, description="DTE floor of the tenor scaling")
    extended_moves: list[float] = Field(
        default_factory=lambda: [-3.0, -2.0, 2.0, 3.0, 4.0, 5.0], description="extended moves, multiples of R"
    )
    extended_weight: float = Field(0.3, ge=0, le=1, description="weight of extended-move losses")
    short_option_minimum: float = Field(0.01, ge=0, description="minimum margin per short option, × spot")
    maintenance_ratio: float = Field(0.8, gt=0, le=1, description="MM = maintenance_ratio × IM")
    valuation_time: str | None = Field(None, description="ISO time of valuation; None = time of the last price")

    _v = field_validator("margin_horizon")(_span)


class AssetSpec(_Section):
    """A further collateral asset of the market (multi-collateral books and multi-asset paths)."""

    symbol: str
    price: float = Field(gt=0, description="start price, quote units")
    vol: float | None = Field(None, gt=0, description="annualised volatility (default: the main asset's)")
    liquidation_threshold: float = Field(gt=0, lt=1)
    liquidation_bonus: float = Field(ge=0, lt=1)
    liquidity: LiquiditySpec = Field(default_factory=LiquiditySpec)


class SimSpec(_Section):
    """How ``solvency stress`` simulates the market when no scenario or price file is given, and its engine."""

    step: str = Field("5m", description="simulation step (capacity_per_step is per this step)")
    model: Literal["gbm", "merton", "garch", "bootstrap"] = Field("gbm", description="path model")
    vol: float | None = Field(None, gt=0, description="annualised volatility; None: EWMA of the price history")
    drift: float = Field(0.0, description="annualised drift of the price")
    jump_rate: float = Field(10.0, ge=0, description="merton: jumps per year")
    jump_mean: float = Field(-0.05, description="merton: mean log jump")
    jump_std: float = Field(0.05, ge=0, description="merton: sd of the log jump")
    block: float = Field(10.0, ge=1, description="bootstrap: mean block length in bars")
    gjr: bool = Field(False, description="garch: GJR asymmetry")
    start_price: float | None = Field(None, gt=0, description="start price (default: last close of the prices)")
    severity: float = Field(1.0, gt=0, description="scenarios: scale of the drawdown shape")
    noise: Literal["bridge", "free"] = Field("bridge", description="scenarios: noise pinned to the knots or free")
    engine: Literal["fast", "general", "reference"] = "fast"
    policy: str = Field("health_first", description="liquidation priority policy")
    copula: Literal["gaussian", "t"] = "gaussian"
    copula_df: float = Field(4.0, gt=2)
    correlation: list[list[float]] | None = Field(None, description="correlation of [asset, *assets] returns")
    stressed_correlation: list[list[float]] | None = Field(None, description="correlation used in scenarios")
    assets: list[AssetSpec] = Field(default_factory=list, description="further collateral assets")

    _v = field_validator("step")(_span)


class StewardSpec(_Section):
    """Limits a transition plan respects, as Aave's Risk Steward enforces them on chain.

    Defaults: ``aave-dao/aave-v3-risk-stewards`` ``scripts/deploy/DeployStewards.s.sol`` ``_getRiskConfig()``
    (LTV / LT / LB ``maxPercentChange: 50`` bps absolute, ``minDelay: 3 days``; caps ``maxPercentChange``
    ``30_00``–``100_00`` bps relative), checked by ``RiskSteward._updateWithinAllowedRange``.
    """

    max_step: float = Field(0.005, gt=0, lt=1, description="largest change of LTV, LT or LB per step (absolute)")
    min_days: float = Field(3.0, gt=0, description="least days between two steps")
    cap_relative: float = Field(0.3, gt=0, description="largest relative change of a cap per step")


class EModeSpec(_Section):
    """An efficiency-mode category for a correlated pair (e.g. wstETH collateral against ETH debt).

    The pair's relative price (collateral / debt asset) drives the calibration: by default the depeg of the
    named scenario's collateral against the debt asset as :mod:`solvency.calibrate.emode` documents it, or a
    ``ratio_file`` (a price file whose close is the collateral priced in the debt asset).
    """

    collateral: str = Field("wstETH", description="collateral asset of the category")
    debt: str = Field("ETH", description="debt asset of the category (the unit of debt_total and the depth)")
    scenario: str = Field("steth-depeg-2022", description="depeg scenario (its gas and liquidity conditions)")
    ratio_file: Path | None = Field(None, description="collateral/debt price file; None = embedded depeg path")
    current: LendingParams = Field(
        # Aave v3 Ethereum e-mode category 1 (ETH correlated): LTV 93 %, LT 95 %, LB 1 %.
        default_factory=lambda: LendingParams(ltv=0.93, liquidation_threshold=0.95, liquidation_bonus=0.01)
    )
    liquidity: LiquiditySpec = Field(
        # Curve stETH/ETH-like depth in ETH: 10k ETH at 0.1 %, 100k at 1 %, 200k at 3 % (order of magnitude, 2023).
        default_factory=lambda: LiquiditySpec(
            kind="depth_table", sizes=[1e4, 5e4, 1e5, 2e5], slippages=[0.001, 0.004, 0.01, 0.03]
        )
    )
    debt_total: float = Field(3.0e5, gt=0, description="debt of the e-mode book, in the debt asset")
    positions: int = Field(2_000, gt=0, description="positions of the synthetic e-mode book")
    ratio_vol: float | None = Field(None, gt=0, description="annualised vol of the ratio; None = the path's own")
    lt_max: float = Field(0.97, gt=0, lt=1, description="highest e-mode LT searched (a clamp, reported)")


class JumpSpec(_Section):
    """A law of downward price jumps for the LT search's stress paths (:class:`solvency.market.jumps.JumpLaw`).

    Sizes are counted in diffusive standard deviations of one bar of ``frequency``; a field left out takes the
    default law's value (:data:`solvency.market.jumps.ETH_HOURLY_JUMPS`, estimated on ETH hourly 2017–2025).
    """

    intensity: float | None = Field(None, ge=0, description="downward jumps per year")
    threshold: float | None = Field(None, ge=0, description="smallest jump, diffusive sds of one bar")
    mean_excess: float | None = Field(None, ge=0, description="mean size above the threshold, same units")
    frequency: str | None = Field(None, description="bar the sizes are counted in (the estimate's: 1h)")

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: Any) -> str | None:
        return None if value is None else _span(value)


class CalibrationSpec(_Section):
    """Settings of the lending calibrator (:func:`solvency.calibrate.lending.calibrate_lending`).

    See the module docstrings of :mod:`solvency.calibrate` for the method behind each.
    """

    vol_model: Literal["ewma", "garch", "gjr", "har"] = Field("ewma", description="model of σ (see volatility())")
    tail_df: float = Field(
        4.0, gt=2, description="Student-t ν of the LTV buffer's move, and of the paths' volatility mix if student-t"
    )
    vol_mixture: Literal["estimated", "student-t"] = Field(
        "estimated",
        description="per-path volatility level of the stress paths: the law measured on ETH (3-day realized over "
        "forecast volatility, stratified) or the Student-t mixture with tail_df",
    )
    jumps: Literal["default", "none"] | JumpSpec = Field(
        "default",
        description="downward jumps of the stress paths: the law estimated on ETH hourly data (default), none, "
        "or a table {intensity, threshold, mean_excess, frequency} (missing fields from the default)",
    )
    jump_rate: Literal["level", "pooled"] = Field(
        "level",
        description="rate of the stress paths' jumps: falling with the path's volatility level as measured on ETH "
        "(level, thinned) or one pooled rate at every level; a jumps table that sets intensity is pooled",
    )
    horizon: str | None = Field(None, description="stress horizon of the LT search; None = [risk] horizon")
    scenarios: list[str] | None = Field(None, description="scenarios for the bonus and caps; None = [risk] scenarios")
    step: str | None = Field(None, description="step of the LT search paths; None = [sim] step")
    lt_min: float = Field(0.30, gt=0, lt=1, description="lowest LT searched")
    lt_max: float = Field(0.95, gt=0, lt=1, description="highest LT searched (a clamp, reported when it binds)")
    lt_step: float = Field(0.0025, gt=0, lt=0.1, description="grid of LT values (absolute)")
    search_share: float = Field(
        0.1, gt=0, le=1, description="share of paths (deepest falls) the search simulates; the result uses all"
    )
    sigma_min: float = Field(0.10, gt=0, description="lowest node of the σ grid of the LT frontier")
    sigma_ratio: float = Field(1.25, gt=1, description="ratio between σ grid nodes")
    sigma_max: float = Field(6.0, gt=0, description="highest node of the σ grid")
    ltv_horizon: str = Field("1h", description="move a borrower at max LTV must survive before acting: horizon")
    ltv_coverage: float = Field(0.99, gt=0.5, lt=1, description="… and its coverage")
    ltv_gap: float = Field(0.005, gt=0, lt=1, description="least distance LT − LTV")
    max_lt_bonus: float = Field(0.99, gt=0, lt=1, description="upper bound of LT·(1+LB) (< 1: toxic-spiral bound)")
    typical_quantile: float = Field(0.5, gt=0, lt=1, description="debt-weighted quantile of the typical position")
    lb_concurrent: bool = Field(True, description="LB covers slippage on top of the cascade's unrecovered sales")
    lb_max: float = Field(0.15, gt=0, lt=1, description="highest LB recommended (Morpho Blue caps it at 15 %)")
    liquidation_bonus: float | None = Field(
        None, ge=0, lt=1, description="hold LB at this value instead of calibrating it (LT and caps follow)"
    )
    liquidated_at_once: float = Field(0.9, gt=0, le=1, description="Chaos: share of the extreme amount sold at once")
    extreme_drop: float | None = Field(None, gt=0, lt=1, description="Chaos extreme drop; None = the scenarios'")
    depth_ratio: float = Field(2.0, gt=1, le=16, description="ratio between the depth nodes of the LT ladder")
    depth_top_slippage: float = Field(
        0.10, gt=0, lt=1, description="ladder top: the book's collateral sells within this slippage (stressed)"
    )
    regime_depth: dict[str, float] = Field(
        default_factory=lambda: {"calm": 1.0, "normal": 1.0, "stressed": 0.75, "crisis": 0.5},
        description="depth multiplier per regime for the oracle's target table",
    )
    steward: StewardSpec = Field(default_factory=StewardSpec)
    emode: EModeSpec | None = Field(None, description="an e-mode category to calibrate beside the market")
    seed: int = 4

    _v = field_validator("ltv_horizon")(_span)

    @field_validator("step", "horizon")
    @classmethod
    def _step(cls, value: Any) -> str | None:
        return None if value is None else _span(value)

    @field_validator("regime_depth")
    @classmethod
    def _regimes(cls, values: dict[str, float]) -> dict[str, float]:
        names = ("calm", "normal", "stressed", "crisis")
        if set(values) != set(names):
            raise ValueError(f"give one depth multiplier for each regime {list(names)}")
        if any(not 0 < v <= 10 for v in values.values()):
            raise ValueError("regime depth multipliers must be in (0, 10]")
        return values

    @model_validator(mode="after")
    def _ranges(self) -> CalibrationSpec:
        if not self.lt_min < self.lt_max:
            raise ValueError(f"lt_min {self.lt_min} must be below lt_max {self.lt_max}")
        if not self.sigma_min < self.sigma_max:
            raise ValueError(f"sigma_min {self.sigma_min} must be below sigma_max {self.sigma_max}")
        return self


class MarketSpec(_Section):
    """One market of a protocol. ``MarketSpec()`` is a WETH/USDC lending market on the embedded sample."""

    name: str = "sample-weth"
    asset: str = "WETH"
    quote: str = "USDC"
    protocol: Literal["lending", "perp", "options"] = "lending"
    prices: PricesSpec = Field(default_factory=PricesSpec)
    current: LendingParams = Field(default_factory=LendingParams)
    liquidity: LiquiditySpec = Field(default_factory=LiquiditySpec)
    oracle: OracleSpec = Field(default_factory=OracleSpec)
    liquidators: LiquidatorSpec = Field(default_factory=LiquidatorSpec)
    book: BookSpec = Field(default_factory=BookSpec)
    risk: RiskSpec = Field(default_factory=RiskSpec)
    perp: PerpSpec = Field(default_factory=PerpSpec)
    options: OptionsSpec = Field(default_factory=OptionsSpec)
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)

    sim: SimSpec = Field(default_factory=SimSpec)
    source: Path | None = Field(None, description="the TOML file this spec was read from", exclude=True)


def as_market_spec(market: MarketSpec | str | Path | None) -> MarketSpec:
    """A :class:`MarketSpec` from a spec, a TOML path (:func:`load_market`) or ``None`` (the default market)."""
    if market is None:
        return MarketSpec()
    if isinstance(market, MarketSpec):
        return market
    return load_market(market)


def load_market(path: str | Path) -> MarketSpec:
    """Read a market spec from TOML, resolving relative file paths against the file's directory.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a field is invalid (the message names the field).
    """
    path = Path(path)
    spec = read_model(MarketSpec, path)
    base = path.parent
    if spec.prices.file is not None and not spec.prices.file.is_absolute():
        spec.prices.file = base / spec.prices.file
    if spec.book.file is not None and not spec.book.file.is_absolute():
        spec.book.file = base / spec.book.file
    emode = spec.calibration.emode
    if emode is not None and emode.ratio_file is not None and not emode.ratio_file.is_absolute():
        emode.ratio_file = base / emode.ratio_file
    spec.source = path
    return spec


def read_model(model: type[_M], path: str | Path) -> _M:
    """Read a TOML file into a pydantic model, with a :class:`ConfigError` naming the file and the field."""
    try:
        return model.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ConfigError(_describe(exc), path=path) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, with a :class:`ConfigError` naming the file and line on failure."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config file not found", path=path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
