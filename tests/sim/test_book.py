"""Loan books: the synthetic generator's documented properties, and the CSV loader's errors by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solvency.sim.book import BookFormatError, LoanBook, load_book, synthetic_book


def test_synthetic_book_matches_its_documentation() -> None:
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=20_000, seed=1)
    assert len(book) == 20_000 and book.debt_total == pytest.approx(1e9)
    top = np.sort(book.debt)[::-1][:200]
    # whales (the largest 1 % of the size draw) hold whale_share; rescaling can swap a few ranks at the edge
    assert top.sum() / book.debt_total == pytest.approx(0.2, abs=0.002)
    hf = book.health_factor([2000.0])
    assert hf.min() >= 1.0
    # documented: ~3.7 % below 1.1, ~15 % below 1.2, half below 1.5
    assert np.mean(hf < 1.1) == pytest.approx(0.037, abs=0.006)
    assert np.mean(hf < 1.2) == pytest.approx(0.154, abs=0.01)
    assert np.median(hf) == pytest.approx(1.5, abs=0.02)
    assert book.is_single_collateral
    again = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=20_000, seed=1)
    assert np.array_equal(book.collateral, again.collateral)
    # liquidation price of a single-collateral position: debt/(c·LT) = price / HF
    assert book.liquidation_price() == pytest.approx(2000.0 / hf)


def test_multi_collateral_health_factor_uses_each_assets_threshold() -> None:
    book = synthetic_book(
        assets=["WETH", "WBTC"],
        prices=[2000.0, 60_000.0],
        lt=[0.83, 0.78],
        lb=[0.05, 0.06],
        positions=2_000,
        multi_collateral_share=0.5,
        seed=4,
    )
    multi = book.n_collateral == 2
    assert 0.4 < multi.mean() < 0.6 and not book.is_single_collateral
    hf = book.health_factor([2000.0, 60_000.0])
    assert hf.min() >= 1.0
    # recompute by hand for one multi-collateral position
    i = int(np.flatnonzero(multi)[0])
    by_hand = (book.collateral[i, 0] * 2000 * 0.83 + book.collateral[i, 1] * 60_000 * 0.78) / book.debt[i]
    assert hf[i] == pytest.approx(by_hand)
    assert np.isnan(book.liquidation_price()[multi]).all()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.csv"
    path.write_text(text)
    return path


HEADER = "id,collateral_asset,collateral_amount,debt_asset,debt_amount,lt,lb\n"


def test_load_book_with_multi_collateral_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "alice,WETH,10,USDC,12000,,\n"
        + "bob,weth,2,USDC,5000,0.8,0.06\n"
        + "bob,WBTC,0.1,USDC,5000,,\n"
        + 'carol,WBTC,1,USDC,"30,000",,\n',
    )
    book = load_book(path, assets=["WETH", "WBTC"], lt=[0.83, 0.78], lb=[0.05, 0.065])
    assert list(book.ids) == ["alice", "bob", "carol"]
    assert book.collateral.tolist() == [[10, 0], [2, 0.1], [0, 1]]
    assert book.debt.tolist() == [12000, 5000, 30000]
    assert book.lt[1].tolist() == [0.8, 0.78] and book.lb[1].tolist() == [0.06, 0.065]
    # round trip through the documented layout
    again = tmp_path / "again.csv"
    book.to_frame().to_csv(again, index=False)
    back = load_book(again, assets=["WETH", "WBTC"], lt=[0.83, 0.78], lb=[0.05, 0.065])
    assert np.array_equal(back.collateral, book.collateral) and np.array_equal(back.lt, book.lt)


@pytest.mark.parametrize(
    ("body", "message", "row"),
    [
        ("alice,WETH,ten,USDC,100,,\n", "collateral_amount is not a number", 1),
        ("alice,WETH,1,USDC,100,,\nbob,WETH,-2,USDC,100,,\n", "negative", 2),
        ("alice,DOGE,1,USDC,100,,\n", "unknown collateral asset", 1),
        ("alice,WETH,1,DAI,100,,\n", "not the market's debt asset", 1),
        ("alice,WETH,1,USDC,100,,\nalice,WBTC,1,USDC,200,,\n", "debt 100.0 on an earlier row", 2),
        ("alice,WETH,1,USDC,100,,\nalice,WETH,1,USDC,100,,\n", "lists WETH twice", 2),
        ("alice,WETH,1,USDC,100,0.95,0.1,\n", "more fields", 1),
        ("alice,WETH,1,USDC,100,0.95,0.1\n", "toxic", 1),
        ("alice,WETH,1,USDC,100,1.2,\n", "must be in", 1),
        ("alice,WETH,1,USDC,,,\n", "debt_amount is missing", 1),
        (",WETH,1,USDC,100,,\n", "empty id", 1),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, body: str, message: str, row: int) -> None:
    path = write(tmp_path, HEADER + body)
    with pytest.raises(BookFormatError, match=message) as err:
        load_book(path, assets=["WETH", "WBTC"], lt=0.8, lb=0.05)
    assert err.value.row == row and err.value.path == str(path)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(BookFormatError, match="not found"):
        load_book(tmp_path / "nope.csv", assets=["WETH"], lt=0.8, lb=0.05)
    with pytest.raises(BookFormatError, match="empty"):
        load_book(write(tmp_path, ""), assets=["WETH"], lt=0.8, lb=0.05)
    with pytest.raises(BookFormatError, match="no positions"):
        load_book(write(tmp_path, HEADER), assets=["WETH"], lt=0.8, lb=0.05)
    with pytest.raises(BookFormatError, match="missing column"):
        load_book(write(tmp_path, "id,asset,amount\n1,WETH,2\n"), assets=["WETH"], lt=0.8, lb=0.05)


def test_book_validation() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        LoanBook(["WETH"], [[-1.0]], [1.0], [[0.8]], [[0.05]])
    with pytest.raises(ValueError, match="lt must be"):
        LoanBook(["WETH"], [[1.0]], [1.0], [[1.2]], [[0.05]])
    book = LoanBook(["WETH"], [[1.0], [2.0]], [500.0, 0.0], 0.8, 0.05)
    assert book.health_factor([1000.0]).tolist() == [1.6, np.inf]
    assert book.with_params(lt=0.5).lt.tolist() == [[0.5], [0.5]]
