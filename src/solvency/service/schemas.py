"""Request bodies of the write endpoints (validated from raw bytes; 422 with the field on failure).

Times are epoch seconds (a JSON number) or ISO-8601 strings with a UTC offset; prices are JSON numbers. A NaN,
an infinity or a negative price is a well-formed tick that the feed guards refuse and count; a string where a
number belongs, a missing field or an unknown field is a malformed body.
"""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

Time = float | AwareDatetime


@with_config(ConfigDict(extra="forbid"))
class TickIn(TypedDict):
    """One price observation of ``asset`` by ``source`` at ``time``."""

    asset: str
    source: str
    time: Time
    price: float


@with_config(ConfigDict(extra="forbid"))
class ImpliedVolIn(TypedDict):
    """An implied volatility of ``asset`` (annualised fraction, e.g. DVOL / 100) at ``time``."""

    asset: str
    time: Time
    value: float


class PriceBatch(BaseModel):
    """Body of ``POST /v1/prices``."""

    model_config = ConfigDict(extra="forbid")

    ticks: list[TickIn] = Field(default_factory=list)
    implied_vol: list[ImpliedVolIn] = Field(default_factory=list)


class ProposalIn(BaseModel):
    """Body of ``POST /v1/admin/proposals``: set some parameters of a market, all or nothing."""

    model_config = ConfigDict(extra="forbid")

    market: str
    params: dict[str, float] = Field(min_length=1)
    created: Time | None = Field(None, description="when the proposal was made (default: now); expires after 6 h")
    note: str = Field("", max_length=2000)


class ControlIn(BaseModel):
    """Body of ``POST /v1/admin/pause`` and ``/resume`` (optional)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000)


PRICE_BATCH = TypeAdapter(PriceBatch)
PROPOSAL = TypeAdapter(ProposalIn)
CONTROL = TypeAdapter(ControlIn)


def epoch(value: Time) -> float:
    """A validated time as epoch seconds."""
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)
