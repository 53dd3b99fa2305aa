"""Stress sweeps on the local executor: the split run is the unsplit simulator run, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solvency.config import MarketSpec, load_market
from solvency.data.sample import sample_crash
from solvency.errors import ConfigError, SolvencyInputError
from solvency.sim.stress import simulate_lending, with_conditions
from solvency.sweep.seeds import cell_seed
from solvency.sweep.stress import sweep_stress

from ._support import without_timings, write_markets

HORIZON = "12h"
PER_PATH = ("bad_debt", "insolvent", "liquidations", "volume", "repaid", "reached")


def assert_same_paths(a, b) -> None:
    for name in PER_PATH:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_markets(tmp_path_factory.mktemp("markets"), 2)


@pytest.mark.parametrize("chunk", [256, 512, 2048])
def test_cells_equal_the_unsplit_simulation(folder: Path, chunk: int) -> None:
    sweep = sweep_stress(folder, scenarios="spec", paths=700, seed=11, horizon=HORIZON, chunk_paths=chunk)
    assert sweep.tasks == 2 * 2 * -(-700 // chunk)
    assert [(c.market, c.scenario) for c in sweep.cells] == [
        ("market-0", "oct-2025"),
        ("market-0", "black-thursday-2020"),
        ("market-1", "oct-2025"),
        ("market-1", "black-thursday-2020"),
    ]
    for cell in sweep.cells:
        spec = load_market(cell.file)
        alone = simulate_lending(
            spec, scenario=cell.scenario, paths=700, seed=cell_seed(11, cell.market, cell.scenario), horizon=HORIZON
        )
        assert_same_paths(cell.output, alone.output)
        assert without_timings(cell.to_dict()) == without_timings(alone.to_dict())
        # the per-position sum over paths is added chunk by chunk: equal to float summation order
        np.testing.assert_allclose(cell.output.shortfall, alone.output.shortfall, rtol=1e-12, atol=1e-6)
        assert cell.output.bad_debt.any(), "the test needs scenarios that do cause bad debt"


def test_numbers_do_not_depend_on_chunk_size_folder_order_or_the_other_cells(tmp_path: Path) -> None:
    specs = [load_market(p) for p in sorted(write_markets(tmp_path, 3).glob("*.toml"))]
    full = sweep_stress(specs, scenarios="oct-2025,black-thursday-2020", paths=600, seed=5, horizon=HORIZON)
    alone = sweep_stress(
        [specs[2]], scenarios=["black-thursday-2020"], paths=600, seed=5, horizon=HORIZON, chunk_paths=256
    )
    reordered = sweep_stress(specs[::-1], scenarios="black-thursday-2020", paths=600, seed=5, horizon=HORIZON)
    assert len(full.cells) == 6 and len(reordered.cells) == 3
    assert alone.cells[0].output.volume.any(), "the crash must liquidate something, or equality proves little"
    assert_same_paths(alone.cells[0].output, full.cell("market-2", "black-thursday-2020").output)
    assert_same_paths(reordered.cell("market-2", "black-thursday-2020").output, alone.cells[0].output)


def test_more_paths_keep_the_first_ones(folder: Path) -> None:
    small = sweep_stress(folder, scenarios="oct-2025", paths=300, seed=3, horizon=HORIZON, chunk_paths=256)
    large = sweep_stress(folder, scenarios="oct-2025", paths=900, seed=3, horizon=HORIZON, chunk_paths=512)
    for a, b in zip(small.cells, large.cells, strict=True):
        assert np.array_equal(a.output.bad_debt, b.output.bad_debt[:300])
        assert np.array_equal(a.output.volume, b.output.volume[:300])


def test_seeds_and_cells_give_independent_streams(folder: Path) -> None:
    one = sweep_stress(folder, scenarios="oct-2025", paths=256, seed=1, horizon=HORIZON)
    two = sweep_stress(folder, scenarios="oct-2025", paths=256, seed=2, horizon=HORIZON)
    assert not np.array_equal(one.cells[0].output.volume, two.cells[0].output.volume)
    # same book parameters, different market names: different paths
    a = MarketSpec(name="a", book={"positions": 150, "debt_total": 2e8})
    b = MarketSpec(name="b", book={"positions": 150, "debt_total": 2e8})
    ab = sweep_stress([a, b], scenarios="oct-2025", paths=256, seed=1, horizon=HORIZON)
    assert not np.array_equal(ab.cells[0].output.volume, ab.cells[1].output.volume)


def test_model_paths_and_a_fresh_seed_reported(folder: Path) -> None:
    spec = load_market(folder / "m0.toml")
    spec.sim.model = "merton"
    spec.sim.jump_rate = 200.0
    sweep = sweep_stress([spec], paths=600, horizon="1d", chunk_paths=256)
    (cell,) = sweep.cells
    assert cell.scenario == "merton" and cell.chunks == 3
    alone = simulate_lending(spec, paths=600, horizon="1d", seed=cell_seed(sweep.seed, spec.name, "merton"))
    assert_same_paths(cell.output, alone.output)
    assert 0 <= sweep.seed < 2**53  # drawn from OS entropy, reported (exactly, in any JSON reader) to repeat the run
    assert sweep.seed != sweep_stress([spec], paths=256, horizon="1h").seed


def test_a_replay_is_one_path_per_market(folder: Path) -> None:
    crash = sample_crash("1h")
    sweep = sweep_stress(folder, prices=crash, seed=1, chunk_paths=256)
    assert sweep.tasks == 2 and [c.paths for c in sweep.cells] == [1, 1]
    for cell in sweep.cells:
        alone = simulate_lending(load_market(cell.file), prices=crash)
        assert cell.scenario == alone.scenario
        assert_same_paths(cell.output, alone.output)


def test_totals_add_the_markets_means(folder: Path) -> None:
    out = sweep_stress(folder, scenarios="spec", paths=300, seed=4, horizon=HORIZON).to_dict()
    for label, total in out["totals"].items():
        cells = [m["scenarios"][label] for m in out["markets"].values()]
        assert total["markets"] == len(cells) == 2
        assert total["debt_total"] == pytest.approx(sum(c["debt_total"] for c in cells))
        assert total["bad_debt_mean"] == pytest.approx(sum(c["bad_debt"]["mean"] for c in cells))
        assert total["liquidated_volume_mean"] == pytest.approx(sum(c["liquidations"]["volume_mean"] for c in cells))
        assert total["markets_with_bad_debt"] == sum(c["bad_debt"]["prob"] > 0 for c in cells)
        ratio = {n: m["scenarios"][label]["bad_debt"]["es99"] / m["scenarios"][label]["debt_total"] for n, m in
                 out["markets"].items()}  # fmt: skip
        assert total["worst_market"] == (max(ratio, key=ratio.get) if max(ratio.values()) > 0 else None)


def test_other_protocols_are_listed_as_skipped(folder: Path, tmp_path: Path) -> None:
    for p in folder.glob("*.toml"):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "perp.toml").write_text('name = "eth-perp"\nprotocol = "perp"\n')
    out = sweep_stress(tmp_path, scenarios="oct-2025", paths=256, seed=1, horizon=HORIZON).to_dict()
    assert set(out["markets"]) == {"market-0", "market-1"}
    assert out["skipped"] == [
        {"name": "eth-perp", "file": tmp_path / "perp.toml", "reason": "protocol is 'perp', not 'lending'"}
    ]


def test_relative_price_files_resolve_for_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_markets(tmp_path / "specs", 1)
    crash = sample_crash("1h", days_before=30)
    crash.to_csv(tmp_path / "specs" / "eth.csv", index_label="timestamp")
    spec = folder / "m0.toml"
    spec.write_text(
        spec.read_text().replace('protocol = "lending"\n', 'protocol = "lending"\n[prices]\nfile = "eth.csv"\n')
    )
    monkeypatch.chdir(tmp_path)
    sweep = sweep_stress(Path("specs"), scenarios="oct-2025", paths=256, seed=1, horizon=HORIZON)
    assert sweep.cells[0].file.is_absolute()
    spec_read = load_market(sweep.cells[0].file)
    assert spec_read.prices.file.is_absolute() and spec_read.prices.file.exists()


@pytest.mark.parametrize(
    ("setup", "error", "match"),
    [
        (lambda d: None, SolvencyInputError, "no market specs"),
        (lambda d: (d / "a.toml").write_text("name = [unclosed"), ConfigError, "invalid TOML"),
        (lambda d: (d / "a.toml").write_text("[current]\nltv = 2\n"), ConfigError, "current.ltv"),
        (
            lambda d: [(d / f"{x}.toml").write_text('name = "same"\n') for x in "ab"],
            SolvencyInputError,
            "'same' is used by",
        ),
        (lambda d: (d / "p.toml").write_text('protocol = "perp"\n'), SolvencyInputError, "no lending market"),
    ],
)
def test_bad_folders_are_refused_with_the_file(tmp_path: Path, setup, error, match: str) -> None:
    setup(tmp_path)
    with pytest.raises(error, match=match):
        sweep_stress(tmp_path, scenarios="oct-2025", paths=256, seed=1)


def test_bad_arguments_are_refused(folder: Path) -> None:
    with pytest.raises(SolvencyInputError, match="unknown scenario"):
        sweep_stress(folder, scenarios="oct-2025,atlantis-2030", paths=256, seed=1)
    with pytest.raises(SolvencyInputError, match="not both"):
        sweep_stress(folder, scenarios="oct-2025", prices=sample_crash("1h"), seed=1)
    with pytest.raises(SolvencyInputError, match="multiple of 256"):
        sweep_stress(folder, scenarios="oct-2025", paths=256, seed=1, chunk_paths=1000)
    with pytest.raises(SolvencyInputError, match="not a folder"):
        sweep_stress(folder / "missing", scenarios="oct-2025", paths=256, seed=1)
    with pytest.raises(SolvencyInputError, match="at least one path"):
        sweep_stress(folder, scenarios="oct-2025", paths=0, seed=1)
    with pytest.raises(SolvencyInputError, match="no scenario"):
        sweep_stress(folder, scenarios=" , ", paths=256, seed=1)


def test_conditions_apply_to_every_market(folder: Path) -> None:
    sweep = sweep_stress(folder, scenarios="oct-2025", paths=256, seed=2, horizon=HORIZON, conditions="congested-2020")
    for cell in sweep.cells:
        spec = with_conditions(load_market(cell.file), "congested-2020")
        alone = simulate_lending(spec, scenario="oct-2025", paths=256, seed=cell_seed(2, cell.market, "oct-2025"),
                                 horizon=HORIZON)  # fmt: skip
        assert_same_paths(cell.output, alone.output)
        assert cell.details["oracle"]["delay"] >= 3600
    with pytest.raises(SolvencyInputError, match="unknown conditions"):
        sweep_stress(folder, scenarios="oct-2025", paths=256, seed=2, conditions="sunny")


def write_real_markets(folder: Path, data: Path) -> Path:
    """Aave v3 Ethereum WETH and WBTC (Oct 2023 parameters) on Binance daily ETH and BTC histories."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, asset, file, (ltv, lt, lb) in (
        ("aave-weth", "WETH", "binance_ETHUSDT_1d.csv", (0.805, 0.83, 0.05)),
        ("aave-wbtc", "WBTC", "binance_BTCUSDT_1d.csv", (0.73, 0.78, 0.05)),
    ):
        (folder / f"{name}.toml").write_text(
            f'name = "{name}"\nasset = "{asset}"\nprotocol = "lending"\n'
            f'[prices]\nfile = "{data / "daily" / file}"\n'
            f"[current]\nltv = {ltv}\nliquidation_threshold = {lt}\nliquidation_bonus = {lb}\n"
            "[book]\npositions = 2000\ndebt_total = 5.0e8\n"
            '[sim]\nmodel = "garch"\n'
        )
    return folder


@pytest.mark.realdata
@pytest.mark.slow
def test_real_histories_garch_paths_and_scenarios(real_data: Path, tmp_path: Path, threads_cluster) -> None:
    folder = write_real_markets(tmp_path, real_data)
    kwargs = {"paths": 512, "seed": 17, "horizon": "1d", "chunk_paths": 256}
    for scenarios in (None, "black-thursday-2020,oct-2025"):
        local = sweep_stress(folder, scenarios=scenarios, **kwargs)
        dask = sweep_stress(folder, scenarios=scenarios, executor=threads_cluster, **kwargs)
        assert without_timings(local.to_dict()) == without_timings(dask.to_dict())
        for cell in local.cells:
            seed = cell_seed(17, cell.market, cell.scenario)
            scenario = None if scenarios is None else cell.scenario
            alone = simulate_lending(load_market(cell.file), scenario=scenario, paths=512, horizon="1d", seed=seed)
            assert_same_paths(cell.output, alone.output)
    assert {c.scenario for c in local.cells} == {"black-thursday-2020", "oct-2025"}
