"""The controller: state → targets (a :class:`~solvency.oracle.targets.TargetModel`) → guardrails → changes.

It holds, per market, the parameters in force and when each was last updated, and turns either the target
model's wish (:meth:`Controller.evaluate`, clamped) or a manual proposal (:meth:`Controller.propose`, all or
nothing) into a :class:`~solvency.oracle.guardrails.Decision`. It writes nothing: the engine publishes the
decision to the ledger and only then calls :meth:`Controller.commit`, so the state in memory never runs ahead
of what is durable. While paused (the kill switch) nothing is proposed.

Policy on top of the guardrails: in a regime outside the market's ``loosen_regimes`` (default: stressed and
crisis are outside) a target that would move a parameter in the riskier direction — LTV, LT or a cap up, the
liquidation bonus down — is dropped: during stress the oracle only tightens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from solvency.oracle.config import InvariantSpec, MarketOracleSpec, TableModelSpec
from solvency.oracle.guardrails import Change, Decision, Limits, check_proposal, steer, verify
from solvency.oracle.ledger import Entry, iso
from solvency.oracle.state import MarketState
from solvency.oracle.targets import TargetModel, build_target_model

RISKIER_WHEN_LOWER: frozenset[str] = frozenset({"liquidation_bonus"})
"""Parameters for which a *lower* value is riskier (a smaller bonus weakens liquidations); others: higher."""


def loosens(parameter: str, current: float, target: float) -> bool:
    """Whether moving ``parameter`` from ``current`` to ``target`` takes more risk."""
    return target < current if parameter in RISKIER_WHEN_LOWER else target > current


@dataclass
class MarketRuntime:
    """A market as the controller steers it."""

    name: str
    asset: str
    params: dict[str, float]
    limits: dict[str, Limits]
    invariants: InvariantSpec
    model: TargetModel
    model_kind: str
    loosen_regimes: frozenset[str] = frozenset({"calm", "normal"})
    last_updated: dict[str, float] = field(default_factory=dict)
    last_seq: int = 0

    @classmethod
    def from_spec(
        cls, name: str, spec: MarketOracleSpec, restored: Mapping[tuple[str, str], tuple[float, float]] | None = None
    ) -> MarketRuntime:
        """Build from config, with values and update times restored from the ledger where it has them."""
        params = dict(spec.params)
        last: dict[str, float] = {}
        for (market, parameter), (value, time) in (restored or {}).items():
            if market == name and parameter in params:
                params[parameter], last[parameter] = value, time
        kind = "table" if isinstance(spec.model, TableModelSpec) else "interim"
        return cls(
            name=name,
            asset=spec.asset,
            params=params,
            limits={p: Limits.from_rule(r) for p, r in spec.rules.items()},
            invariants=spec.invariants,
            model=build_target_model(spec.model, spec.params),
            model_kind=kind,
            loosen_regimes=frozenset(spec.loosen_regimes),
            last_updated=last,
        )


class Controller:
    """Turns states and proposals into guarded decisions for a set of markets."""

    def __init__(self, markets: Mapping[str, MarketRuntime], *, paused: bool = False) -> None:
        self.markets = dict(markets)
        self.paused = paused

    def evaluate(self, market: str, state: MarketState, now: float) -> Decision:
        """Steer the market's parameters toward the target model's values for ``state``."""
        m = self.markets[market]
        if self.paused:
            return Decision(held=dict.fromkeys(m.params, "paused"))
        targets = m.model.targets(state)
        held: dict[str, str] = {}
        if state.regime not in m.loosen_regimes:
            for name in [p for p, v in targets.items() if p in m.params and loosens(p, m.params[p], v)]:
                del targets[name]
                held[name] = "no_loosening_in_regime"
        decision = steer(m.params, m.last_updated, targets, m.limits, m.invariants, now=now, created=state.time)
        decision.held.update(held)
        return decision

    def propose(self, market: str, values: Mapping[str, float], created: float, now: float) -> Decision:
        """Judge a manual proposal all-or-nothing."""
        m = self.markets[market]
        if self.paused:
            return Decision(held=dict.fromkeys(values, "paused"), refused=True)
        return check_proposal(m.params, m.last_updated, values, m.limits, m.invariants, now=now, created=created)

    def entries(self, market: str, changes: list[Change], now: float, reason: Mapping[str, Any]) -> list[Entry]:
        """Ledger entries for a decision, after the final guardrail gate.

        Raises
        ------
        AssertionError
            A change set fails :func:`~solvency.oracle.guardrails.verify` (a bug upstream; nothing is written).
        """
        m = self.markets[market]
        problems = verify(m.params, m.last_updated, changes, m.limits, m.invariants, now=now)
        if problems:  # the single gate: a guardrail bug must never reach the ledger
            raise AssertionError(f"guardrail gate refused {market}: {'; '.join(problems)}")
        return [
            Entry(
                time=now,
                market=market,
                parameter=c.parameter,
                old=c.old,
                new=c.new,
                reason={**reason, "target": c.target, "limited_by": list(c.limited_by)},
            )
            for c in changes
        ]

    def commit(self, market: str, changes: list[Change], now: float, last_seq: int) -> None:
        """Apply published changes to the values in force (call only after the ledger commit)."""
        m = self.markets[market]
        for c in changes:
            m.params[c.parameter] = c.new
            m.last_updated[c.parameter] = now
        m.last_seq = last_seq

    @staticmethod
    def controller_reason(m: MarketRuntime, state: MarketState) -> dict[str, Any]:
        """The inputs recorded with a controller update."""
        return {"source": "controller", "model": m.model_kind, "created": iso(state.time), "state": state.inputs()}
