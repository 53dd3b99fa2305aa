"""Oracle config: the shipped example loads; mistakes are refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from solvency.errors import ConfigError
from solvency.oracle.config import load_oracle_config, seconds, token_hash
from tests.conftest import ROOT
from tests.oracle._support import merged, to_toml

EXAMPLE = ROOT / "examples" / "oracle.toml"


def test_example_loads_with_paths_beside_it() -> None:
    cfg = load_oracle_config(EXAMPLE)
    assert cfg.service.host == "127.0.0.1"
    assert cfg.service.ledger == EXAMPLE.parent / "oracle-ledger.sqlite"
    assert cfg.service.private_key == EXAMPLE.parent / "keys" / "oracle_ed25519.pem"
    weth = cfg.markets["aave-v3-weth"]
    assert weth.params["liquidation_threshold"] == 0.83 and weth.rules["ltv"].max_step == 0.01
    assert weth.rules["supply_cap"].max_step_relative == 0.25
    assert seconds(weth.rules["ltv"].expiry) == 6 * 3600  # the Aave injector's expiry


def write(tmp_path: Path, overrides: dict) -> Path:
    path = tmp_path / "o.toml"
    path.write_text(to_toml(merged(overrides)))
    return path


RULES = "markets.weth.rules"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"markets": {"weth": {"params": {"ltv": 0.83}}}}, "ltv 0.83 must be at most"),
        ({"markets": {"weth": {"params": {"liquidation_bonus": 0.2}}}}, "outside its rule"),
        ({"markets": {"weth": {"rules": {"ltv": {"max_step_relative": 0.1}}}}}, "exactly one of"),
        ({"markets": {"weth": {"rules": {"supply_cap": {"max_step": 1000.0, "max_step_relative": 0.0}}}}}, RULES),
        ({"markets": {"weth": {"rules": {"ltv": {"min": 0.0}}}}}, "greater than 0"),
        ({"markets": {"weth": {"rules": {"ltv": {"min_delay": "soon"}}}}}, "not a time span"),
        ({"markets": {"weth": {"asset": "BTC"}}}, "not among assets"),
        ({"markets": {"weth": {"params": {"close_factor": 0.5}}}}, "unknown parameters"),
        ({"assets": {"ETH": {"quorum": 4}}}, "quorum 4 exceeds"),
        ({"assets": {"ETH": {"sources": ["a", "a"]}}}, "distinct"),
        ({"service": {"writer_token_hashes": ["hunter2"]}}, "not a token hash"),
        ({"regime": {"stressed_ratio": 3.0}}, "stressed_ratio < crisis_ratio"),
        ({"volatility": {"short_half_life": "30d"}}, "shorter than long_half_life"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_configs_name_the_problem(tmp_path: Path, overrides: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_oracle_config(write(tmp_path, overrides))


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_oracle_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[service\nport = 1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_oracle_config(bad)


def test_token_hashes_from_file_and_inline(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "tokens.toml").write_text(f'writer_token_hashes = ["{token_hash("w")}"]\n')
    cfg = load_oracle_config(write(tmp_path, {"service": {"admin_token_hashes": [token_hash("a")]}}))
    assert cfg.writer_hashes() == [token_hash("w")]
    assert cfg.admin_hashes() == [token_hash("a")]
