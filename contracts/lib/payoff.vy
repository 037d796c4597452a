# pragma version ~=0.4.3
"""
@title payoff
@notice What a leg is worth under futures-style margining: the cash-settled
        payoff of a European option at a price, the step delta of an expired
        leg, and the P&L of a vault's legs against their entry prices. The
        P&L of every vault action is computed here and nowhere else.
@dev Pure functions, WAD (1e18 = 1.0).
"""

from . import constants


@internal
@pure
def _payoff(is_call: bool, spot: uint256, strike: uint256) -> uint256:
    """
    @dev Payoff per unit at `spot`: max(S - K, 0) for a call, max(K - S, 0)
         for a put.
    @param is_call True for a call.
    @param spot Price, WAD quote per unit.
    @param strike Strike, WAD quote per unit.
    @return uint256 Payoff, WAD quote per unit.
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
def _step_delta(is_call: bool, spot: uint256, strike: uint256) -> int256:
    """
    @dev Delta of an expired leg: 1 (call) or -1 (put) in the money, else 0.
    @param is_call True for a call.
    @param spot Settlement (or current) price, WAD.
    @param strike Strike, WAD.
    @return int256 Delta, WAD.
    """
    if is_call and spot > strike:
        return constants.IWAD
    if not is_call and spot < strike:
        return -constants.IWAD
    return 0


@internal
@pure
def _pnl(
    n: uint256,
    sizes: int256[constants.MAX_LEGS],
    prices: uint256[constants.MAX_LEGS],
    entries: uint256[constants.MAX_LEGS],
) -> int256:
    """
    @dev Futures-style P&L of the first `n` legs: sum size * (price - entry),
         each term rounded down (towards -infinity): a gain a wei smaller, a
         loss a wei larger, against the trader (SPEC 2).
    @param n Number of legs, at most MAX_LEGS.
    @param sizes Signed sizes, WAD units (long > 0).
    @param prices Exit price per unit of each leg (mark, exit or payoff), WAD.
    @param entries Entry price per unit of each leg, WAD.
    @return int256 P&L, WAD quote (positive: the trader gains).
    """
    pnl: int256 = 0
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        product: int256 = sizes[i] * (
            convert(prices[i], int256) - convert(entries[i], int256)
        )
        term: int256 = product // constants.IWAD
        if product < 0 and term * constants.IWAD != product:
            # Vyper's // truncates towards zero: one more wei of loss
            term -= 1
        pnl += term
    return pnl
