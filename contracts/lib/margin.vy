# pragma version ~=0.4.3
"""
@title margin
@notice Ringfence's margin math: a vault's maintenance margin from its NET
        Greeks stressed over spot +-h and vol +-v (second-order Taylor), the
        short-notional floor, the all-long cap, the initial margin, and the
        closed-form partial-liquidation fraction.
@dev Everything is WAD (1e18 = 1.0). Pure functions only: no storage, so the
     module is imported without `initializes`.
"""

from snekmate.utils import math

from . import constants
from . import risk_params


@internal
@pure
def _requirement(
    net_delta: int256,
    net_gamma: int256,
    net_vega: int256,
    spot: uint256,
    short_units: uint256,
    long_value: uint256,
    all_long: bool,
    p: risk_params.RiskParams,
) -> (uint256, uint256):
    """
    @dev (maintenance, initial) margin, WAD quote.
         MM = max over dS in {-h S, 0, +h S}, dv in {-v, +v} of
              -(D dS + G dS^2 / 2 + V dv)
            = max(-(D h S) - G (h S)^2 / 2, D h S - G (h S)^2 / 2, 0) + |V| v,
         then floored at min_short_margin * spot per short unit, and capped
         at the vault's mark value when every leg is long (a long vault
         cannot lose more than it is worth). IM = im_factor * MM, with the
         same cap for an all-long vault: a fully paid long is never
         liquidatable.
    @param net_delta Sum of size * delta, WAD units of the underlying.
    @param net_gamma Sum of size * gamma, WAD per quote unit.
    @param net_vega Sum of size * vega, WAD quote per 1.0 of vol.
    @param spot WAD quote per unit.
    @param short_units Sum of |size| over short legs, WAD.
    @param long_value Sum of size * mark over the legs, WAD (used when all_long).
    @param all_long True when no leg is short.
    @param p Risk parameters of the underlying.
    @return uint256 Maintenance margin, WAD quote.
    @return uint256 Initial margin, WAD quote.
    """
    ds: int256 = convert(spot * p.spot_shock // constants.WAD, int256)
    first: int256 = net_delta * ds // constants.IWAD
    second: int256 = (
        net_gamma * ds // constants.IWAD * ds // constants.IWAD // 2
    )
    worst: int256 = max(max(-first - second, first - second), 0)
    mm: uint256 = (
        convert(worst, uint256)
        + convert(abs(net_vega), uint256) * p.vol_shock // constants.WAD
    )
    short_floor: uint256 = (
        p.min_short_margin
        * spot // constants.WAD
        * short_units // constants.WAD
    )
    mm = max(mm, short_floor)
    im: uint256 = mm * p.im_factor // constants.WAD
    if all_long:
        mm = min(mm, long_value)
        im = min(im, long_value)
    return mm, im


@internal
@pure
def _liquidation_fraction(
    equity: int256, im: uint256, mm: uint256, penalty: uint256, buffer: uint256
) -> uint256:
    """
    @dev Smallest fraction f (WAD) of every leg to close so that the rest has
         equity >= IM. Closing f at mark realises f of the P&L (equity is
         unchanged by it) and costs the vault penalty * f * MM; margin is
         homogeneous of degree one in the sizes, so the rest needs
         (1 - f) * IM. Hence E - k f MM >= (1 - f) IM, i.e.
         f >= (IM - E) / (IM - k MM), rounded up, plus `buffer` (WAD quote)
         of head room for token rounding. Returns WAD when the whole vault
         must go.
    @param equity Equity of the vault, WAD quote.
    @param im Initial margin, WAD quote.
    @param mm Maintenance margin, WAD quote.
    @param penalty k = liquidation reward + insurance fee, WAD fraction of MM.
    @param buffer Head room for token rounding, WAD quote.
    @return uint256 Fraction to close, WAD (0: none needed; WAD: all).
    """
    base: uint256 = mm * penalty // constants.WAD
    if im <= base or equity <= 0:
        return constants.WAD
    need: int256 = convert(im + buffer, int256) - equity
    if need <= 0:
        return 0
    # rounding up closes slightly more, in the rest's favour
    f: uint256 = math._ceil_div(
        convert(need, uint256) * constants.WAD, im - base
    )
    return min(f, constants.WAD)
