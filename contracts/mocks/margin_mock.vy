# pragma version ~=0.4.3
"""
@title margin_mock
@notice Exposes the pure functions of `lib/margin.vy` to tests and benchmarks.
"""

from ..interfaces import IClearingHouse
from ..lib import margin


@external
@pure
def requirement(
    net_delta: int256,
    net_gamma: int256,
    net_vega: int256,
    spot: uint256,
    short_units: uint256,
    long_value: uint256,
    all_long: bool,
    params: IClearingHouse.RiskParams,
) -> (uint256, uint256):
    """
    @notice (maintenance, initial) margin, WAD; see `margin._requirement`.
    """
    return margin._requirement(
        net_delta,
        net_gamma,
        net_vega,
        spot,
        short_units,
        long_value,
        all_long,
        params,
    )


@external
@pure
def liquidation_fraction(
    equity: int256, im: uint256, mm: uint256, penalty: uint256, buffer: uint256
) -> uint256:
    """
    @notice Smallest fraction (WAD) to close; see `margin._liquidation_fraction`.
    """
    return margin._liquidation_fraction(equity, im, mm, penalty, buffer)
