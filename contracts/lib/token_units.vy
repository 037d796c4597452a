# pragma version ~=0.4.3
"""
@title token_units
@notice Conversions between WAD amounts and base units of the quote token.
        The rounding direction is in each function's name; callers pick the
        one that rounds against the trader (SPEC 2), so no conversion can
        create a token.
@dev `scale` is 10**(18 - token decimals), >= 1. Built on snekmate's math.
"""

from snekmate.utils import math


@internal
@pure
def _down(amount: uint256, scale: uint256) -> uint256:
    """
    @dev WAD quote to base units, rounded down.
    @param amount WAD quote.
    @param scale 10**(18 - decimals).
    @return uint256 Base units.
    """
    return amount // scale


@internal
@pure
def _up(amount: uint256, scale: uint256) -> uint256:
    """
    @dev WAD quote to base units, rounded up.
    @param amount WAD quote.
    @param scale 10**(18 - decimals).
    @return uint256 Base units.
    """
    return math._ceil_div(amount, scale)


@internal
@pure
def _gain_down(pnl: int256, scale: uint256) -> uint256:
    """
    @dev Base units a trader receives for a WAD P&L: its positive part,
         rounded down.
    @param pnl WAD quote, signed.
    @param scale 10**(18 - decimals).
    @return uint256 Base units, 0 for a loss.
    """
    if pnl <= 0:
        return 0
    return convert(pnl, uint256) // scale


@internal
@pure
def _loss_up(pnl: int256, scale: uint256) -> uint256:
    """
    @dev Base units a trader pays for a WAD P&L: its negative part, rounded up.
    @param pnl WAD quote, signed.
    @param scale 10**(18 - decimals).
    @return uint256 Base units, 0 for a gain.
    """
    if pnl >= 0:
        return 0
    return math._ceil_div(convert(-pnl, uint256), scale)
