# pragma version ~=0.4.3
"""
@title Batch-reverting clearing house (test double)
@notice A clearing house without per-id isolation, for the keeper's bisect test
        on anvil: `liquidate_many` reverts the whole batch when it holds a
        poisoned id, and otherwise liquidates every open id with the real
        `PositionLiquidated` event. `health_many` answers as the view does.
"""

from ..interfaces import IClearingHouse
from ..interfaces import IClearingHouseView
from ..lib import constants

open_ids: public(HashMap[uint256, bool])
poisoned: public(HashMap[uint256, bool])


@external
def set_vault(position_id: uint256, is_open: bool, is_poisoned: bool):
    """
    @notice Open (or close) a vault and mark it poisoned (or not).
    @param position_id Any id.
    @param is_open Whether the vault is open and unhealthy.
    @param is_poisoned Whether a batch holding it reverts.
    """
    self.open_ids[position_id] = is_open
    self.poisoned[position_id] = is_poisoned


@external
def liquidate_many(
    position_ids: DynArray[uint256, constants.MAX_BATCH]
) -> uint256:
    """
    @notice Liquidate every open id; revert the whole batch on a poisoned one.
    @param position_ids Up to 50 ids.
    @return uint256 Number liquidated.
    """
    count: uint256 = 0
    for position_id: uint256 in position_ids:
        assert not self.poisoned[position_id], "mock: poisoned id"
        if self.open_ids[position_id]:
            self.open_ids[position_id] = False
            count += 1
            log IClearingHouse.PositionLiquidated(
                position_id=position_id,
                owner=self,
                liquidator=msg.sender,
                fraction=constants.WAD,
                pnl=0,
                reward=0,
                insurance_fee=0,
                returned=0,
                shortfall=0,
            )
    return count


@external
@view
def health_many(
    position_ids: DynArray[uint256, constants.MAX_BATCH]
) -> DynArray[IClearingHouseView.HealthOf, constants.MAX_BATCH]:
    """
    @notice Open ids are unhealthy (equity -1, MM 1); others are not open.
    @param position_ids Up to 50 ids.
    @return DynArray[IClearingHouseView.HealthOf, 50] One row per id.
    """
    out: DynArray[IClearingHouseView.HealthOf, constants.MAX_BATCH] = []
    for position_id: uint256 in position_ids:
        if self.open_ids[position_id]:
            out.append(
                IClearingHouseView.HealthOf(
                    ok=True, equity=-1, initial=1, maintenance=1
                )
            )
        else:
            out.append(empty(IClearingHouseView.HealthOf))
    return out
