# pragma version ~=0.4.3
"""
@title risk_params
@notice The per-underlying risk parameters of the margin model: the typed
        struct, the hard limits governance can never leave, and the one
        storage word they are packed into (parts per million, so a health
        check reads one slot).
@dev Everything is WAD (1e18 = 1.0) outside the packed word. Pure functions.
"""


struct RiskParams:
    spot_shock: uint256
    vol_shock: uint256
    im_factor: uint256
    min_short_margin: uint256
    liquidation_reward: uint256
    insurance_fee: uint256
    spread_vol: uint256
    rate: int256
    min_size: uint256


# @dev Stored precision: WAD / PPM_UNIT = parts per million.
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
def _check(p: RiskParams):
    """
    @dev Reverts "risk_params: <name>" unless every parameter lies inside its
         hard limit and is a whole number of parts per million.
    @param p The parameters, WAD.
    """
    assert (
        p.spot_shock >= MIN_SPOT_SHOCK and p.spot_shock <= MAX_SPOT_SHOCK
    ), "risk_params: spot_shock"
    assert p.vol_shock <= MAX_VOL_SHOCK, "risk_params: vol_shock"
    assert (
        p.im_factor >= MIN_IM_FACTOR and p.im_factor <= MAX_IM_FACTOR
    ), "risk_params: im_factor"
    assert (
        p.min_short_margin <= MAX_MIN_SHORT_MARGIN
    ), "risk_params: min_short_margin"
    assert (
        p.liquidation_reward <= MAX_LIQUIDATION_REWARD
    ), "risk_params: liquidation_reward"
    assert p.insurance_fee <= MAX_INSURANCE_FEE, "risk_params: insurance_fee"
    assert p.spread_vol <= MAX_SPREAD_VOL, "risk_params: spread_vol"
    assert p.rate >= MIN_RATE and p.rate <= MAX_RATE, "risk_params: rate"
    assert (
        p.min_size >= MIN_MIN_SIZE and p.min_size <= MAX_MIN_SIZE
    ), "risk_params: min_size"
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
    assert precise, "risk_params: finer than 1e-6"


@internal
@pure
def _pack(p: RiskParams) -> uint256:
    """
    @dev Eight 32-bit ppm fields in one word (`min_size` is stored apart).
         Call `_check` first: it guarantees every field fits in 32 bits.
    @param p The parameters, WAD, inside their limits.
    @return uint256 The packed word (never 0: im_factor >= 1.05).
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
def _unpack(word: uint256, min_size: uint256) -> RiskParams:
    """
    @dev Inverse of `_pack`.
    @param word A word made by `_pack` (0: all parameters zero).
    @param min_size The separately stored minimum leg size, WAD.
    @return RiskParams The parameters, WAD.
    """
    if word == 0:
        return empty(RiskParams)
    return RiskParams(
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
