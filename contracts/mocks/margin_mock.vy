# pragma version ~=0.4.3
"""
@title margin_mock
@notice Exposes the pure functions of `lib/margin.vy` to tests and benchmarks.
"""

from ..lib import margin
from ..lib import risk_params as risk


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
    params: risk.RiskParams,
) -> (uint256, uint256):
    """
    @notice (maintenance, initial) margin, WAD; see `margin._requirement`.
    @param net_delta Sum of size * delta, WAD.
    @param net_gamma Sum of size * gamma, WAD.
    @param net_vega Sum of size * vega, WAD.
    @param spot WAD quote per unit.
    @param short_units Sum of |size| over short legs, WAD.
    @param long_value Sum of size * mark, WAD.
    @param all_long True when no leg is short.
    @param params Risk parameters.
    @return uint256 Maintenance margin, WAD.
    @return uint256 Initial margin, WAD.
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
    @param equity Equity, WAD.
    @param im Initial margin, WAD.
    @param mm Maintenance margin, WAD.
    @param penalty Reward + fee rate, WAD fraction of MM.
    @param buffer Rounding head room, WAD.
    @return uint256 Fraction, WAD.
    """
    return margin._liquidation_fraction(equity, im, mm, penalty, buffer)
