# pragma version ~=0.4.3
"""
@title margin
@notice Ringfence's margin math: a vault's maintenance margin from its NET
        Greeks stressed over spot +-h and vol +-v (second-order Taylor), the
        short-notional floor, the all-long cap, the initial margin, and the
        closed-form partial-liquidation fraction. Also packs the per-underlying
        risk parameters into one storage word.
@dev Everything is WAD (1e18 = 1.0). Pure functions only: no storage, so the
     module is imported without `initializes`.
"""

from ..interfaces import IClearingHouse

WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18
# @dev Risk parameters are stored in parts per million: WAD / PPM_UNIT.
PPM_UNIT: constant(uint256) = 10**12
FIELD_MASK: constant(uint256) = 2**32 - 1
# @dev The rate is stored offset by +1.0 so that the field is unsigned.
RATE_OFFSET: constant(int256) = 10**6

# @dev Hard limits on every governance parameter (WAD).
MIN_SPOT_SHOCK: constant(uint256) = 10**16  # 1 %
MAX_SPOT_SHOCK: constant(uint256) = 5 * 10**17  # 50 %
MAX_VOL_SHOCK: constant(uint256) = 2 * 10**18  # 200 vol points
MIN_IM_FACTOR: constant(uint256) = 105 * 10**16  # 1.05
MAX_IM_FACTOR: constant(uint256) = 3 * 10**18  # 3.0
MAX_MIN_SHORT_MARGIN: constant(uint256) = (
    5 * 10**17
)  # 50 % of spot per short unit
MAX_LIQUIDATION_REWARD: constant(uint256) = (
    2 * 10**17
)  # 20 % of the closed MM
MAX_INSURANCE_FEE: constant(uint256) = 2 * 10**17  # 20 % of the closed MM
MAX_SPREAD_VOL: constant(uint256) = 10**17  # 10 vol points of vega
MIN_RATE: constant(int256) = -(10**17)  # -10 %, the Black-Scholes domain
MAX_RATE: constant(int256) = 10**18  # 100 %
MIN_MIN_SIZE: constant(uint256) = 10**12  # 1e-6 units
MAX_MIN_SIZE: constant(uint256) = 10**20  # 100 units


@internal
@pure
def _check(p: IClearingHouse.RiskParams):
    """
    @dev Reverts unless every parameter lies inside its hard limit and is a
         whole number of parts per million (the stored precision).
    """
    assert (
        p.spot_shock >= MIN_SPOT_SHOCK and p.spot_shock <= MAX_SPOT_SHOCK
    ), "margin: spot_shock"
    assert p.vol_shock <= MAX_VOL_SHOCK, "margin: vol_shock"
    assert (
        p.im_factor >= MIN_IM_FACTOR and p.im_factor <= MAX_IM_FACTOR
    ), "margin: im_factor"
    assert (
        p.min_short_margin <= MAX_MIN_SHORT_MARGIN
    ), "margin: min_short_margin"
    assert (
        p.liquidation_reward <= MAX_LIQUIDATION_REWARD
    ), "margin: liquidation_reward"
    assert p.insurance_fee <= MAX_INSURANCE_FEE, "margin: insurance_fee"
    assert p.spread_vol <= MAX_SPREAD_VOL, "margin: spread_vol"
    assert p.rate >= MIN_RATE and p.rate <= MAX_RATE, "margin: rate"
    assert (
        p.min_size >= MIN_MIN_SIZE and p.min_size <= MAX_MIN_SIZE
    ), "margin: min_size"
    precise: bool = (
        p.spot_shock % PPM_UNIT == 0
        and p.vol_shock % PPM_UNIT == 0
        and p.im_factor % PPM_UNIT == 0
        and p.min_short_margin % PPM_UNIT == 0
        and p.liquidation_reward % PPM_UNIT == 0
        and p.insurance_fee % PPM_UNIT == 0
        and p.spread_vol % PPM_UNIT == 0
        and p.rate % convert(PPM_UNIT, int256) == 0
    )
    assert precise, "margin: finer than 1e-6"


@internal
@pure
def _pack(p: IClearingHouse.RiskParams) -> uint256:
    """
    @dev Eight 32-bit fields in ppm, so a health check reads one slot. Call
         `_check` first: it guarantees every field fits in 32 bits.
    """
    rate_field: uint256 = convert(
        p.rate // convert(PPM_UNIT, int256) + RATE_OFFSET, uint256
    )
    return (
        p.spot_shock // PPM_UNIT
        | (p.vol_shock // PPM_UNIT) << 32
        | (p.im_factor // PPM_UNIT) << 64
        | (p.min_short_margin // PPM_UNIT) << 96
        | (p.liquidation_reward // PPM_UNIT) << 128
        | (p.insurance_fee // PPM_UNIT) << 160
        | (p.spread_vol // PPM_UNIT) << 192
        | rate_field << 224
    )


@internal
@pure
def _unpack(word: uint256, min_size: uint256) -> IClearingHouse.RiskParams:
    """
    @dev Inverse of `_pack`; `min_size` is stored apart (read only on open).
    """
    return IClearingHouse.RiskParams(
        spot_shock=(word & FIELD_MASK) * PPM_UNIT,
        vol_shock=((word >> 32) & FIELD_MASK) * PPM_UNIT,
        im_factor=((word >> 64) & FIELD_MASK) * PPM_UNIT,
        min_short_margin=((word >> 96) & FIELD_MASK) * PPM_UNIT,
        liquidation_reward=((word >> 128) & FIELD_MASK) * PPM_UNIT,
        insurance_fee=((word >> 160) & FIELD_MASK) * PPM_UNIT,
        spread_vol=((word >> 192) & FIELD_MASK) * PPM_UNIT,
        rate=(convert(word >> 224, int256) - RATE_OFFSET)
        * convert(PPM_UNIT, int256),
        min_size=min_size,
    )


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
    p: IClearingHouse.RiskParams,
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
    """
    ds: int256 = convert(spot * p.spot_shock // WAD, int256)
    first: int256 = net_delta * ds // IWAD
    second: int256 = net_gamma * ds // IWAD * ds // IWAD // 2
    worst: int256 = max(max(-first - second, first - second), 0)
    mm: uint256 = (
        convert(worst, uint256)
        + convert(abs(net_vega), uint256) * p.vol_shock // WAD
    )
    short_floor: uint256 = p.min_short_margin * spot // WAD * short_units // WAD
    mm = max(mm, short_floor)
    im: uint256 = mm * p.im_factor // WAD
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
         of head room for token rounding. Returns WAD (or more) when the
         whole vault must go.
    @param penalty k = liquidation reward + insurance fee, WAD fraction of MM.
    """
    base: uint256 = mm * penalty // WAD
    if im <= base or equity <= 0:
        return WAD
    need: int256 = convert(im + buffer, int256) - equity
    if need <= 0:
        return 0
    denominator: uint256 = im - base
    numerator: uint256 = convert(need, uint256) * WAD
    # ceil division: rounding up closes slightly more, in the rest's favour
    f: uint256 = (numerator + denominator - 1) // denominator
    return min(f, WAD)
