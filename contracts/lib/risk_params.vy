# pragma version ~=0.4.3
"""
@title risk_params
@notice The per-underlying risk parameters of the margin model: the typed
        struct, the hard limits governance can never leave, and the two
        storage words they are packed into (parts per million): the pricing
        word, all a health check reads, and the trading word (liquidation
        penalties, spread, minimum size), read only by actions that need it.
@dev Everything is WAD (1e18 = 1.0) outside the packed words, except
     `horizon` (seconds). docs/risk.md gives each parameter's meaning, default
     and why. Pure functions.
"""


struct RiskParams:
    # scenario spot move h = clamp(spot_sigmas * vol_ref * sqrt(horizon / year),
    # spot_shock, MAX_SPOT_SHOCK): up by h, down by crash_factor * h (at most
    # MAX_SPOT_DOWN); vol_ref is the highest implied vol among the vault's legs
    spot_shock: uint256
    spot_sigmas: uint256
    crash_factor: uint256
    # scenario vol moves at a 30-day tenor, fractions of each leg's vol, scaled by
    # sqrt(30 days / tenor) clamped to [0.5, vol_tenor_cap]
    vol_up: uint256
    vol_down: uint256
    vol_tenor_cap: uint256
    # liquidation horizon, seconds: long legs are revalued this much closer to expiry
    horizon: uint256
    im_factor: uint256
    min_short_margin: uint256
    liquidation_reward: uint256
    insurance_fee: uint256
    spread_vol: uint256
    rate: int256
    min_size: uint256


# @dev Stored precision: WAD / PPM_UNIT = parts per million.
PPM_UNIT: constant(uint256) = 10**12
# @dev The rate is stored offset by +0.1 (its lowest value) so the field is unsigned.
RATE_OFFSET: constant(int256) = 10**5

# @dev Hard limits on every governance parameter (WAD unless noted).
MIN_SPOT_SHOCK: constant(uint256) = 10**16  # 1 %
MAX_SPOT_SHOCK: constant(uint256) = 5 * 10**17  # 50 %: h never exceeds it
MAX_SPOT_SIGMAS: constant(uint256) = 8 * 10**18  # 8 standard deviations
MIN_CRASH_FACTOR: constant(uint256) = 10**18  # the down move is at least h
MAX_CRASH_FACTOR: constant(uint256) = 3 * 10**18
MAX_SPOT_DOWN: constant(uint256) = (
    9 * 10**17
)  # the down move never exceeds 90 %
MAX_VOL_UP: constant(uint256) = 4 * 10**18  # vol x 5 at a 30-day tenor
MAX_VOL_DOWN: constant(uint256) = 9 * 10**17  # vol x 0.1 at a 30-day tenor
MIN_VOL_TENOR_CAP: constant(uint256) = (
    10**18
)  # short tenors move at least as much
MAX_VOL_TENOR_CAP: constant(uint256) = 4 * 10**18
MIN_HORIZON: constant(uint256) = 60  # seconds
MAX_HORIZON: constant(uint256) = 7 * 86_400  # seconds
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
MIN_RATE: constant(int256) = -(10**17)  # -10 %
MAX_RATE: constant(int256) = 10**18  # 100 %
MIN_MIN_SIZE: constant(uint256) = 10**12  # 1e-6 units
MAX_MIN_SIZE: constant(uint256) = 10**20  # 100 units

# @dev The pricing word, low bits first (ppm; horizon in seconds):
#      spot_shock 19 | spot_sigmas 23 | crash_factor 22 | vol_up 22 | vol_down 20
#      | vol_tenor_cap 22 | horizon 20 | im_factor 22 | min_short_margin 19
#      | rate + 0.1 21 = 210 bits. Each width holds its field's whole range.
SIGMAS_SHIFT: constant(uint256) = 19
CRASH_SHIFT: constant(uint256) = 42
VOL_UP_SHIFT: constant(uint256) = 64
VOL_DOWN_SHIFT: constant(uint256) = 86
TENOR_SHIFT: constant(uint256) = 106
HORIZON_SHIFT: constant(uint256) = 128
IM_SHIFT: constant(uint256) = 148
MIN_SHORT_SHIFT: constant(uint256) = 170
RATE_SHIFT: constant(uint256) = 189
# @dev The trading word: liquidation_reward 20 | insurance_fee 20 | spread_vol 20
#      | min_size (ppm of a unit) 27 = 87 bits.
FEE_SHIFT: constant(uint256) = 20
SPREAD_SHIFT: constant(uint256) = 40
MIN_SIZE_SHIFT: constant(uint256) = 60
MASK_19: constant(uint256) = 2**19 - 1
MASK_20: constant(uint256) = 2**20 - 1
MASK_21: constant(uint256) = 2**21 - 1
MASK_22: constant(uint256) = 2**22 - 1
MASK_23: constant(uint256) = 2**23 - 1
MASK_27: constant(uint256) = 2**27 - 1


@internal
@pure
def _check(p: RiskParams):
    """
    @dev Reverts "risk_params: <name>" unless every parameter lies inside its
         hard limit and is a whole number of parts per million (the stored
         precision).
    @param p The parameters, WAD (horizon in seconds).
    """
    assert (
        p.spot_shock >= MIN_SPOT_SHOCK and p.spot_shock <= MAX_SPOT_SHOCK
    ), "risk_params: spot_shock"
    assert p.spot_sigmas <= MAX_SPOT_SIGMAS, "risk_params: spot_sigmas"
    assert (
        p.crash_factor >= MIN_CRASH_FACTOR
        and p.crash_factor <= MAX_CRASH_FACTOR
    ), "risk_params: crash_factor"
    assert p.vol_up <= MAX_VOL_UP, "risk_params: vol_up"
    assert p.vol_down <= MAX_VOL_DOWN, "risk_params: vol_down"
    assert (
        p.vol_tenor_cap >= MIN_VOL_TENOR_CAP
        and p.vol_tenor_cap <= MAX_VOL_TENOR_CAP
    ), "risk_params: vol_tenor_cap"
    assert (
        p.horizon >= MIN_HORIZON and p.horizon <= MAX_HORIZON
    ), "risk_params: horizon"
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
        and p.spot_sigmas % PPM_UNIT == 0
        and p.crash_factor % PPM_UNIT == 0
        and p.vol_up % PPM_UNIT == 0
        and p.vol_down % PPM_UNIT == 0
        and p.vol_tenor_cap % PPM_UNIT == 0
        and p.im_factor % PPM_UNIT == 0
        and p.min_short_margin % PPM_UNIT == 0
        and p.liquidation_reward % PPM_UNIT == 0
        and p.insurance_fee % PPM_UNIT == 0
        and p.spread_vol % PPM_UNIT == 0
        and p.rate % convert(PPM_UNIT, int256) == 0
        and p.min_size % PPM_UNIT == 0
    )
    assert precise, "risk_params: finer than 1e-6"


@internal
@pure
def _pack(p: RiskParams) -> (uint256, uint256):
    """
    @dev The pricing word and the trading word. Call `_check` first: it
         guarantees every field fits its width.
    @param p The parameters, inside their limits.
    @return uint256 The pricing word (never 0: im_factor >= 1.05).
    @return uint256 The trading word (never 0: min_size >= 1e-6).
    """
    rate_field: uint256 = convert(
        p.rate // convert(PPM_UNIT, int256) + RATE_OFFSET, uint256
    )
    pricing: uint256 = (
        p.spot_shock // PPM_UNIT
        | (p.spot_sigmas // PPM_UNIT) << SIGMAS_SHIFT
        | (p.crash_factor // PPM_UNIT) << CRASH_SHIFT
        | (p.vol_up // PPM_UNIT) << VOL_UP_SHIFT
        | (p.vol_down // PPM_UNIT) << VOL_DOWN_SHIFT
        | (p.vol_tenor_cap // PPM_UNIT) << TENOR_SHIFT
        | p.horizon << HORIZON_SHIFT
        | (p.im_factor // PPM_UNIT) << IM_SHIFT
        | (p.min_short_margin // PPM_UNIT) << MIN_SHORT_SHIFT
        | rate_field << RATE_SHIFT
    )
    trading: uint256 = (
        p.liquidation_reward // PPM_UNIT
        | (p.insurance_fee // PPM_UNIT) << FEE_SHIFT
        | (p.spread_vol // PPM_UNIT) << SPREAD_SHIFT
        | (p.min_size // PPM_UNIT) << MIN_SIZE_SHIFT
    )
    return pricing, trading


@internal
@pure
def _unpack(pricing: uint256, trading: uint256) -> RiskParams:
    """
    @dev Inverse of `_pack`; either word may be 0 (its fields then read 0), so
         a caller that needs only one reads only one.
    @param pricing The pricing word.
    @param trading The trading word.
    @return RiskParams The parameters, WAD (horizon in seconds).
    """
    out: RiskParams = empty(RiskParams)
    if pricing != 0:
        out.spot_shock = (pricing & MASK_19) * PPM_UNIT
        out.spot_sigmas = ((pricing >> SIGMAS_SHIFT) & MASK_23) * PPM_UNIT
        out.crash_factor = ((pricing >> CRASH_SHIFT) & MASK_22) * PPM_UNIT
        out.vol_up = ((pricing >> VOL_UP_SHIFT) & MASK_22) * PPM_UNIT
        out.vol_down = ((pricing >> VOL_DOWN_SHIFT) & MASK_20) * PPM_UNIT
        out.vol_tenor_cap = ((pricing >> TENOR_SHIFT) & MASK_22) * PPM_UNIT
        out.horizon = (pricing >> HORIZON_SHIFT) & MASK_20
        out.im_factor = ((pricing >> IM_SHIFT) & MASK_22) * PPM_UNIT
        out.min_short_margin = (
            (pricing >> MIN_SHORT_SHIFT) & MASK_19
        ) * PPM_UNIT
        out.rate = (
            convert((pricing >> RATE_SHIFT) & MASK_21, int256) - RATE_OFFSET
        ) * convert(PPM_UNIT, int256)
    if trading != 0:
        out.liquidation_reward = (trading & MASK_20) * PPM_UNIT
        out.insurance_fee = ((trading >> FEE_SHIFT) & MASK_20) * PPM_UNIT
        out.spread_vol = ((trading >> SPREAD_SHIFT) & MASK_20) * PPM_UNIT
        out.min_size = ((trading >> MIN_SIZE_SHIFT) & MASK_27) * PPM_UNIT
    return out
