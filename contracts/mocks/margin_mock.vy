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
    sc: margin.Scenarios,
    spots: uint256[3],
    spot: uint256,
    params: risk.RiskParams,
) -> (uint256, uint256):
    """
    @notice (maintenance, initial) margin, WAD; see `margin._requirement`.
    @param sc The legs' sizes, marks, strikes, liveness, scenario values and deltas.
    @param spots The grid spots [S (1 - down), S, S (1 + up)], WAD.
    @param spot Today's spot, WAD.
    @param params Risk parameters.
    @return uint256 Maintenance margin, WAD.
    @return uint256 Initial margin, WAD.
    """
    return margin._requirement(sc, spots, spot, params)


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
