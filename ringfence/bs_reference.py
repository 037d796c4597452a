"""Black-Scholes reference at 50 significant digits (mpmath), exact on the integer inputs.

The contract ``contracts/lib/black_scholes.vy`` takes WAD integers (1e18 = 1.0) and
seconds; this module turns those integers into exact rationals (``mpf`` at 50 digits:
spot / 1e18, tau / 31_536_000, ...) and evaluates the closed-form price and Greeks of a
European option without dividends. It is the ground truth of the differential tests and of
``python -m ringfence.bench black_scholes``. It is slow (~100 us per call): for vectorised
work use :mod:`ringfence.black_scholes`.

Conventions are the contract's (SPEC 3.1, docs/math.md):

- the domain is the contract's total one (docs/math.md 1.1): spot and strike in
  [1, 1e30] wei at any ratio, any vol, tau in [0, 10 years], rate in [-0.1, 1.0]. The
  reference is the exact closed form everywhere; the contract's cuts and limits are
  approximations of it and are measured against it;
- outputs are real numbers: price in quote, delta, gamma = N'(d1) / (S sigma sqrt(tau)),
  vega per 1.0 of vol, theta = dV/dt per year (calendar time, so usually negative);
- ``tau == 0`` or ``vol == 0``: the discounted-forward intrinsic value
  max(S - K e^{-r tau}, 0) (call) / max(K e^{-r tau} - S, 0) (put), delta a step
  (1/2 exactly at the money-forward), zero gamma and vega, and theta the sigma -> 0 limit
  -r K e^{-r tau} N(d2) with N(d2) in {0, 1/2, 1} (call; put mirrored);
- the scenario grid (:func:`scenario_grid`) is priced at the exact rational spots
  spot * (1e18 - down) / 1e18 and spot * (1e18 + up) / 1e18, not rounded to the wei.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp

WAD = 10**18
YEAR = 31_536_000
DIGITS = 50

#: The contract's total domain (docs/math.md 1.1); it reverts only outside it.
MIN_PRICE = 1
MAX_PRICE = 10**30
MAX_TAU = 10 * YEAR
MIN_RATE = -(10**17)
MAX_RATE = WAD
#: The pre-extension domain, inside which the contract's outputs are frozen bit for bit.
CORE_MIN_PRICE = 10**12
CORE_MAX_MONEYNESS = 100
CORE_MAX_VOL = 10 * WAD
#: Bounds of the scenario grid's spot shocks (WAD fractions of the spot).
MAX_SPOT_UP = 10 * WAD
MAX_SPOT_DOWN = WAD - 1


@dataclass(frozen=True)
class Greeks:
    """Price and Greeks in real units (mpmath numbers at 50 digits)."""

    price: mp.mpf
    delta: mp.mpf
    gamma: mp.mpf
    vega: mp.mpf
    theta: mp.mpf

    def as_tuple(self) -> tuple[mp.mpf, mp.mpf, mp.mpf, mp.mpf, mp.mpf]:
        return (self.price, self.delta, self.gamma, self.vega, self.theta)


def domain_error(spot: int, strike: int, tau: int, vol: int, rate: int) -> str | None:
    """The contract's revert message for these WAD inputs, or None inside the domain.

    ``vol`` is an uint256: every non-negative value is inside.
    """
    if not MIN_PRICE <= spot <= MAX_PRICE:
        return "black_scholes: spot out of range"
    if not MIN_PRICE <= strike <= MAX_PRICE:
        return "black_scholes: strike out of range"
    if not 0 <= tau <= MAX_TAU:
        return "black_scholes: tau out of range"
    if not MIN_RATE <= rate <= MAX_RATE:
        return "black_scholes: rate out of range"
    return None


def in_core_domain(spot: int, strike: int, tau: int, vol: int, rate: int) -> bool:
    """True inside the pre-extension domain (where outputs are frozen bit for bit)."""
    return (
        domain_error(spot, strike, tau, vol, rate) is None
        and min(spot, strike) >= CORE_MIN_PRICE
        and strike * CORE_MAX_MONEYNESS >= spot
        and spot * CORE_MAX_MONEYNESS >= strike
        and vol <= CORE_MAX_VOL
    )


def price_and_greeks(
    is_call: bool, spot: int | Fraction, strike: int, tau: int, vol: int, rate: int
) -> Greeks:
    """Exact-input reference for the contract's ``_price_and_greeks``.

    Args:
        is_call: True for a call, False for a put.
        spot, strike: WAD quote per unit (integers). ``spot`` may also be a positive
            :class:`~fractions.Fraction` of a wei of any size (the scenario grid's
            shocked spots); it is then not range-checked.
        tau: seconds to expiry (integer, year = 31_536_000 s).
        vol: annualised volatility, WAD (non-negative integer of any size).
        rate: annualised continuously-compounded rate, WAD (signed integer).

    Returns:
        :class:`Greeks` in real units.

    Raises:
        ValueError: outside the domain, with the contract's revert message.
    """
    fraction = isinstance(spot, Fraction)
    message = domain_error(1 if fraction else spot, strike, tau, vol, rate)
    if fraction and spot <= 0:
        message = "black_scholes: spot out of range"
    if vol < 0:
        message = "black_scholes: vol out of range"
    if message is not None:
        raise ValueError(message)
    with mp.workdps(DIGITS):
        s = mp.mpf(spot) / WAD
        k = mp.mpf(strike) / WAD
        t = mp.mpf(tau) / YEAR
        v = mp.mpf(vol) / WAD
        r = mp.mpf(rate) / WAD
        kd = k * mp.exp(-r * t)
        if tau == 0 or vol == 0:
            # S == K e^{-r tau} happens for rational S only with no carry and S == K.
            at_forward = rate * tau == 0 and spot == strike
            return _intrinsic(is_call, s, kd, r, at_forward)
        sq = mp.sqrt(t)
        vs = v * sq
        d1 = (mp.log(s / k) + (r + v * v / 2) * t) / vs
        d2 = d1 - vs
        pdf = mp.npdf(d1)
        gamma = pdf / (s * vs)
        vega = s * pdf * sq
        decay = -s * pdf * v / (2 * sq)
        if is_call:
            n2 = mp.ncdf(d2)
            price = s * mp.ncdf(d1) - kd * n2
            return Greeks(price, mp.ncdf(d1), gamma, vega, decay - r * kd * n2)
        m2 = mp.ncdf(-d2)
        price = kd * m2 - s * mp.ncdf(-d1)
        return Greeks(price, -mp.ncdf(-d1), gamma, vega, decay + r * kd * m2)


def _intrinsic(is_call: bool, s: mp.mpf, kd: mp.mpf, r: mp.mpf, at_forward: bool) -> Greeks:
    zero = mp.mpf(0)
    if at_forward:
        half = mp.mpf(1) / 2
        if is_call:
            return Greeks(zero, half, zero, zero, -r * kd / 2)
        return Greeks(zero, -half, zero, zero, r * kd / 2)
    if is_call:
        if s > kd:
            return Greeks(s - kd, mp.mpf(1), zero, zero, -r * kd)
        return Greeks(zero, zero, zero, zero, zero)
    if kd > s:
        return Greeks(kd - s, mp.mpf(-1), zero, zero, r * kd)
    return Greeks(zero, zero, zero, zero, zero)


# ------------------------------------------------------------------ scenario grid


def scenario_spots(spot: int, spot_up: int, spot_down: int) -> tuple[Fraction, Fraction, Fraction]:
    """(S_down, S_mid, S_up) of the scenario grid, exact rationals in wei."""
    if not 0 <= spot_down <= MAX_SPOT_DOWN or not 0 <= spot_up <= MAX_SPOT_UP:
        raise ValueError("black_scholes: spot shock out of range")
    return (
        Fraction(spot * (WAD - spot_down), WAD),
        Fraction(spot),
        Fraction(spot * (WAD + spot_up), WAD),
    )


def scenario_grid(
    is_call: bool,
    spot: int,
    strike: int,
    tau: int,
    rate: int,
    spot_up: int,
    spot_down: int,
    vol_up: int,
    vol_down: int,
) -> list[Greeks]:
    """Reference of the contract's ``_scenario_grid``: the full :class:`Greeks` at its six
    points, index = vol_index * 3 + spot_index with vols (vol_up, vol_down) and spots
    (S_down, S_mid, S_up) from :func:`scenario_spots` (the contract returns the price and
    delta of each).
    """
    message = domain_error(spot, strike, tau, vol_up, rate)
    if message is not None:
        raise ValueError(message)
    return [
        price_and_greeks(is_call, s, strike, tau, vol, rate)
        for vol in (vol_up, vol_down)
        for s in scenario_spots(spot, spot_up, spot_down)
    ]


# ------------------------------------------------------------------ Hart's rational

#: Hart (1968) 5666 as published by West (2005), exactly as the contract holds them (1e18):
#: N(-a) = e^{-a^2/2} P(a) / Q(a), coefficients from the highest power down.
HART_P = (
    35_262_496_599_891_100,
    700_383_064_443_688_000,
    6_373_962_203_531_650_000,
    33_912_866_078_383_000_000,
    112_079_291_497_871_000_000,
    221_213_596_169_931_000_000,
    220_206_867_912_376_000_000,
)
HART_Q = (
    88_388_347_648_318_400,
    1_755_667_163_182_640_000,
    16_064_177_579_207_000_000,
    86_780_732_202_946_100_000,
    296_564_248_779_674_000_000,
    637_333_633_378_831_000_000,
    793_826_512_519_948_000_000,
    440_413_735_824_752_000_000,
)


def hart_ratio(a: Fraction) -> Fraction:
    """P(a) / Q(a) exactly, for the exact coefficients."""
    p = sum(Fraction(c, WAD) * a ** (6 - i) for i, c in enumerate(HART_P))
    q = sum(Fraction(c, WAD) * a ** (7 - i) for i, c in enumerate(HART_Q))
    return p / q


def hart_continued_fraction() -> list[tuple[Fraction, Fraction]]:
    """The same P / Q as the J-fraction c0 / (a + b0 + c1 / (a + b1 + ... c6 / (a + b6))),
    [(c_k, b_k)], exactly (Euclid's algorithm on the polynomials in rational arithmetic).

    The contract's `_lower_tail_cf36` holds round(c_k * 1e66) and round(b_k * 1e33).
    """
    num = [Fraction(c, WAD) for c in HART_P]
    den = [Fraction(c, WAD) for c in HART_Q]
    levels = []
    while num:
        c = num[0] / den[0]
        # c * den = (a + b) * num + rest, deg rest < deg num.
        rest = [c * x for x in den]
        quotient = []
        while len(rest) >= len(num):
            factor = rest[0] / num[0]
            quotient.append(factor)
            padded = num + [0] * (len(rest) - len(num))
            rest = [x - factor * y for x, y in zip(rest, padded, strict=True)]
            rest.pop(0)
        if quotient[0] != 1 or len(quotient) != 2:
            raise ArithmeticError("Hart's rational has no J-fraction of this form")
        levels.append((c, quotient[1]))
        while rest and rest[0] == 0:
            rest.pop(0)
        num, den = rest, num
    return levels


# ------------------------------------------------------------------ accuracy metric

#: Tolerances of the contract against this reference (docs/math.md), each applied to the
#: normalised error returned by :func:`normalised_errors`.
TOLERANCES: dict[str, float] = {
    "price": 1e-14,
    "delta": 1e-14,
    "gamma": 1e-12,
    "vega": 1e-12,
    "theta": 1e-12,
}
#: Output quantisation allowance, in wei of each WAD output.
WEI_ALLOWANCE = 2


def normalised_errors(
    spot: int | Fraction,
    strike: int,
    outputs: tuple[int, ...],
    reference: Greeks,
) -> dict[str, float]:
    """Errors of WAD contract outputs against the reference, in the tolerances' form.

    ``outputs`` is the contract's (price, delta, gamma, vega, theta), or a prefix of it
    (the scenario grid's (value, delta)); one error per output given. Each error first
    drops the ``WEI_ALLOWANCE`` (2 wei) of output quantisation, then is normalised so
    that it passes when it is at most ``TOLERANCES[name]``:

    - price: |err| / max(S, K);
    - delta: |err| (real units);
    - gamma: |err| * S / max(1, |gamma_ref * S|);
    - vega: |err| / S / max(1, |vega_ref / S|);
    - theta: |err| / max(S, K, |theta_ref|). Its carry term r K e^{-r tau} N(+-d2)
      scales with K, not S; inside the old domain (K <= 100 S) this is the former
      |err| / S / max(1, |theta_ref / S|) up to that factor of K / S.
    """
    with mp.workdps(DIGITS):
        s = mp.mpf(spot) / WAD
        one = mp.mpf(1)

        def excess(out: int, ref: mp.mpf) -> mp.mpf:
            return max(abs(mp.mpf(out) - ref * WAD) - WEI_ALLOWANCE, mp.mpf(0)) / WAD

        def price(out: int, ref: mp.mpf) -> mp.mpf:
            return excess(out, ref) * WAD / max(mp.mpf(spot), mp.mpf(strike))

        def gamma(out: int, ref: mp.mpf) -> mp.mpf:
            return excess(out, ref) * s / max(one, abs(ref * s))

        def vega(out: int, ref: mp.mpf) -> mp.mpf:
            return excess(out, ref) / s / max(one, abs(ref / s))

        def theta(out: int, ref: mp.mpf) -> mp.mpf:
            return excess(out, ref) / max(s, mp.mpf(strike) / WAD, abs(ref))

        metrics = {"price": price, "delta": excess, "gamma": gamma, "vega": vega, "theta": theta}
        return {
            name: float(metric(out, ref))
            for (name, metric), out, ref in zip(
                metrics.items(), outputs, reference.as_tuple(), strict=False
            )
        }
