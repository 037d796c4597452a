# pragma version ~=0.4.3
"""
@title ClearingHouseView
@notice Stateless reads for keepers, bots and front ends over the clearing
        house, the registry and the pool: batched health, liquidatability,
        positions with their underlying, series terms and risk parameters.
        Nothing here is on a trading path, so the clearing house keeps its
        room for the logic that moves tokens.
@dev Every value is the deployed contracts' own: this contract computes
     nothing beyond a comparison.
"""

from .interfaces import IClearingHouse
from .interfaces import IClearingHouseView
from .interfaces import IRegistry
from .lib import constants
from .lib import risk_params as risk

implements: IClearingHouseView

# =============================================================== immutables

CLEARING_HOUSE: public(immutable(IClearingHouse))
REGISTRY: public(immutable(IRegistry))


# ===================================================================== init


@deploy
def __init__(clearing_house: IClearingHouse, registry: IRegistry):
    """
    @notice Deploy the view over a clearing house and its registry.
    @param clearing_house The clearing house.
    @param registry Its registry.
    """
    CLEARING_HOUSE = clearing_house
    REGISTRY = registry


# ==================================================================== views


@external
@view
def health_many(
    position_ids: DynArray[uint256, constants.MAX_BATCH]
) -> DynArray[IClearingHouseView.HealthOf, constants.MAX_BATCH]:
    """
    @notice `ClearingHouse.health` of every id, in order, each read in its own
            call: an id whose read reverts (its underlying's feed is stale,
            say) comes back with ok False instead of failing the batch.
    @param position_ids Up to 50 vault ids.
    @return DynArray[IClearingHouseView.HealthOf, 50] (ok, equity, initial,
            maintenance) per id, WAD quote; zeros for an id that is not open,
            and zeros with ok False where the read reverted.
    """
    out: DynArray[IClearingHouseView.HealthOf, constants.MAX_BATCH] = []
    for position_id: uint256 in position_ids:
        ok: bool = False
        raw: Bytes[96] = b""
        ok, raw = raw_call(
            CLEARING_HOUSE.address,
            abi_encode(position_id, method_id=method_id("health(uint256)")),
            max_outsize=96,
            is_static_call=True,
            revert_on_failure=False,
        )
        h: IClearingHouseView.HealthOf = empty(IClearingHouseView.HealthOf)
        if ok and len(raw) == 96:
            h.ok = True
            h.equity = convert(extract32(raw, 0), int256)
            h.initial = extract32(raw, 32, output_type=uint256)
            h.maintenance = extract32(raw, 64, output_type=uint256)
        out.append(h)
    return out


@external
@view
def is_liquidatable(position_id: uint256) -> bool:
    """
    @notice Whether a vault is open and its equity is below maintenance.
    @param position_id A vault id.
    @return bool True when `liquidate` would act on it now.
    @dev Reverts on a stale oracle.
    """
    h: IClearingHouse.Health = self._health(position_id)
    return h.equity < convert(h.maintenance, int256)


@external
@view
def position(position_id: uint256) -> IClearingHouseView.Position:
    """
    @notice A vault's owner, underlying, collateral and legs.
    @param position_id A vault id.
    @return IClearingHouseView.Position Owner, underlying, collateral (base
            units) and legs (series id, size WAD, entry price WAD); empty
            when not open.
    """
    v: IClearingHouse.Vault = staticcall CLEARING_HOUSE.vault(position_id)
    if len(v.legs) == 0:
        return empty(IClearingHouseView.Position)
    return IClearingHouseView.Position(
        owner=v.owner,
        underlying=(staticcall REGISTRY.series(v.legs[0].series_id)).underlying,
        collateral=v.collateral,
        legs=v.legs,
    )


@external
@view
def series(series_id: uint256) -> IRegistry.SeriesInfo:
    """
    @notice A series' underlying, terms and cap.
    @param series_id A series id.
    @return IRegistry.SeriesInfo All zero when not listed.
    """
    return staticcall REGISTRY.series(series_id)


@external
@view
def risk_params(underlying: bytes32) -> risk.RiskParams:
    """
    @notice The risk parameters of an underlying.
    @param underlying Feed id.
    @return risk.RiskParams WAD; all zero when not configured.
    """
    return staticcall REGISTRY.risk_params(underlying)


# ================================================================ internals


@internal
@view
def _health(position_id: uint256) -> IClearingHouse.Health:
    h: IClearingHouse.Health = empty(IClearingHouse.Health)
    h.equity, h.initial, h.maintenance = staticcall CLEARING_HOUSE.health(
        position_id
    )
    return h
