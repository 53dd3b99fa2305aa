"""Oracle configuration: pydantic models read from a TOML file (``examples/oracle.toml``).

The sections, with every default documented on its field:

* ``[service]`` — where the server listens (loopback by default), the ledger file, the Ed25519 private key, the
  token hashes of writers (``POST /v1/prices``) and admins (``POST /v1/admin/*``);
* ``[volatility]`` and ``[regime]`` — the online estimator (time-aware EWMA, half-lives in time) and the regime
  thresholds (short/long vol ratio, drawdown, implied/realised ratio);
* ``[assets.NAME]`` — the price sources of one asset, their heartbeat, quorum, deviation and jump limits;
* ``[markets.NAME]`` — a lending market on one asset: its parameters now (``params``), the guardrail of each
  parameter (``rules.PARAM``), the invariants and the target model (``model``).

Units follow DESIGN §3: ratios are fractions, caps are in units of the asset (supply) or the quote (borrow),
time spans are strings such as ``"10m"`` (``"0s"`` allowed where a field says so). Relative paths are resolved
against the directory of the TOML file.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from solvency.config import _Section, _span, read_model, read_toml
from solvency.errors import ConfigError
from solvency.units import parse_duration

RATIO_PARAMS: tuple[str, ...] = ("ltv", "liquidation_threshold", "liquidation_bonus")
"""Parameters that are fractions; their max step is absolute (Aave steward ``isChangeRelative = false``)."""

CAP_PARAMS: tuple[str, ...] = ("supply_cap", "borrow_cap")
"""Parameters that are amounts; their max step is relative (Aave steward ``isChangeRelative = true``)."""

PARAMETERS: tuple[str, ...] = RATIO_PARAMS + CAP_PARAMS
"""Every parameter the oracle can publish (Aave v3 names, as in :class:`solvency.config.LendingParams`)."""

REGIMES: tuple[str, ...] = ("calm", "normal", "stressed", "crisis")
"""Market regimes, from the quietest; the index of a regime is its level."""

_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def seconds(span: str) -> int:
    """Seconds of a span string; ``"0s"`` (or ``"0"``) is zero, which :func:`parse_duration` refuses."""
    text = str(span).strip().lower()
    if text in {"0", "0s", "0m", "0h", "0d"}:
        return 0
    return parse_duration(text)


def _span_or_zero(value: Any) -> str:
    if str(value).strip().lower() in {"0", "0s", "0m", "0h", "0d"}:
        return "0s"
    return _span(value)


def token_hash(token: str) -> str:
    """The form in which a bearer token is stored in the config: ``"sha256:" + hex digest``.

    Examples
    --------
    >>> token_hash("abc")[:20]
    'sha256:ba7816bf8f01c'
    """
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class ServiceSection(_Section):
    """How the server runs: address, files, tokens."""

    host: str = Field("127.0.0.1", description="listen address; loopback by default")
    port: int = Field(8787, ge=0, le=65_535, description="listen port (0: any free port)")
    ledger: Path = Field(Path("oracle-ledger.sqlite"), description="SQLite ledger file")
    private_key: Path = Field(Path("keys/oracle_ed25519.pem"), description="Ed25519 private key (PEM, PKCS8)")
    tokens: Path | None = Field(
        Path("keys/tokens.toml"), description="file of token hashes written by `solvency keys new`; None: inline only"
    )
    writer_token_hashes: list[str] = Field(default_factory=list, description='"sha256:<hex>" of writer tokens')
    admin_token_hashes: list[str] = Field(default_factory=list, description='"sha256:<hex>" of admin tokens')
    max_batch: int = Field(100_000, gt=0, description="most ticks accepted in one POST /v1/prices")
    housekeeping: str = Field("1s", description="period of the timer that expires pending ticks and re-evaluates")
    verify_on_start: bool = Field(True, description="verify the whole ledger chain before serving")

    _v = field_validator("housekeeping")(_span)

    @field_validator("writer_token_hashes", "admin_token_hashes")
    @classmethod
    def _hashes(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _HASH.match(value):
                raise ValueError(f'{value!r} is not a token hash "sha256:<64 hex>" (`solvency keys hash-token`)')
        return values


class VolatilitySpec(_Section):
    """Online volatility: two time-aware EWMAs of the variance rate (RiskMetrics recursion, decay per second)."""

    short_half_life: str = Field("6h", description="half-life of the fast EWMA (reacts within hours)")
    long_half_life: str = Field("11.2d", description="half-life of the slow EWMA (≈ RiskMetrics λ = 0.94 daily)")
    min_sample_interval: str = Field("1m", description="the consensus price is sampled at most this often; 0s: every")
    drawdown_window: str = Field("7d", description="drawdown is measured from the highest price in this window")
    implied_vol_max_age: str = Field("2h", description="an implied-vol input older than this is ignored")
    sigma_hold: str = Field("24h", description="σ used for targets is the highest of this window (loosen slowly)")

    _v = field_validator("short_half_life", "long_half_life", "drawdown_window", "implied_vol_max_age")(_span)
    _z = field_validator("min_sample_interval", "sigma_hold")(_span_or_zero)

    @model_validator(mode="after")
    def _order(self) -> VolatilitySpec:
        if parse_duration(self.short_half_life) >= parse_duration(self.long_half_life):
            raise ValueError("short_half_life must be shorter than long_half_life")
        return self


class RegimeSpec(_Section):
    """Thresholds of the regime classifier (see :func:`solvency.oracle.state.classify_regime`).

    A signal at or above its ``stressed_*`` threshold makes the regime at least *stressed*, at or above its
    ``crisis_*`` threshold *crisis*; the regime is *calm* only when every signal is at or below its ``calm_*``
    threshold. To step down, signals must fall below the thresholds times ``hysteresis``.
    """

    calm_ratio: float = Field(0.8, gt=0, description="σ_short/σ_long at or below which the market is calm")
    stressed_ratio: float = Field(1.5, gt=0, description="σ_short/σ_long for stressed")
    crisis_ratio: float = Field(2.5, gt=0, description="σ_short/σ_long for crisis")
    calm_drawdown: float = Field(0.05, ge=0, lt=1)
    stressed_drawdown: float = Field(0.10, gt=0, lt=1)
    crisis_drawdown: float = Field(0.20, gt=0, lt=1)
    stressed_iv_ratio: float = Field(1.3, gt=0, description="implied vol / σ_long for stressed")
    crisis_iv_ratio: float = Field(2.0, gt=0, description="implied vol / σ_long for crisis")
    hysteresis: float = Field(0.8, gt=0, le=1, description="factor on thresholds to leave a regime downwards")

    @model_validator(mode="after")
    def _order(self) -> RegimeSpec:
        if not self.calm_ratio < self.stressed_ratio < self.crisis_ratio:
            raise ValueError("need calm_ratio < stressed_ratio < crisis_ratio")
        if not self.calm_drawdown < self.stressed_drawdown < self.crisis_drawdown:
            raise ValueError("need calm_drawdown < stressed_drawdown < crisis_drawdown")
        if not self.stressed_iv_ratio < self.crisis_iv_ratio:
            raise ValueError("need stressed_iv_ratio < crisis_iv_ratio")
        return self


class AssetFeedSpec(_Section):
    """The price sources of one asset and the guards on their ticks (DESIGN §4.7)."""

    sources: list[str] = Field(min_length=1, description="names of the sources allowed to post prices")
    quorum: int = Field(2, ge=1, description="fresh sources needed for a consensus price")
    heartbeat: str = Field("1h", description="a tick older than this is stale")
    max_deviation: float = Field(0.05, gt=0, lt=1, description="x: farther than this from the others' median")
    mad_k: float = Field(5.0, gt=0, description="k: farther than k·MAD (scaled, ≥ 3 other sources)")
    mad_floor: float = Field(0.001, gt=0, lt=1, description="MAD is floored at this fraction of the median")
    jump: float = Field(0.10, gt=0, lt=1, description="y: a move this large from the consensus needs confirming")
    confirm_window: str = Field("5m", description="how long a held tick waits for a second source")
    max_future: str = Field("30s", description="ticks stamped later than now + this are refused")
    initial_vol: float = Field(0.8, gt=0, lt=20, description="annualised vol before any data (both EWMAs)")

    _v = field_validator("heartbeat", "confirm_window", "max_future")(_span)

    @field_validator("sources")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("sources must be distinct")
        for name in values:
            if not _NAME.match(name):
                raise ValueError(f"source name {name!r}: use letters, digits, '_', '-', '.' (≤ 64)")
        return values

    @model_validator(mode="after")
    def _quorum(self) -> AssetFeedSpec:
        if self.quorum > len(self.sources):
            raise ValueError(f"quorum {self.quorum} exceeds the {len(self.sources)} sources")
        return self


class ParamRule(_Section):
    """Guardrail of one parameter (Aave Risk Steward ``RiskParamConfig`` plus absolute bounds).

    Ratios take ``max_step`` (absolute, e.g. 0.01 = 1 pp); caps take ``max_step_relative`` (e.g. 0.25 = ±25 %).
    """

    min: float = Field(gt=0, description="lower bound (> 0: a parameter is never set to zero)")
    max: float = Field(gt=0, description="upper bound")
    max_step: float | None = Field(None, gt=0, description="ratios: largest absolute change per update")
    max_step_relative: float | None = Field(None, gt=0, le=10, description="caps: largest relative change")
    min_delay: str = Field("1h", description="least time between two updates of this parameter; 0s: none")
    min_change: float = Field(0.0, ge=0, description="smaller changes are not published (abs; relative for caps)")
    expiry: str = Field("6h", description="a proposal older than this is refused (Aave injector: 6 h)")

    _d = field_validator("min_delay")(_span_or_zero)
    _e = field_validator("expiry")(_span)

    @model_validator(mode="after")
    def _bounds(self) -> ParamRule:
        if not self.min < self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        if (self.max_step is None) == (self.max_step_relative is None):
            raise ValueError("give exactly one of max_step (ratios) or max_step_relative (caps)")
        return self


class InvariantSpec(_Section):
    """Joint constraints checked on every published set: LTV ≤ LT − gap and LT·(1+LB) ≤ max_lt_bonus < 1."""

    ltv_gap: float = Field(0.005, gt=0, lt=1, description="least distance between LTV and LT")
    max_lt_bonus: float = Field(0.99, gt=0, lt=1, description="upper bound of LT·(1+LB) (toxic-spiral bound < 1)")


class InterimModelSpec(_Section):
    """Knobs of the interim σ/regime → parameter mapping (:class:`solvency.oracle.targets.InterimTargets`)."""

    kind: Literal["interim"] = "interim"
    horizon: str = Field("2d", description="liquidation horizon h of the LT rule")
    z: float = Field(2.33, gt=0, description="quantile of the move over h the LT rule must survive")
    buffer_horizon: str = Field("1d", description="time a borrower needs to react (LTV buffer)")
    buffer_z: float = Field(0.75, gt=0, description="quantile of the move over buffer_horizon")
    regime_multiplier: dict[str, float] = Field(
        default_factory=lambda: {"calm": 1.0, "normal": 1.0, "stressed": 1.25, "crisis": 1.5},
        description="multiplies the σ-move per regime (fatter tails, thinner books)",
    )
    bonus_multiplier: dict[str, float] = Field(
        default_factory=lambda: {"calm": 1.0, "normal": 1.0, "stressed": 1.2, "crisis": 1.4},
        description="multiplies the configured bonus per regime (liquidations must stay profitable)",
    )
    cap_multiplier: dict[str, float] = Field(
        default_factory=lambda: {"calm": 1.0, "normal": 1.0, "stressed": 0.75, "crisis": 0.5},
        description="multiplies the configured caps per regime",
    )
    sigma_ref: float = Field(0.8, gt=0, description="caps shrink as σ_ref/σ when σ > σ_ref")

    _v = field_validator("horizon", "buffer_horizon")(_span)

    @field_validator("regime_multiplier", "bonus_multiplier", "cap_multiplier")
    @classmethod
    def _per_regime(cls, values: dict[str, float]) -> dict[str, float]:
        if set(values) != set(REGIMES):
            raise ValueError(f"give one value for each regime {list(REGIMES)}")
        if any(not (v > 0 and math.isfinite(v)) for v in values.values()):
            raise ValueError("multipliers must be positive")
        return values


class TableModelSpec(_Section):
    """A precomputed table σ/regime → parameters (CSV/JSON, e.g. from the lending calibrator)."""

    kind: Literal["table"] = "table"
    file: Path = Field(description="CSV with columns regime, sigma and one column per parameter")


class MarketOracleSpec(_Section):
    """One lending market the oracle steers."""

    asset: str = Field(description="the asset whose prices drive this market (a key of [assets])")
    quote: str = "USDC"
    params: dict[str, float] = Field(description="parameters in force when the ledger is empty")
    rules: dict[str, ParamRule] = Field(description="one guardrail per parameter")
    invariants: InvariantSpec = Field(default_factory=InvariantSpec)
    loosen_regimes: list[Literal["calm", "normal", "stressed", "crisis"]] = Field(
        default_factory=lambda: ["calm", "normal"],
        description="regimes in which a parameter may move in the riskier direction (tighten in any)",
    )
    model: InterimModelSpec | TableModelSpec = Field(default_factory=InterimModelSpec, discriminator="kind")

    @model_validator(mode="after")
    def _consistent(self) -> MarketOracleSpec:
        unknown = sorted(set(self.params) - set(PARAMETERS))
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; known: {list(PARAMETERS)}")
        missing = [p for p in RATIO_PARAMS if p not in self.params]
        if missing:
            raise ValueError(f"a lending market needs {list(RATIO_PARAMS)}; missing {missing}")
        if set(self.rules) != set(self.params):
            raise ValueError(f"rules must cover exactly the parameters {sorted(self.params)}")
        for name, value in self.params.items():
            rule = self.rules[name]
            if not (math.isfinite(value) and rule.min <= value <= rule.max):
                raise ValueError(f"params.{name} = {value} is outside its rule [{rule.min}, {rule.max}]")
            if name in RATIO_PARAMS:
                if rule.max_step is None:
                    raise ValueError(f"rules.{name}: a ratio takes max_step (absolute), not max_step_relative")
                if rule.max >= 1:
                    raise ValueError(f"rules.{name}: a ratio's max must be below 1")
            elif rule.max_step_relative is None:
                raise ValueError(f"rules.{name}: a cap takes max_step_relative, not max_step")
        ltv, lt, lb = (self.params[p] for p in RATIO_PARAMS)
        if not ltv <= lt - self.invariants.ltv_gap + 1e-12:
            raise ValueError(f"params: ltv {ltv} must be at most liquidation_threshold {lt} − ltv_gap")
        if not lt * (1 + lb) <= self.invariants.max_lt_bonus + 1e-12:
            raise ValueError(f"params: LT·(1+LB) = {lt * (1 + lb):.4f} exceeds max_lt_bonus")
        return self


class OracleConfig(_Section):
    """The whole oracle: service, estimator, feeds and markets."""

    service: ServiceSection = Field(default_factory=ServiceSection)
    volatility: VolatilitySpec = Field(default_factory=VolatilitySpec)
    regime: RegimeSpec = Field(default_factory=RegimeSpec)
    assets: dict[str, AssetFeedSpec] = Field(min_length=1)
    markets: dict[str, MarketOracleSpec] = Field(min_length=1)
    source: Path | None = Field(None, description="the TOML file this config was read from", exclude=True)

    @model_validator(mode="after")
    def _links(self) -> OracleConfig:
        for name in (*self.assets, *self.markets):
            if not _NAME.match(name):
                raise ValueError(f"name {name!r}: use letters, digits, '_', '-', '.' (≤ 64)")
        for name, market in self.markets.items():
            if market.asset not in self.assets:
                raise ValueError(f"markets.{name}.asset {market.asset!r} is not among assets {sorted(self.assets)}")
        return self

    def writer_hashes(self) -> list[str]:
        """Writer token hashes: inline ones plus those of the tokens file."""
        return self.service.writer_token_hashes + _file_hashes(self.service.tokens, "writer")

    def admin_hashes(self) -> list[str]:
        """Admin token hashes: inline ones plus those of the tokens file."""
        return self.service.admin_token_hashes + _file_hashes(self.service.tokens, "admin")


def _file_hashes(path: Path | None, role: str) -> list[str]:
    if path is None or not path.is_file():
        return []
    data = read_toml(path)
    values = data.get(f"{role}_token_hashes", [])
    if not isinstance(values, list) or not all(isinstance(v, str) and _HASH.match(v) for v in values):
        raise ConfigError(f'{role}_token_hashes must be a list of "sha256:<64 hex>" strings', path=path)
    return list(values)


def load_oracle_config(path: str | Path) -> OracleConfig:
    """Read an oracle config from TOML; relative paths are resolved against the file's directory.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a field is invalid (the message names the field).
    """
    path = Path(path)
    return resolve_paths(read_model(OracleConfig, path), path.parent, source=path)


def resolve_paths(config: OracleConfig, base: Path, *, source: Path | None = None) -> OracleConfig:
    """Make the config's relative file paths absolute against ``base`` (in place; returns the config)."""
    service = config.service
    service.ledger = _under(base, service.ledger)
    service.private_key = _under(base, service.private_key)
    if service.tokens is not None:
        service.tokens = _under(base, service.tokens)
    for market in config.markets.values():
        if isinstance(market.model, TableModelSpec):
            market.model.file = _under(base, market.model.file)
    config.source = source
    return config


def _under(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path
