"""params.json: built from the results only, valid against the shipped draft 2020-12 schema, and the schema bites."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from solvency.report.params import build_params, params_schema

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = params_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_written_params_validate_and_equal_the_results(demo_run: dict[str, Any], validator: Any) -> None:
    written = json.loads(Path(demo_run["files"]["params"]).read_text(encoding="utf-8"))
    validator.validate(written)
    assert written == build_params(demo_run["doc"])
    perp = demo_run["doc"]["sections"]["perp"]["calibration"]
    assert written["perp"]["imf"] == perp["imf"] and written["perp"]["tiers"][-1]["mmf"] == perp["tiers"][-1]["mmf"]
    weth = demo_run["doc"]["sections"]["lending"]["markets"]["aave-v3-weth"]
    assert written["lending"]["aave-v3-weth"]["liquidation_threshold"] == weth["liquidation_threshold"]
    assert written["lending"]["aave-v3-weth"]["transition"] == weth["transition"]
    pm = demo_run["doc"]["sections"]["portfolio"]["margin"]
    assert written["portfolio_margin"]["initial_margin"] == pm["initial_margin"]
    assert written["seed"] == demo_run["doc"]["settings"]["seed"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("perp", "imf"), 1.5),  # a margin fraction above 1
        (("perp", "mmf"), 0.0),  # zero margin
        (("perp", "tiers"), []),  # no tier
        (("perp", "liquidation_horizon"), "one hour"),  # not a span
        (("market", "regime"), "panic"),  # not a regime
        (("generated_at",), "2026-01-01 10:00"),  # not ISO UTC
        (("data", "mode"), "live"),
        (("portfolio_margin", "initial_margin"), -1.0),
        (("perp", "unexpected"), 1),  # no unknown keys
        (("lending", "aave-v3-weth", "ltv"), 1.2),  # a ratio above 1
        (("lending", "aave-v3-weth", "current", "supply_cap"), 0.0),  # a zero cap
        (("lending", "aave-v3-weth", "transition"), [{"step": 0}]),  # a malformed plan
    ],
)
def test_schema_rejects_a_broken_document(
    demo_run: dict[str, Any], validator: Any, path: tuple[str, ...], value: Any
) -> None:
    doc = copy.deepcopy(build_params(demo_run["doc"]))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not validator.is_valid(doc)


def test_schema_requires_every_part(demo_run: dict[str, Any], validator: Any) -> None:
    doc = build_params(demo_run["doc"])
    for key in params_schema()["required"]:
        broken = {k: v for k, v in doc.items() if k != key}
        assert not validator.is_valid(broken), key
