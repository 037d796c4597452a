# pragma version ~=0.4.3
"""
@title LiquidityPool
@notice Ringfence's liquidity pool: an ERC-4626 vault of the quote token and
        the counterparty to every trade. Its NAV is its cash minus the
        traders' unrealised P&L over every active series (read from the
        clearing house with a bounded loop), so deposits and redemptions are
        priced fairly. Withdrawals may not take the cash below what the
        clearing house's utilisation limit requires.
@dev Built on snekmate's `erc4626` module (its ERC-20 share token, transfer-
     then-mint `_deposit` and burn-then-transfer `_withdraw`); the
     conversions are re-implemented here because snekmate's `totalAssets` is
     the token balance, while this pool's assets include the open P&L.
     Reads of the NAV fail closed: they revert while the oracle is stale.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.extensions import erc4626
from snekmate.utils import math

from .interfaces import IClearingHouse
from .interfaces import ILiquidityPool

implements: IERC4626
implements: ILiquidityPool

initializes: erc4626

exports: (
    erc4626.asset,
    erc4626.totalSupply,
    erc4626.balanceOf,
    erc4626.transfer,
    erc4626.transferFrom,
    erc4626.approve,
    erc4626.allowance,
    erc4626.name,
    erc4626.symbol,
    erc4626.decimals,
    erc4626.permit,
    erc4626.nonces,
    erc4626.DOMAIN_SEPARATOR,
    erc4626.eip712Domain,
)

CLEARING_HOUSE: public(immutable(IClearingHouse))
_TOKEN: immutable(IERC20)
# @dev 10**(18 - decimals): base units to WAD.
_SCALE: immutable(uint256)


@deploy
def __init__(
    asset: IERC20,
    clearing_house: IClearingHouse,
    name: String[25],
    symbol: String[5],
):
    """
    @notice Deploy the pool over `asset` (the clearing house's quote token).
    @param clearing_house The clearing house this pool backs; it must then
           be wired with `ClearingHouse.set_pool`.
    """
    assert (
        staticcall clearing_house.TOKEN() == asset.address
    ), "pool: asset mismatch"
    erc4626.__init__(name, symbol, asset, 0, name, "1")
    _TOKEN = asset
    _SCALE = staticcall clearing_house.SCALE()
    CLEARING_HOUSE = clearing_house


# ============================================================ clearing house


@external
@nonreentrant
def pay(amount: uint256) -> uint256:
    """
    @notice Send up to `amount` base units of the pool's cash to the clearing
            house (a trader's realised gain, or a shortfall); returns what was
            sent. Only the clearing house.
    """
    assert msg.sender == CLEARING_HOUSE.address, "pool: not clearing house"
    paid: uint256 = min(amount, staticcall _TOKEN.balanceOf(self))
    if paid > 0:
        assert extcall _TOKEN.transfer(
            msg.sender, paid, default_return_value=True
        ), "pool: transfer failed"
    log ILiquidityPool.PoolPaid(
        receiver=msg.sender, requested=amount, paid=paid
    )
    return paid


@view
@external
def cash() -> uint256:
    """
    @notice Quote tokens the pool holds, base units.
    """
    return staticcall _TOKEN.balanceOf(self)


@view
@external
def free_cash() -> uint256:
    """
    @notice Cash above what the utilisation limit requires, base units: the
            most LPs may take out now.
    """
    return self._free_cash()


# ================================================================= ERC-4626


@view
@external
def totalAssets() -> uint256:
    """
    @notice NAV, base units: cash - traders' unrealised P&L (a liability
            rounded up, a receivable rounded down), at least 0.
    """
    return self._total_assets()


@view
@external
def convertToShares(assets: uint256) -> uint256:
    """
    @notice Shares for `assets` base units, rounded down.
    """
    return self._to_shares(assets, False)


@view
@external
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice Base units for `shares`, rounded down.
    """
    return self._to_assets(shares, False)


@view
@external
def maxDeposit(receiver: address) -> uint256:
    """
    @notice No deposit limit.
    """
    return max_value(uint256)


@view
@external
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares a deposit of `assets` base units mints now.
    """
    return self._to_shares(assets, False)


@external
@nonreentrant
def deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Deposit `assets` base units, minting shares (rounded down) to `receiver`.
    @dev Reverts on 0 shares or a stale oracle.
    """
    shares: uint256 = self._to_shares(assets, False)
    assert shares > 0, "pool: zero shares"
    self._pull(assets)
    erc4626.erc20._mint(receiver, shares)
    log IERC4626.Deposit(
        sender=msg.sender, owner=receiver, assets=assets, shares=shares
    )
    return shares


@view
@external
def maxMint(receiver: address) -> uint256:
    """
    @notice No mint limit.
    """
    return max_value(uint256)


@view
@external
def previewMint(shares: uint256) -> uint256:
    """
    @notice Base units minting `shares` costs now, rounded up.
    """
    return self._to_assets(shares, True)


@external
@nonreentrant
def mint(shares: uint256, receiver: address) -> uint256:
    """
    @notice Mint exactly `shares` to `receiver` for base units rounded up.
    """
    assets: uint256 = self._to_assets(shares, True)
    assert assets > 0, "pool: zero assets"
    self._pull(assets)
    erc4626.erc20._mint(receiver, shares)
    log IERC4626.Deposit(
        sender=msg.sender, owner=receiver, assets=assets, shares=shares
    )
    return assets


@view
@external
def maxWithdraw(owner: address) -> uint256:
    """
    @notice Base units `owner` can withdraw now: their shares' value, capped
            by the free cash.
    """
    return min(
        self._to_assets(erc4626.erc20.balanceOf[owner], False),
        self._free_cash(),
    )


@view
@external
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burnt to withdraw `assets` base units, rounded up.
    """
    return self._to_shares(assets, True)


@external
@nonreentrant
def withdraw(assets: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Withdraw `assets` base units to `receiver`, burning `owner`'s
            shares (rounded up).
    @dev Reverts above the free cash or on a stale oracle.
    """
    assert assets <= self._free_cash(), "pool: utilisation"
    shares: uint256 = self._to_shares(assets, True)
    erc4626._withdraw(msg.sender, receiver, owner, assets, shares)
    return shares


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now (capped by the free cash).
    """
    shares: uint256 = erc4626.erc20.balanceOf[owner]
    free: uint256 = self._free_cash()
    if self._to_assets(shares, False) <= free:
        return shares
    return self._to_shares(free, False)


@view
@external
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice Base units redeeming `shares` pays now, rounded down.
    """
    return self._to_assets(shares, False)


@external
@nonreentrant
def redeem(shares: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Redeem `owner`'s `shares` for base units (rounded down) to `receiver`.
    @dev Reverts above the free cash or on a stale oracle.
    """
    assets: uint256 = self._to_assets(shares, False)
    assert assets > 0, "pool: zero assets"
    assert assets <= self._free_cash(), "pool: utilisation"
    erc4626._withdraw(msg.sender, receiver, owner, assets, shares)
    return assets


# ================================================================ internals


@view
@internal
def _total_assets() -> uint256:
    cash: uint256 = staticcall _TOKEN.balanceOf(self)
    liability: int256 = staticcall CLEARING_HOUSE.pool_liability()
    if liability <= 0:
        return cash + convert(-liability, uint256) // _SCALE
    owed: uint256 = (convert(liability, uint256) + _SCALE - 1) // _SCALE
    if owed >= cash:
        return 0
    # owed < cash: cannot underflow
    return unsafe_sub(cash, owed)


@view
@internal
def _free_cash() -> uint256:
    cash: uint256 = staticcall _TOKEN.balanceOf(self)
    required: uint256 = staticcall CLEARING_HOUSE.required_pool_cash()
    if required >= cash:
        return 0
    # required < cash: cannot underflow
    return unsafe_sub(cash, required)


@view
@internal
def _to_shares(assets: uint256, roundup: bool) -> uint256:
    # virtual share and asset (offset 0) as in snekmate, against inflation attacks
    return math._mul_div(
        assets, erc4626.erc20.totalSupply + 1, self._total_assets() + 1, roundup
    )


@view
@internal
def _to_assets(shares: uint256, roundup: bool) -> uint256:
    return math._mul_div(
        shares, self._total_assets() + 1, erc4626.erc20.totalSupply + 1, roundup
    )


@internal
def _pull(assets: uint256):
    """
    @dev Take `assets` from the caller, rejecting fee-on-transfer tokens.
    """
    before: uint256 = staticcall _TOKEN.balanceOf(self)
    assert extcall _TOKEN.transferFrom(
        msg.sender, self, assets, default_return_value=True
    ), "pool: transfer failed"
    assert (
        staticcall _TOKEN.balanceOf(self) - before == assets
    ), "pool: fee-on-transfer token"
