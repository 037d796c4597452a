# pragma version ~=0.4.3
"""
@title black_scholes
@custom:contract-name black_scholes
@license MIT
@notice Fixed-point Black-Scholes price and Greeks of a European call or put,
        in one fused computation: d1/d2 are shared, the normal density costs a
        single exponential, phi(d2) is derived from phi(d1), and both normal CDFs
        reuse those densities through Hart's (1968) rational form (West 2005).
        `_scenario_grid` values one leg at the margin engine's six scenario points
        (3 spots x 2 vols) in one pass, sharing the per-leg work.
@dev Method, error bounds and measured gas: docs/math.md. Intermediates are kept
     at 1e36 (logarithm, exponentials, d-numerators, densities, CDFs), 1e18 for
     d1/d2, and money at 1e27 ("wei x 1e9") until the single final rounding.
     Every `unsafe_*` operation carries a comment bounding its operands over the
     domain checked on entry. The domain is total for every state the oracle can
     report (docs/math.md 1.1): spot and strike in [1, 1e30] wei at any ratio, any
     vol, tau <= 10 years; only the rate stays governance-bounded.
"""

# ---------------------------------------------------------------- constants

WAD: constant(int256) = 10**18
E27: constant(int256) = 10**27
E36: constant(int256) = 10**36
UE36: constant(uint256) = 10**36
YEAR: constant(uint256) = 31_536_000

# Domain (docs/math.md 1.1): reverts outside these bounds only.
MIN_PRICE: constant(uint256) = 1
MAX_PRICE: constant(uint256) = 10**30
MAX_TAU: constant(uint256) = 10 * YEAR
MIN_RATE: constant(int256) = -(10**17)
MAX_RATE: constant(int256) = 10**18
# Inside strike/spot in [1/100, 100] the logarithm needs no wide reduction; beyond it
# `_ln_wide36` reduces by powers of two first.
MAX_MONEYNESS: constant(uint256) = 100
# Up to vol 10.0 no total-variance test is made (the pre-extension domain, unchanged).
MAX_VOL: constant(uint256) = 10 * 10**18
# Total vol sigma sqrt(tau) at 1e50 at or above which the option is at its
# infinite-variance limit: sigma sqrt(tau) >= 64 and |ln(S/K) + r tau| <= 80 put
# d1 >= 30.7 and d2 <= -30.7, far past both cuts below, so the kernel itself would
# return exactly the limit there. Any vol >= 1e36 is past it for every tau >= 1 s.
W50_LIMIT: constant(uint256) = 64 * 10**50
VOL_LIMIT: constant(uint256) = 10**36

# ln(2), ln(5/4), ln(3/4) and 1/sqrt(2 pi), rounded to 1e36.
LN2: constant(int256) = 693_147_180_559_945_309_417_232_121_458_176_568
HALF_LN2: constant(int256) = 346_573_590_279_972_654_708_616_060_729_088_284
LN_5_4: constant(int256) = 223_143_551_314_209_755_766_295_090_309_834_503
LN_3_4: constant(int256) = -287_682_072_451_780_927_439_219_005_993_827_432
INV_SQRT_2PI: constant(
    uint256
) = 398_942_280_401_432_677_939_946_059_934_381_868

# 2^(j + 1/2) * 1e36 for the power-of-two range reduction of the logarithm, and
# sqrt(5/4), sqrt(3/4) * 1e36 for its second stage.
SQRT2_POW_8_5: constant(
    uint256
) = 362_038_671_967_512_332_493_232_313_397_682_708_113
SQRT2_POW_4_5: constant(
    uint256
) = 22_627_416_997_969_520_780_827_019_587_355_169_257
SQRT2_POW_2_5: constant(
    uint256
) = 5_656_854_249_492_380_195_206_754_896_838_792_314
SQRT2_POW_1_5: constant(
    uint256
) = 2_828_427_124_746_190_097_603_377_448_419_396_157
SQRT2_POW_0_5: constant(
    uint256
) = 1_414_213_562_373_095_048_801_688_724_209_698_078
SQRT2_POW_MINUS_0_5: constant(
    uint256
) = 707_106_781_186_547_524_400_844_362_104_849_039
SQRT_5_4: constant(uint256) = 1_118_033_988_749_894_848_204_586_834_365_638_117
SQRT_3_4: constant(uint256) = 866_025_403_784_438_646_763_723_170_752_936_183

# |d| at or above which the density is not evaluated: d^2/2 >= 80, phi < 1e-35.
D_EXP_CUT: constant(int256) = 12_649_110_640_673_517_327
# |d| at or above which the normal tail is taken as exactly 0: N(-10) < 7.7e-24.
D_TAIL_CUT: constant(uint256) = 10 * 10**18
D_TAIL_CUT33: constant(int256) = 10 * 10**33

# Hart (1968) algorithm 5666 coefficients as published by West (2005), 1e18:
# N(-x) = exp(-x^2/2) * P(x) / Q(x) for 0 <= x < 10.
P0: constant(uint256) = 35_262_496_599_891_100
P1: constant(uint256) = 700_383_064_443_688_000
P2: constant(uint256) = 6_373_962_203_531_650_000
P3: constant(uint256) = 33_912_866_078_383_000_000
P4: constant(uint256) = 112_079_291_497_871_000_000
P5: constant(uint256) = 221_213_596_169_931_000_000
P6: constant(uint256) = 220_206_867_912_376_000_000
Q0: constant(uint256) = 88_388_347_648_318_400
Q1: constant(uint256) = 1_755_667_163_182_640_000
Q2: constant(uint256) = 16_064_177_579_207_000_000
Q3: constant(uint256) = 86_780_732_202_946_100_000
Q4: constant(uint256) = 296_564_248_779_674_000_000
Q5: constant(uint256) = 637_333_633_378_831_000_000
Q6: constant(uint256) = 793_826_512_519_948_000_000
Q7: constant(uint256) = 440_413_735_824_752_000_000

# The same rational P(a) / Q(a) as the continued fraction (J-fraction)
# CF_C0 / (a + CF_B0 + CF_C1 / (a + CF_B1 + ... + CF_C6 / (a + CF_B6))), derived exactly
# from the coefficients above by the Euclidean algorithm in rational arithmetic
# (ringfence.bs_reference.hart_continued_fraction); CF_B at 1e33, CF_C at 1e66. Seven
# divisions instead of thirteen Horner steps and one division, and no 1e18 rounding.
CF_C0: constant(
    int256
) = 398_949_607_477_609_336_890_170_362_415_576_964_136_607_369_001_903_939_899_181_967_176
CF_B0: constant(int256) = 1_124_740_820_372_012_861_464_567_164_514
CF_C1: constant(
    int256
) = 965_541_013_940_099_532_361_141_787_713_385_958_185_880_151_261_216_719_416_776_540_638
CF_B1: constant(int256) = -730_021_987_831_715_129_928_163_961_118_257
CF_C2: constant(
    int256
) = 13_786_292_809_964_267_054_707_184_178_484_748_169_749_242_748_851_098_353_429_299_480_519
CF_B2: constant(int256) = 11_338_056_770_829_098_763_812_519_889_342_956
CF_C3: constant(
    int256
) = 361_745_916_347_717_868_267_838_612_545_876_789_526_136_618_371_389_310_986_500_130_195
CF_B3: constant(int256) = 379_044_426_227_584_799_852_524_370_029_901_155
CF_C4: constant(
    int256
) = 141_674_084_896_220_960_696_983_277_049_782_040_577_764_633_793_951_196_808_523_516_581_662_044
CF_B4: constant(int256) = -373_678_978_299_351_511_563_081_189_166_216_609
CF_C5: constant(
    int256
) = -52_807_338_087_263_184_876_442_646_364_735_646_214_763_562_983_555_822_399_975_643_727
CF_B5: constant(int256) = 2_458_638_395_507_574_233_167_451_785_835_631
CF_C6: constant(
    int256
) = 19_243_126_766_498_665_575_846_254_879_955_131_762_569_441_233_301_498_919_553_050_074_566
CF_B6: constant(int256) = 1_429_860_657_929_289_318_408_745_113_454_318

# Scenario grid (docs/math.md 5): spot shocks, WAD fractions.
UWAD: constant(uint256) = 10**18
MAX_SPOT_UP: constant(uint256) = 10 * 10**18

# atanh series: A_j = floor(1e36 / (2j + 1)), j = 0..14.
A1: constant(int256) = 333_333_333_333_333_333_333_333_333_333_333_333
A2: constant(int256) = 200_000_000_000_000_000_000_000_000_000_000_000
A3: constant(int256) = 142_857_142_857_142_857_142_857_142_857_142_857
A4: constant(int256) = 111_111_111_111_111_111_111_111_111_111_111_111
A5: constant(int256) = 90_909_090_909_090_909_090_909_090_909_090_909
A6: constant(int256) = 76_923_076_923_076_923_076_923_076_923_076_923
A7: constant(int256) = 66_666_666_666_666_666_666_666_666_666_666_666
A8: constant(int256) = 58_823_529_411_764_705_882_352_941_176_470_588
A9: constant(int256) = 52_631_578_947_368_421_052_631_578_947_368_421
A10: constant(int256) = 47_619_047_619_047_619_047_619_047_619_047_619
A11: constant(int256) = 43_478_260_869_565_217_391_304_347_826_086_956
A12: constant(int256) = 40_000_000_000_000_000_000_000_000_000_000_000
A13: constant(int256) = 37_037_037_037_037_037_037_037_037_037_037_037
A14: constant(int256) = 34_482_758_620_689_655_172_413_793_103_448_275


# ---------------------------------------------------------------- internal


@internal
@pure
def _price_and_greeks(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    vol: uint256,
    rate: int256,
) -> (int256, int256, int256, int256, int256):
    """
    @dev Price and Greeks of a European option under Black-Scholes (no dividends).
         Total domain (docs/math.md 1.1): the same closed form everywhere, with a
         power-of-two reduction of the logarithm beyond strike/spot 1/100..100, and the
         exact infinite-variance limit once sigma sqrt(tau) >= 64.
    @param is_call True for a call, False for a put.
    @param spot Spot, WAD quote per unit, in [1, 1e30] wei.
    @param strike Strike, WAD quote per unit, in [1, 1e30] wei; any strike/spot.
    @param tau Seconds to expiry (year = 31_536_000 s), at most 10 years.
    @param vol Annualised volatility, WAD, any uint256.
    @param rate Annualised continuously-compounded rate, WAD, in [-0.1, 1.0].
    @return (price, delta, gamma, vega, theta), all WAD: price in quote; delta;
            gamma = N'(d1) / (S sigma sqrt(tau)); vega per 1.0 of vol; theta = dV/dt
            per year. `tau == 0` or `vol == 0`: discounted-forward intrinsic value,
            step delta (half at the money-forward), zero gamma and vega, and the
            sigma -> 0 limit of theta (-r K e^{-r tau} for an in-the-money call).
            sigma sqrt(tau) >= 64: the sigma -> infinity limit (`_vol_limit`).
    """
    assert (
        spot >= MIN_PRICE and spot <= MAX_PRICE
    ), "black_scholes: spot out of range"
    assert (
        strike >= MIN_PRICE and strike <= MAX_PRICE
    ), "black_scholes: strike out of range"
    assert tau <= MAX_TAU, "black_scholes: tau out of range"
    assert (
        rate >= MIN_RATE and rate <= MAX_RATE
    ), "black_scholes: rate out of range"

    # S / K at 1e36, in [1e6, 1e66]: spot * 1e36 <= 1e66.
    q: uint256 = unsafe_div(unsafe_mul(spot, UE36), strike)
    # r tau at 1e36: |rate| <= 1e18, tau <= 3.2e8, so |product| <= 3.2e44.
    rt: int256 = unsafe_div(
        unsafe_mul(unsafe_mul(rate, convert(tau, int256)), WAD),
        convert(YEAR, int256),
    )
    # ln(S / (K e^{-r tau})) at 1e36, |.| <= 8e37 (|ln| <= 69.1e36, |rt| <= 10e36); its
    # sign says which side of the money-forward the spot is, exactly when S == K (ln is
    # then exactly 0). strike, spot <= 1e30, so x100 cannot overflow.
    # Discount factor e^{-r tau} at 1e36, in [e^-10, e^1] (exactly 1 without carry).
    disc: uint256 = UE36
    if rt != 0:
        disc = self._exp36(-rt)
    base: int256 = 0
    # S / (K e^{-r tau}) at 1e36 for the density of d2: floor(q * 1e36 / disc) <= 2.2e70
    # (disc >= 4.5e31).
    fwd: uint256 = 0
    if (
        unsafe_mul(strike, MAX_MONEYNESS) >= spot
        and unsafe_mul(spot, MAX_MONEYNESS) >= strike
    ):
        base = unsafe_add(self._ln_ratio36(spot, strike, q), rt)
        # q <= 1e38, times 1e36 <= 1e74.
        fwd = unsafe_div(unsafe_mul(q, UE36), disc)
    else:
        base = unsafe_add(self._ln_wide36(spot, strike), rt)
        # The same floor without the q * 1e36 product (q <= 1e66): q = (q // disc) disc
        # + q % disc, q // disc <= 2.2e34 and q % disc < 2.8e36, each times 1e36 < 2.9e72.
        fwd = unsafe_add(
            unsafe_mul(unsafe_div(q, disc), UE36),
            unsafe_div(unsafe_mul(q % disc, UE36), disc),
        )
    # K e^{-r tau} in wei x 1e9 ("money at 1e27"): K <= 1e30, disc <= 2.8e36.
    kd: int256 = convert(unsafe_div(unsafe_mul(strike, disc), 10**27), int256)
    # S at 1e27: spot <= 1e30.
    s27: int256 = unsafe_mul(convert(spot, int256), 10**9)

    if tau == 0 or vol == 0:
        return self._intrinsic(is_call, s27, kd, base, rate)
    # sqrt(tau / year) at 1e32, in [1.7e28, 3.2e32]: tau * 1e64 <= 3.2e72.
    sq: uint256 = isqrt(unsafe_div(unsafe_mul(tau, 10**64), YEAR))
    # Past the checks below sigma sqrt(tau) < 64 and tau >= 1 s, so vol < 64 / 1.7e-4 <
    # 3.6e23 in what follows.
    if vol > MAX_VOL:
        # vol < 1e36 and sq <= 3.2e32: vol * sq < 3.2e68.
        if vol >= VOL_LIMIT or unsafe_mul(vol, sq) >= W50_LIMIT:
            return self._vol_limit(is_call, s27, kd, rate)
    s50: int256 = convert(unsafe_mul(vol, sq), int256)  # vol * sq < 6.4e51
    # sigma^2 tau / 2 at 1e36, < 2.1e39: vol^2 tau = (vol sq)^2 year / 1e64 < 1.3e47.
    hv: int256 = convert(
        unsafe_div(unsafe_mul(unsafe_mul(vol, vol), tau), 2 * YEAR), int256
    )
    # d1, d2 at 1e18: |numerator| <= 2.2e39, times 1e32 <= 2.2e71; s50 >= 1.7e28.
    d1: int256 = unsafe_div(unsafe_mul(unsafe_add(base, hv), 10**32), s50)
    d2: int256 = unsafe_div(unsafe_mul(unsafe_sub(base, hv), 10**32), s50)

    # e^{-d1^2/2} at 1e36 (0 beyond |d1| = 12.65, where it is below 1e-35).
    e1: uint256 = 0
    if abs(d1) < D_EXP_CUT:
        # |d1| < 1.27e19, so d1^2 < 1.6e38.
        e1 = self._exp36(-unsafe_div(unsafe_mul(d1, d1), 2))
    # e^{-d2^2/2} = e^{-d1^2/2} * S / (K e^{-r tau}), exactly: no second exponential.
    # Checked: e1 * fwd is e^{-d2^2/2} * 1e72 <= 1e72 up to rounding (e1 within a unit
    # plus 2e-19 of its value, fwd <= 2.2e70: below 1.1e72).
    e2: uint256 = e1 * fwd // UE36

    # Lower tails N(-|d|) at 1e36, then N(d1), N(d2).
    n1: int256 = self._lower_tail36(d1, e1)
    n2: int256 = self._lower_tail36(d2, e2)
    if d1 > 0:
        n1 = unsafe_sub(E36, n1)  # n1 <= 1e36
    if d2 > 0:
        n2 = unsafe_sub(E36, n2)  # n2 <= 1e36
    # phi(d1) at 1e36: e1 <= 1e36.
    pdf: uint256 = unsafe_div(unsafe_mul(e1, INV_SQRT_2PI), UE36)
    # gamma = phi / (S sigma sqrt(tau)): phi * 1e36 <= 4e71; g22 = phi / (sigma sqrt(tau))
    # at 1e22 <= 2.3e43, times 1e14 <= 2.3e57.
    g22: uint256 = unsafe_div(unsafe_mul(pdf, UE36), unsafe_mul(vol, sq))
    gamma: int256 = convert(unsafe_div(unsafe_mul(g22, 10**14), spot), int256)
    # vega = S phi sqrt(tau): pdf * sq <= 1.3e68, / 1e32 <= 1.3e36, times spot <= 1.3e66.
    vega: int256 = convert(
        unsafe_div(
            unsafe_mul(spot, unsafe_div(unsafe_mul(pdf, sq), 10**32)), UE36
        ),
        int256,
    )
    # S phi sigma / (2 sqrt(tau)): pdf * vol * 1e14 <= 4e35 * 3.6e23 * 1e14 = 1.5e73;
    # / sq (>= 1.7e28) at 1e36 <= 8.5e44; times spot <= 8.5e74.
    decay: int256 = convert(
        unsafe_div(
            unsafe_mul(
                spot, unsafe_div(unsafe_mul(unsafe_mul(pdf, vol), 10**14), sq)
            ),
            2 * UE36,
        ),
        int256,
    )
    # r K e^{-r tau} at 1e27: |rate| <= 1e18, kd <= 2.8e39.
    rkd: int256 = unsafe_div(unsafe_mul(rate, kd), WAD)

    price: int256 = 0
    if is_call:
        # s27, kd <= 2.8e39 and n1, n2 <= 1e36: products <= 2.8e75.
        price = unsafe_sub(
            unsafe_div(unsafe_mul(s27, n1), E36),
            unsafe_div(unsafe_mul(kd, n2), E36),
        )
        price = unsafe_div(min(max(price, 0), s27), 10**9)
        # |rkd| <= 2.8e39, n2 <= 1e36: product <= 2.8e75.
        return (
            price,
            unsafe_div(n1, WAD),
            gamma,
            vega,
            unsafe_sub(
                -decay,
                unsafe_div(unsafe_div(unsafe_mul(rkd, n2), E36), 10**9),
            ),
        )
    # Put: N(-d) = 1 - N(d); n1, n2 <= 1e36.
    m1: int256 = unsafe_sub(E36, n1)
    m2: int256 = unsafe_sub(E36, n2)
    # kd, s27 <= 2.8e39 and m1, m2 <= 1e36: products <= 2.8e75.
    price = unsafe_sub(
        unsafe_div(unsafe_mul(kd, m2), E36),
        unsafe_div(unsafe_mul(s27, m1), E36),
    )
    price = unsafe_div(min(max(price, 0), kd), 10**9)
    # |rkd| <= 2.8e39, m2 <= 1e36: product <= 2.8e75.
    return (
        price, -unsafe_div(m1, WAD),
        gamma,
        vega,
        unsafe_add(
            -decay, unsafe_div(unsafe_div(unsafe_mul(rkd, m2), E36), 10**9)
        ),
    )


@internal
@pure
def _intrinsic(
    is_call: bool, s27: int256, kd: int256, base: int256, rate: int256
) -> (int256, int256, int256, int256, int256):
    """
    @dev `tau == 0` or `vol == 0`: discounted-forward intrinsic value with step delta
         (half at the money-forward), zero gamma and vega, and theta = the sigma -> 0
         limit of Black-Scholes theta, -r K e^{-r tau} N(d2) with N(d2) in {0, 1/2, 1}.
         The side of the money-forward is the sign of `base` = ln(S/K) + r tau (exactly
         0 only when S == K and r tau == 0), not of the rounded S - K e^{-r tau}.
    @param s27 Spot at 1e27 (wei x 1e9).
    @param kd K e^{-r tau} at 1e27.
    @param base ln(S/K) + r tau at 1e36.
    @param rate Annualised rate, WAD.
    """
    # |rate| <= 1e18 and kd <= 2.8e39: product <= 2.8e57.
    rkd: int256 = unsafe_div(unsafe_mul(rate, kd), E27)
    if base == 0:
        if is_call:
            return 0, WAD // 2, 0, 0, -unsafe_div(rkd, 2)
        return 0, -WAD // 2, 0, 0, unsafe_div(rkd, 2)
    if is_call:
        if base > 0:
            # |s27 - kd| <= 2.8e39.
            return unsafe_div(
                max(unsafe_sub(s27, kd), 0), 10**9
            ), WAD, 0, 0, -rkd
        return 0, 0, 0, 0, 0
    if base < 0:
        # |kd - s27| <= 2.8e39.
        return unsafe_div(max(unsafe_sub(kd, s27), 0), 10**9), -WAD, 0, 0, rkd
    return 0, 0, 0, 0, 0


@internal
@pure
def _vol_limit(
    is_call: bool, s27: int256, kd: int256, rate: int256
) -> (int256, int256, int256, int256, int256):
    """
    @dev sigma sqrt(tau) >= 64: the sigma -> infinity limit, N(d1) = 1 and N(d2) = 0.
         Call: price S, delta 1, theta 0; put: price K e^{-r tau}, delta 0, theta
         r K e^{-r tau}; gamma and vega 0. These are the values (to the wei, with the
         same roundings) the full kernel returns there, since both |d| exceed 30.7;
         they differ from the exact ones by less than N(-30.7) < 1e-206 relative.
    @param s27 Spot at 1e27 (wei x 1e9).
    @param kd K e^{-r tau} at 1e27.
    @param rate Annualised rate, WAD.
    """
    if is_call:
        # s27 <= 1e39.
        return unsafe_div(s27, 10**9), WAD, 0, 0, 0
    # |rate| <= 1e18 and kd <= 2.8e39: product <= 2.8e57.
    return unsafe_div(kd, 10**9), 0, 0, 0, unsafe_div(
        unsafe_div(unsafe_mul(rate, kd), WAD), 10**9
    )


@internal
@pure
def _scenario_shifts(
    spot_up: uint256, spot_down: uint256
) -> (uint256[3], int256[3]):
    """
    @dev The spot side of the scenario grid, the same for every leg of a vault, so the
         margin engine computes it once per vault: the factors (1 - spot_down, 1,
         1 + spot_up) as WAD and their logarithms at 1e36 (exactly 0 for the middle one,
         within 1.5e-34 otherwise), to pass to `_scenario_grid`. Reverts
         "black_scholes: spot shock out of range" unless spot_down < 1e18 and
         spot_up <= 10e18.
    @param spot_up Upward spot shock, WAD fraction of the spot, in [0, 10e18].
    @param spot_down Downward spot shock, WAD fraction of the spot, in [0, 1e18).
    @return (factors, logs): factors WAD, logs at 1e36, index 0 = down, 2 = up.
    """
    assert (
        spot_down < UWAD and spot_up <= MAX_SPOT_UP
    ), "black_scholes: spot shock out of range"
    # 1e18 - spot_down in [1, 1e18], 1e18 + spot_up <= 1.1e19: both in [1, 1e30].
    down: uint256 = unsafe_sub(UWAD, spot_down)
    up: uint256 = unsafe_add(UWAD, spot_up)
    return [down, UWAD, up], [
        self._ln_wide36(down, UWAD),
        0,
        self._ln_wide36(up, UWAD),
    ]


@internal
@pure
def _scenario_grid(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    rate: int256,
    vol_up: uint256,
    vol_down: uint256,
    factors: uint256[3],
    logs: int256[3],
    states: uint256,
) -> (uint256[6], int256[6]):
    """
    @dev Value and delta of one leg at the six points (S_down, S, S_up) x (vol_up,
         vol_down) of the margin engine's full revaluation, index = vol_index * 3 +
         spot_index, for the vol states in the bit mask `states` (1: up, 2: down,
         3: both; the others' entries are 0), in one pass sharing the per-leg work: one ln(S/K), sqrt(tau) and
         discount factor; per point ln(S'/K) = ln(S/K) + ln(factor), one exponential for
         phi(d1), phi(d2) from it (as `_price_and_greeks`), and both normal tails by the
         continued fraction of Hart's rational (`_lower_tail_cf36`). The spots are the
         exact rationals spot * factor / 1e18 (money at 1e27: within 1e-9 wei), not
         floored to the wei. Same domain, conventions and reverts as `_price_and_greeks`
         (tau == 0 or a vol of 0: intrinsic value and step delta; sigma sqrt(tau) >= 64:
         the infinite-variance limit); docs/math.md 5.
    @param is_call True for a call, False for a put.
    @param spot Spot, WAD quote per unit, in [1, 1e30] wei.
    @param strike Strike, WAD quote per unit, in [1, 1e30] wei.
    @param tau Seconds to expiry, at most 10 years.
    @param rate Annualised continuously-compounded rate, WAD, in [-0.1, 1.0].
    @param vol_up Shocked-up annualised vol, WAD, any value.
    @param vol_down Shocked-down annualised vol, WAD, any value.
    @param factors Spot factors from `_scenario_shifts` (WAD, [down, 1e18, up]).
    @param logs Their logarithms at 1e36 from `_scenario_shifts`.
    @param states Bit mask of the vol states to evaluate: 1 up, 2 down.
    @return (values, deltas), WAD: values in quote per unit (>= 0), deltas per unit.
    """
    assert (
        spot >= MIN_PRICE and spot <= MAX_PRICE
    ), "black_scholes: spot out of range"
    assert (
        strike >= MIN_PRICE and strike <= MAX_PRICE
    ), "black_scholes: strike out of range"
    assert tau <= MAX_TAU, "black_scholes: tau out of range"
    assert (
        rate >= MIN_RATE and rate <= MAX_RATE
    ), "black_scholes: rate out of range"
    # The per-leg part: ln(S / K) + r tau at 1e36 (|.| <= 8e37), K e^{-r tau} at 1e27.
    base: int256 = 0
    disc: uint256 = 0
    kd: int256 = 0
    base, disc, kd = self._carry36(spot, strike, tau, rate)
    # sqrt(tau / year) at 1e32, in [1.7e28, 3.2e32] when tau > 0: tau * 1e64 <= 3.2e72.
    sq: uint256 = isqrt(unsafe_div(unsafe_mul(tau, 10**64), YEAR))
    values: uint256[6] = empty(uint256[6])
    deltas: int256[6] = empty(int256[6])
    for v: uint256 in range(2):
        if (states >> v) & 1 == 0:
            continue
        vol: uint256 = vol_up
        if v == 1:
            vol = vol_down
        # No time value (tau or vol 0) or the infinite-variance limit (sigma sqrt(tau)
        # >= 64, as in `_price_and_greeks`; vol < 1e36 before the product, sq <= 3.2e32):
        # closed forms at every spot.
        if (
            tau == 0
            or vol == 0
            or (
                vol > MAX_VOL
                and (vol >= VOL_LIMIT or unsafe_mul(vol, sq) >= W50_LIMIT)
            )
        ):
            for j: uint256 in range(3):
                # i < 6; spot * factor <= 1.1e49; |base + log| <= 1.3e38.
                (
                    values[unsafe_add(unsafe_mul(v, 3), j)],
                    deltas[unsafe_add(unsafe_mul(v, 3), j)],
                ) = self._grid_edge(
                    is_call,
                    tau == 0 or vol == 0,
                    unsafe_mul(spot, factors[j]),
                    strike,
                    kd,
                    unsafe_add(base, logs[j]),
                    disc,
                )
            continue
        # sigma sqrt(tau) at 1e50 and sigma^2 tau / 2 at 1e36: vol * sq < 6.4e51 and
        # vol^2 tau < 1.3e47, hv < 2.1e39 (the bounds of `_price_and_greeks`).
        s50: int256 = convert(unsafe_mul(vol, sq), int256)
        hv: int256 = convert(
            unsafe_div(unsafe_mul(unsafe_mul(vol, vol), tau), 2 * YEAR), int256
        )
        for j: uint256 in range(3):
            # S' * 1e18 = spot * factor <= 1e30 * 1.1e19.
            sp: uint256 = unsafe_mul(spot, factors[j])
            # ln(S' / (K e^{-r tau})) at 1e36: |base| <= 8e37, |log| <= 4.2e37; then
            # d1, d2 at 1e18: |x +- hv| <= 2.2e39, times 1e32 <= 2.2e71; s50 >= 1.7e28.
            x: int256 = unsafe_add(base, logs[j])
            d1: int256 = unsafe_div(
                unsafe_mul(unsafe_add(x, hv), 10**32), s50
            )
            d2: int256 = unsafe_div(
                unsafe_mul(unsafe_sub(x, hv), 10**32), s50
            )
            # e^{-d2^2/2} = e^{-d1^2/2} S' / (K e^{-r tau}), S' / K at 1e36 being
            # sp * 1e18 / K <= 1.1e67: e1 times it is e2 * disc (both at 1e36) <= 2.8e72
            # up to rounding (docs/math.md 2.3). (Nested tests: `and` costs ~30 gas more.)
            e1: uint256 = 0
            e2: uint256 = 0
            if d1 < D_EXP_CUT:
                if d1 > -D_EXP_CUT:
                    # |d1| < 1.27e19, so d1^2 < 1.6e38.
                    e1 = self._exp36(unsafe_div(unsafe_mul(d1, d1), -2))
                    e2 = unsafe_div(
                        unsafe_mul(
                            e1, unsafe_div(unsafe_mul(sp, UWAD), strike)
                        ),
                        disc,
                    )
            n1: int256 = self._lower_tail_cf36(d1, e1)
            n2: int256 = self._lower_tail_cf36(d2, e2)
            if d1 > 0:
                n1 = unsafe_sub(E36, n1)  # n1 <= 1e36
            if d2 > 0:
                n2 = unsafe_sub(E36, n2)  # n2 <= 1e36
            # S' at 1e27 <= 1.1e40.
            s27: int256 = convert(unsafe_div(sp, 10**9), int256)
            i: uint256 = unsafe_add(unsafe_mul(v, 3), j)  # i < 6
            # Call S' N(d1) - K D N(d2), put K D N(-d2) - S' N(-d1), at 1e27: s27 <= 1.1e40,
            # kd <= 2.8e39 and every N in [0, 1e36], so products <= 1.1e76; each is at
            # most S' (call) or K D (put) already, so only the floor at 0 is needed.
            price: int256 = 0
            if is_call:
                price = unsafe_sub(
                    unsafe_div(unsafe_mul(s27, n1), E36),
                    unsafe_div(unsafe_mul(kd, n2), E36),
                )
                deltas[i] = unsafe_div(n1, WAD)
            else:
                price = unsafe_sub(
                    unsafe_div(unsafe_mul(kd, unsafe_sub(E36, n2)), E36),
                    unsafe_div(unsafe_mul(s27, unsafe_sub(E36, n1)), E36),
                )
                deltas[i] = -unsafe_div(unsafe_sub(E36, n1), WAD)
            if price > 0:
                values[i] = convert(unsafe_div(price, 10**9), uint256)
    return values, deltas


@internal
@pure
def _carry36(
    spot: uint256, strike: uint256, tau: uint256, rate: int256
) -> (int256, uint256, int256):
    """
    @dev The per-leg part of the scenario grid: (ln(S / K) + r tau at 1e36, e^{-r tau} at
         1e36, K e^{-r tau} at 1e27), by the same steps and bounds as `_price_and_greeks`
         (which keeps them inline: a call would cost it ~100 gas).
    """
    # S / K at 1e36, in [1e6, 1e66]: spot * 1e36 <= 1e66.
    q: uint256 = unsafe_div(unsafe_mul(spot, UE36), strike)
    # r tau at 1e36: |rate| <= 1e18, tau <= 3.2e8, so |product| <= 3.2e44.
    rt: int256 = unsafe_div(
        unsafe_mul(unsafe_mul(rate, convert(tau, int256)), WAD),
        convert(YEAR, int256),
    )
    disc: uint256 = UE36
    if rt != 0:
        disc = self._exp36(-rt)
    # strike, spot <= 1e30, so x100 cannot overflow; K <= 1e30, disc <= 2.8e36.
    kd: int256 = convert(unsafe_div(unsafe_mul(strike, disc), 10**27), int256)
    if (
        unsafe_mul(strike, MAX_MONEYNESS) >= spot
        and unsafe_mul(spot, MAX_MONEYNESS) >= strike
    ):
        return unsafe_add(self._ln_ratio36(spot, strike, q), rt), disc, kd
    return unsafe_add(self._ln_wide36(spot, strike), rt), disc, kd


@internal
@pure
def _grid_edge(
    is_call: bool,
    dead: bool,
    sp: uint256,
    strike: uint256,
    kd: int256,
    x: int256,
    disc: uint256,
) -> (uint256, int256):
    """
    @dev A grid point in closed form. `dead` (tau or the vol 0): the discounted-forward
         intrinsic value and step delta of `_intrinsic`, the side from the sign of
         x = ln(S' / (K e^{-r tau})), or without carry (disc exactly 1e36, which happens
         only when r tau == 0: the least carry, 1 wei of rate for 1 s, moves it by 3e10)
         exactly from the integers S' * 1e18 = sp against K * 1e18, so that S' == K gives
         the half delta.
         Otherwise the infinite-variance limit of `_vol_limit` (value S' or K e^{-r tau},
         delta 1 or 0).
    @param sp S' * 1e18 (spot * factor).
    @param strike Strike, WAD.
    @param kd K e^{-r tau} at 1e27.
    @param x ln(S' / (K e^{-r tau})) at 1e36.
    @param disc e^{-r tau} at 1e36.
    """
    # S' at 1e27 <= 1.1e40.
    s27: int256 = convert(unsafe_div(sp, 10**9), int256)
    if not dead:
        if is_call:
            return convert(unsafe_div(s27, 10**9), uint256), WAD
        return convert(unsafe_div(kd, 10**9), uint256), 0
    side: int256 = x
    if disc == UE36:
        # sp <= 1.1e49 and strike * 1e18 <= 1e48.
        side = unsafe_sub(
            convert(sp, int256), convert(unsafe_mul(strike, UWAD), int256)
        )
    if side == 0:
        if is_call:
            return 0, WAD // 2
        return 0, -WAD // 2
    if is_call:
        if side > 0:
            # |s27 - kd| <= 1.1e40.
            return convert(
                unsafe_div(max(unsafe_sub(s27, kd), 0), 10**9), uint256
            ), WAD
        return 0, 0
    if side < 0:
        # |kd - s27| <= 1.1e40.
        return convert(
            unsafe_div(max(unsafe_sub(kd, s27), 0), 10**9), uint256
        ), -WAD
    return 0, 0


@internal
@pure
def _ln_wide36(a: uint256, b: uint256) -> int256:
    """
    @dev ln(a / b) at 1e36 for any a, b in [1, 1e30] (a / b in [1e-30, 1e30]). Exact
         power-of-two reduction on the integers: with lo <= hi the two inputs, k =
         floor(log2(hi / lo)) in [0, 99] by a binary search on lo << k <= hi, so that
         hi / (lo << k) is in [1, 2); then ln(hi / lo) = k ln2 + `_ln_ratio36` of that
         pair (lo << k <= hi <= 1e30, inside its bounds) and ln(a / b) = +-ln(hi / lo).
         Absolute error < 1e-34 + k * 5e-37 < 1.5e-34.
    """
    lo: uint256 = b
    hi: uint256 = a
    if a < b:
        lo = a
        hi = b
    # lo <= 1e30 < 2^100 and every tested shift k + j <= 127: lo << (k + j) < 2^227.
    k: uint256 = 0
    if lo << 64 <= hi:
        k = 64
    if lo << unsafe_add(k, 32) <= hi:
        k = unsafe_add(k, 32)  # k <= 96
    if lo << unsafe_add(k, 16) <= hi:
        k = unsafe_add(k, 16)  # k <= 112
    if lo << unsafe_add(k, 8) <= hi:
        k = unsafe_add(k, 8)  # k <= 120
    if lo << unsafe_add(k, 4) <= hi:
        k = unsafe_add(k, 4)  # k <= 124
    if lo << unsafe_add(k, 2) <= hi:
        k = unsafe_add(k, 2)  # k <= 126
    if lo << unsafe_add(k, 1) <= hi:
        k = unsafe_add(k, 1)  # k <= 127
    # k <= 99 since hi / lo < 2^100; lo << k <= hi <= 1e30, hi * 1e36 <= 1e66.
    lk: uint256 = lo << k
    # |k * LN2| < 6.9e37 and the reduced logarithm is in [0, ln 2).
    ln: int256 = unsafe_add(
        unsafe_mul(convert(k, int256), LN2),
        self._ln_ratio36(hi, lk, unsafe_div(unsafe_mul(hi, UE36), lk)),
    )
    if a < b:
        return -ln
    return ln


@internal
@pure
def _ln_ratio36(a: uint256, b: uint256, q: uint256) -> int256:
    """
    @dev ln(a / b) at 1e36 for a, b in [1, 1e30] with a / b in [1/100, 100], given
         q = a * 1e36 / b. Exact range reduction on the integers: a / b = 2^k * c * m
         with c in {3/4, 1, 5/4} (k and c chosen from q; k = 0 without a search
         when q is already in [1/sqrt 2, sqrt 2)) and m in [0.93, 1.16), then
         ln m = 2 atanh(u), u = (m - 1) / (m + 1) formed by one exact division from a and
         b << k, |u| < 0.072, and 15 terms of the atanh series (truncation < 6e-35).
         ln(1) is exactly 0.
    """
    # m = q * 2^7 / 2^sh in [1/sqrt 2, sqrt 2) * 1e36, k = sh - 7. Near the money (the
    # common case) q is already there: sh = 7 and the binary search is skipped.
    m: uint256 = q
    sh: uint256 = 7
    if q < SQRT2_POW_MINUS_0_5 or q >= SQRT2_POW_0_5:
        # q * 2^7 in [1.28e36, 1.3e40].
        m = q << 7
        sh = 0
        if m >= SQRT2_POW_8_5:
            m = m >> 8
            sh = 8
        if m >= SQRT2_POW_4_5:
            m = m >> 4
            sh = unsafe_add(sh, 4)  # sh <= 15
        if m >= SQRT2_POW_2_5:
            m = m >> 2
            sh = unsafe_add(sh, 2)  # sh <= 15
        if m >= SQRT2_POW_1_5:
            m = m >> 1
            sh = unsafe_add(sh, 1)  # sh <= 15
        if m >= SQRT2_POW_0_5:
            m = m >> 1
            sh = unsafe_add(sh, 1)  # sh <= 15
        # x / y = a / (b 2^k), exact: a << 7 < 2^107, b << 15 < 2^115.


    xi: int256 = convert(a << 7, int256)
    yi: int256 = convert(b << sh, int256)
    num: int256 = 0
    den: int256 = 0
    lnc: int256 = 0
    if m >= SQRT_5_4:
        # x, y < 2^115, so 4x, 5y < 2^118.
        num = unsafe_sub(unsafe_mul(xi, 4), unsafe_mul(yi, 5))
        den = unsafe_add(unsafe_mul(xi, 4), unsafe_mul(yi, 5))
        lnc = LN_5_4
    elif m < SQRT_3_4:
        # x, y < 2^115, so 4x, 3y < 2^118.
        num = unsafe_sub(unsafe_mul(xi, 4), unsafe_mul(yi, 3))
        den = unsafe_add(unsafe_mul(xi, 4), unsafe_mul(yi, 3))
        lnc = LN_3_4
    else:
        num = unsafe_sub(xi, yi)  # |.| < 2^115
        den = unsafe_add(xi, yi)
    kk: int256 = unsafe_sub(convert(sh, int256), 7)  # in [-7, 8]
    # u at 1e36, |u| < 0.072e36: |num| < 2^118 times 1e36 < 2^238.
    u: int256 = unsafe_div(unsafe_mul(num, E36), den)
    # u^2 at 1e36 < 5.2e33; each Horner value p < 1.01e36, so p * w < 5.3e69.
    w: int256 = unsafe_div(unsafe_mul(u, u), E36)
    # p = 1 + w/3 + w^2/5 + ... + w^14/29 by Horner, written as one nested expression so
    # the partial sums stay on the EVM stack (about 10 gas a step cheaper than a local).
    p: int256 = unsafe_add(
        unsafe_div(
            unsafe_mul(
                unsafe_add(
                    unsafe_div(
                        unsafe_mul(
                            unsafe_add(
                                unsafe_div(
                                    unsafe_mul(
                                        unsafe_add(
                                            unsafe_div(
                                                unsafe_mul(
                                                    unsafe_add(
                                                        unsafe_div(
                                                            unsafe_mul(
                                                                unsafe_add(
                                                                    unsafe_div(
                                                                        unsafe_mul(
                                                                            unsafe_add(
                                                                                unsafe_div(
                                                                                    unsafe_mul(
                                                                                        unsafe_add(
                                                                                            unsafe_div(
                                                                                                unsafe_mul(
                                                                                                    unsafe_add(
                                                                                                        unsafe_div(
                                                                                                            unsafe_mul(
                                                                                                                unsafe_add(
                                                                                                                    unsafe_div(
                                                                                                                        unsafe_mul(
                                                                                                                            unsafe_add(
                                                                                                                                unsafe_div(
                                                                                                                                    unsafe_mul(
                                                                                                                                        unsafe_add(
                                                                                                                                            unsafe_div(
                                                                                                                                                unsafe_mul(
                                                                                                                                                    unsafe_add(
                                                                                                                                                        unsafe_div(
                                                                                                                                                            unsafe_mul(
                                                                                                                                                                unsafe_add(
                                                                                                                                                                    unsafe_div(
                                                                                                                                                                        unsafe_mul(
                                                                                                                                                                            A14,
                                                                                                                                                                            w,
                                                                                                                                                                        ),
                                                                                                                                                                        E36,
                                                                                                                                                                    ),
                                                                                                                                                                    A13,
                                                                                                                                                                ),
                                                                                                                                                                w,
                                                                                                                                                            ),
                                                                                                                                                            E36,
                                                                                                                                                        ),
                                                                                                                                                        A12,
                                                                                                                                                    ),
                                                                                                                                                    w,
                                                                                                                                                ),
                                                                                                                                                E36,
                                                                                                                                            ),
                                                                                                                                            A11,
                                                                                                                                        ),
                                                                                                                                        w,
                                                                                                                                    ),
                                                                                                                                    E36,
                                                                                                                                ),
                                                                                                                                A10,
                                                                                                                            ),
                                                                                                                            w,
                                                                                                                        ),
                                                                                                                        E36,
                                                                                                                    ),
                                                                                                                    A9,
                                                                                                                ),
                                                                                                                w,
                                                                                                            ),
                                                                                                            E36,
                                                                                                        ),
                                                                                                        A8,
                                                                                                    ),
                                                                                                    w,
                                                                                                ),
                                                                                                E36,
                                                                                            ),
                                                                                            A7,
                                                                                        ),
                                                                                        w,
                                                                                    ),
                                                                                    E36,
                                                                                ),
                                                                                A6,
                                                                            ),
                                                                            w,
                                                                        ),
                                                                        E36,
                                                                    ),
                                                                    A5,
                                                                ),
                                                                w,
                                                            ),
                                                            E36,
                                                        ),
                                                        A4,
                                                    ),
                                                    w,
                                                ),
                                                E36,
                                            ),
                                            A3,
                                        ),
                                        w,
                                    ),
                                    E36,
                                ),
                                A2,
                            ),
                            w,
                        ),
                        E36,
                    ),
                    A1,
                ),
                w,
            ),
            E36,
        ),
        E36,
    )
    # 2 u p / 1e36: |u| * p < 7.3e70; |kk * LN2| < 5.6e36.
    return unsafe_add(
        unsafe_add(unsafe_mul(kk, LN2), lnc),
        unsafe_div(unsafe_mul(unsafe_mul(u, 2), p), E36),
    )


@internal
@pure
def _exp36(x: int256) -> uint256:
    """
    @dev e^x at 1e36 for x at 1e36 in [-80e36, 1.01e36].
         x = k ln2 + r with |r| <= ln2 / 2, e^r by the [6/6] Pade approximant
         (E(w) + r O(w)) / (E(w) - r O(w)), w = r^2 (relative error < 1.9e-19),
         evaluated at 1e27, then an exact shift by k.
    """
    # |x| <= 8e37, so x +- ln2/2 cannot overflow; kk in [-116, 2].
    kk: int256 = 0
    if x < 0:
        kk = unsafe_div(unsafe_sub(x, HALF_LN2), LN2)
    else:
        kk = unsafe_div(unsafe_add(x, HALF_LN2), LN2)
    # |kk * LN2| <= 8.1e37; r at 1e27, |r| <= 3.5e26.
    r: int256 = unsafe_div(unsafe_sub(x, unsafe_mul(kk, LN2)), 10**9)
    # r^2 at 1e27 <= 1.2e26. Even part 665280 + 75600 w + 840 w^2 + w^3 <= 6.8e32 and
    # odd part 332640 + 10080 w + 42 w^2 <= 3.4e32 at 1e27; Horner products <= 1e59.
    w: int256 = unsafe_div(unsafe_mul(r, r), E27)
    ev: int256 = unsafe_add(
        unsafe_div(
            unsafe_mul(
                unsafe_add(
                    unsafe_div(unsafe_mul(unsafe_add(w, 840 * E27), w), E27),
                    75_600 * E27,
                ),
                w,
            ),
            E27,
        ),
        665_280 * E27,
    )
    od: int256 = unsafe_add(
        unsafe_div(
            unsafe_mul(unsafe_add(unsafe_mul(w, 42), 10_080 * E27), w), E27
        ),
        332_640 * E27,
    )
    # |od * r| <= 3.4e32 * 3.5e26; |ro| < ev / 5.
    ro: int256 = unsafe_div(unsafe_mul(od, r), E27)
    # e^r at 1e36 in [0.7e36, 1.42e36]: (ev + ro) <= 8.2e32, times 1e36 <= 8.2e68.
    er: uint256 = convert(
        unsafe_div(unsafe_mul(unsafe_add(ev, ro), E36), unsafe_sub(ev, ro)),
        uint256,
    )
    if kk >= 0:
        return er << convert(kk, uint256)
    return er >> convert(-kk, uint256)


@internal
@pure
def _lower_tail36(d: int256, e: uint256) -> int256:
    """
    @dev N(-|d|) at 1e36, given d at 1e18 and e = e^{-d^2/2} at 1e36: Hart (1968)
         algorithm 5666 rational form e * P(|d|) / Q(|d|) (West 2005), absolute
         error < 5e-17; exactly 0 once |d| >= 10 (N(-10) < 7.7e-24) or e == 0.
    """
    a: uint256 = convert(abs(d), uint256)
    if e == 0 or a >= D_TAIL_CUT:
        return 0
    # P(a) = ((P0 a + P1) a + ...) a + P6 and Q(a) = (...) a + Q7 at 1e18, by Horner as one
    # nested expression each (partial sums on the stack).
    # a < 1e19: every Horner value < 5e24 at 1e18, times a < 5e43.
    p: uint256 = unsafe_add(
        unsafe_div(
            unsafe_mul(
                unsafe_add(
                    unsafe_div(
                        unsafe_mul(
                            unsafe_add(
                                unsafe_div(
                                    unsafe_mul(
                                        unsafe_add(
                                            unsafe_div(
                                                unsafe_mul(
                                                    unsafe_add(
                                                        unsafe_div(
                                                            unsafe_mul(
                                                                unsafe_add(
                                                                    unsafe_div(
                                                                        unsafe_mul(
                                                                            P0,
                                                                            a,
                                                                        ),
                                                                        10
                                                                        ** 18,
                                                                    ),
                                                                    P1,
                                                                ),
                                                                a,
                                                            ),
                                                            10**18,
                                                        ),
                                                        P2,
                                                    ),
                                                    a,
                                                ),
                                                10**18,
                                            ),
                                            P3,
                                        ),
                                        a,
                                    ),
                                    10**18,
                                ),
                                P4,
                            ),
                            a,
                        ),
                        10**18,
                    ),
                    P5,
                ),
                a,
            ),
            10**18,
        ),
        P6,
    )
    q: uint256 = unsafe_add(
        unsafe_div(
            unsafe_mul(
                unsafe_add(
                    unsafe_div(
                        unsafe_mul(
                            unsafe_add(
                                unsafe_div(
                                    unsafe_mul(
                                        unsafe_add(
                                            unsafe_div(
                                                unsafe_mul(
                                                    unsafe_add(
                                                        unsafe_div(
                                                            unsafe_mul(
                                                                unsafe_add(
                                                                    unsafe_div(
                                                                        unsafe_mul(
                                                                            unsafe_add(
                                                                                unsafe_div(
                                                                                    unsafe_mul(
                                                                                        Q0,
                                                                                        a,
                                                                                    ),
                                                                                    10
                                                                                    ** 18,
                                                                                ),
                                                                                Q1,
                                                                            ),
                                                                            a,
                                                                        ),
                                                                        10
                                                                        ** 18,
                                                                    ),
                                                                    Q2,
                                                                ),
                                                                a,
                                                            ),
                                                            10**18,
                                                        ),
                                                        Q3,
                                                    ),
                                                    a,
                                                ),
                                                10**18,
                                            ),
                                            Q4,
                                        ),
                                        a,
                                    ),
                                    10**18,
                                ),
                                Q5,
                            ),
                            a,
                        ),
                        10**18,
                    ),
                    Q6,
                ),
                a,
            ),
            10**18,
        ),
        Q7,
    )
    # p < 5e24 times 1e36; the ratio is <= 0.5e36, times e <= 1e36.
    ratio: uint256 = unsafe_div(unsafe_mul(p, UE36), q)
    return convert(unsafe_div(unsafe_mul(e, ratio), UE36), int256)


@internal
@pure
def _lower_tail_cf36(d: int256, e: uint256) -> int256:
    """
    @dev N(-|d|) at 1e36 like `_lower_tail36` (the same Hart rational, so the same
         4.1e-17 absolute error against the true N), evaluated as its continued fraction
         at 1e33: seven signed divisions, no rounding of P and Q at 1e18 (it agrees with the
         exact rational to 6e-33; `_lower_tail36` to 2e-20). Exactly 0 once |d| >= 10 or
         e == 0. The denominators stay away from 0 for every |d| in [0, 10] (the closest,
         at CF_B3's level, is -0.085 at d = 0; docs/math.md 2.3).
    """
    # (Nested tests: a Vyper `or` costs ~30 gas more.)
    if e == 0:
        return 0
    # |d| at 1e33: |d| <= 1.3e43 at 1e18, so |d| * 1e15 < 1.3e58.
    x: int256 = unsafe_mul(d, 10**15)
    if d < 0:
        x = unsafe_sub(0, x)
    if x >= D_TAIL_CUT33:
        return 0
    # x < 1e34; every denominator is within [-374, 390] at 1e33 and every numerator
    # CF_C below 1.5e71: no product, and the quotients stay below 5e35.
    t: int256 = unsafe_div(
        CF_C0,
        unsafe_add(
            unsafe_add(x, CF_B0),
            unsafe_div(
                CF_C1,
                unsafe_add(
                    unsafe_add(x, CF_B1),
                    unsafe_div(
                        CF_C2,
                        unsafe_add(
                            unsafe_add(x, CF_B2),
                            unsafe_div(
                                CF_C3,
                                unsafe_add(
                                    unsafe_add(x, CF_B3),
                                    unsafe_div(
                                        CF_C4,
                                        unsafe_add(
                                            unsafe_add(x, CF_B4),
                                            unsafe_div(
                                                CF_C5,
                                                unsafe_add(
                                                    unsafe_add(x, CF_B5),
                                                    unsafe_div(
                                                        CF_C6,
                                                        unsafe_add(x, CF_B6),
                                                    ),
                                                ),
                                            ),
                                        ),
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    # 0 < t <= 0.5e33 and e < 1.25e36 (e^{-d2^2/2} derived from e^{-d1^2/2} may exceed 1
    # by up to a unit of the latter times S' / (K e^{-r tau}); docs/math.md 2.3):
    # product < 6.3e68.
    return unsafe_div(unsafe_mul(convert(e, int256), t), 10**33)
