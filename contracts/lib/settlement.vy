# pragma version ~=0.4.3
"""
@title settlement
@notice Conversions between WAD amounts and quote-token base units, always
        rounded against the trader, and the cash-settled payoff of a leg.
@dev Pure functions only. `scale` is 10**(18 - token decimals).
"""

WAD: constant(uint256) = 10**18


@internal
@pure
def _payoff(is_call: bool, spot: uint256, strike: uint256) -> uint256:
    """
    @dev Payoff per unit at `spot`, WAD quote: max(S - K, 0) or max(K - S, 0).
    """
    if is_call:
        if spot > strike:
            # spot > strike: cannot underflow
            return unsafe_sub(spot, strike)
        return 0
    if strike > spot:
        # strike > spot: cannot underflow
        return unsafe_sub(strike, spot)
    return 0


@internal
@pure
def _gain_tokens(pnl: int256, scale: uint256) -> uint256:
    """
    @dev Base units a trader receives for a WAD gain: rounded down.
    """
    if pnl <= 0:
        return 0
    return convert(pnl, uint256) // scale


@internal
@pure
def _loss_tokens(pnl: int256, scale: uint256) -> uint256:
    """
    @dev Base units a trader pays for a WAD loss: rounded up.
    """
    if pnl >= 0:
        return 0
    loss: uint256 = convert(-pnl, uint256)
    return (loss + scale - 1) // scale


@internal
@pure
def _tokens_down(amount: uint256, scale: uint256) -> uint256:
    """
    @dev WAD quote to base units, rounded down.
    """
    return amount // scale


@internal
@pure
def _tokens_up(amount: uint256, scale: uint256) -> uint256:
    """
    @dev WAD quote to base units, rounded up.
    """
    return (amount + scale - 1) // scale
