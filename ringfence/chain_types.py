"""The protocol's structs as Python sees them: one definition each.

``RiskParams`` is ``lib/risk_params.vy``'s struct, field for field and in the struct's order
(so ``RiskParams(*registry.risk_params(u))`` works and ``as_tuple()`` is the ABI argument);
every field WAD except ``horizon`` (seconds); docs/risk.md gives each one's meaning and
bounds. ``Series``, ``Leg`` and ``Position`` are how the keeper's index (and anything that
reads vaults) holds the clearing house's state. ``tests/unit/keeper/test_abi.py`` checks the
field names and order against the stored ABIs, so a struct that changes on-chain fails there
first. The deploy config (``ringfence.deploy_config.RiskConfig``), the keeper
(``keeper.index``) and the test fixture's defaults (``ringfence.risk_table``) use these.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True)
class RiskParams:
    """``risk_params.RiskParams``, as ``Registry.risk_params`` returns and
    ``IRegistry.RiskParamsSet`` logs it."""

    spot_shock: int  # floor of the scenario spot move h, fraction of spot
    spot_sigmas: int  # h = spot_sigmas x highest leg vol x sqrt(horizon / year), if larger
    crash_factor: int  # the down move is crash_factor x h (at most 90 %)
    vol_up: int  # scenario vol up, fraction of a leg's vol at a 30-day tenor
    vol_down: int  # scenario vol down, fraction of a leg's vol at a 30-day tenor
    vol_tenor_cap: int  # largest tenor scale sqrt(30 days / tau) of the vol moves
    horizon: int  # liquidation horizon, seconds: longs are revalued this much later
    im_factor: int
    min_short_margin: int
    liquidation_reward: int
    insurance_fee: int
    spread_vol: int
    rate: int
    min_size: int

    def as_tuple(self) -> tuple:
        """The struct as the ABI takes it."""
        return astuple(self)


#: ``RiskParams``' fields, in the struct's order.
RISK_KEYS = tuple(f.name for f in fields(RiskParams))


@dataclass(frozen=True)
class Series:
    series_id: int
    underlying: str  # bytes32, 0x-hex
    strike: int  # WAD
    expiry: int  # unix seconds
    is_call: bool
    oi_cap: int  # WAD units


@dataclass(frozen=True)
class Leg:
    series_id: int
    size: int  # WAD, signed: long > 0
    entry_price: int  # WAD


@dataclass(frozen=True)
class Position:
    position_id: int
    owner: str
    underlying: str  # bytes32, 0x-hex
    collateral: int  # base units of the quote token
    legs: tuple[Leg, ...]
