"""Black-Scholes reference at 50 significant digits (mpmath), exact on the integer inputs.

The contract ``contracts/lib/black_scholes.vy`` takes WAD integers (1e18 = 1.0) and
seconds; this module turns those integers into exact rationals (``mpf`` at 50 digits:
spot / 1e18, tau / 31_536_000, ...) and evaluates the closed-form price and Greeks of a
European option without dividends. It is the ground truth of the differential tests and of
``python -m ringfence.bench black_scholes``. It is slow (~100 us per call): for vectorised
work use :mod:`ringfence.black_scholes`.

Conventions are the contract's (SPEC 3.1, docs/math.md):

- outputs are real numbers: price in quote, delta, gamma = N'(d1) / (S sigma sqrt(tau)),
  vega per 1.0 of vol, theta = dV/dt per year (calendar time, so usually negative);
- ``tau == 0`` or ``vol == 0``: the discounted-forward intrinsic value
  max(S - K e^{-r tau}, 0) (call) / max(K e^{-r tau} - S, 0) (put), delta a step
  (1/2 exactly at the money-forward), zero gamma and vega, and theta the sigma -> 0 limit
  -r K e^{-r tau} N(d2) with N(d2) in {0, 1/2, 1} (call; put mirrored).
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp

WAD = 10**18
YEAR = 31_536_000
DIGITS = 50

MIN_PRICE = 10**12
MAX_PRICE = 10**30
MAX_MONEYNESS = 100
MAX_TAU = 10 * YEAR
MAX_VOL = 10 * WAD
MIN_RATE = -(10**17)
MAX_RATE = WAD


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
    """The contract's revert message for these WAD inputs, or None inside the domain."""
    if not MIN_PRICE <= spot <= MAX_PRICE:
        return "black_scholes: spot out of range"
    if not MIN_PRICE <= strike <= MAX_PRICE:
        return "black_scholes: strike out of range"
    if strike * MAX_MONEYNESS < spot or spot * MAX_MONEYNESS < strike:
        return "black_scholes: strike/spot out of range"
    if not 0 <= tau <= MAX_TAU:
        return "black_scholes: tau out of range"
    if not 0 <= vol <= MAX_VOL:
        return "black_scholes: vol out of range"
    if not MIN_RATE <= rate <= MAX_RATE:
        return "black_scholes: rate out of range"
    return None


def price_and_greeks(
    is_call: bool, spot: int, strike: int, tau: int, vol: int, rate: int
) -> Greeks:
    """Exact-input reference for the contract's ``_price_and_greeks``.

    Args:
        is_call: True for a call, False for a put.
        spot, strike: WAD quote per unit (integers).
        tau: seconds to expiry (integer, year = 31_536_000 s).
        vol: annualised volatility, WAD (integer).
        rate: annualised continuously-compounded rate, WAD (signed integer).

    Returns:
        :class:`Greeks` in real units.

    Raises:
        ValueError: outside the domain, with the contract's revert message.
    """
    message = domain_error(spot, strike, tau, vol, rate)
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
            return _intrinsic(is_call, s, kd, r)
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


def _intrinsic(is_call: bool, s: mp.mpf, kd: mp.mpf, r: mp.mpf) -> Greeks:
    zero = mp.mpf(0)
    if s == kd:
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
    spot: int, strike: int, outputs: tuple[int, int, int, int, int], reference: Greeks
) -> dict[str, float]:
    """Errors of WAD contract outputs against the reference, in the tolerances' form.

    Each error first drops the ``WEI_ALLOWANCE`` (2 wei) of output quantisation, then is
    normalised so that it passes when it is at most ``TOLERANCES[name]``:

    - price: |err| / max(S, K);
    - delta: |err| (real units);
    - gamma: |err| * S / max(1, |gamma_ref * S|);
    - vega, theta: |err| / S / max(1, |ref / S|).
    """
    with mp.workdps(DIGITS):
        s = mp.mpf(spot) / WAD

        def excess(out: int, ref: mp.mpf) -> mp.mpf:
            return max(abs(mp.mpf(out) - ref * WAD) - WEI_ALLOWANCE, mp.mpf(0)) / WAD

        price, delta, gamma, vega, theta = outputs
        one = mp.mpf(1)
        return {
            "price": float(excess(price, reference.price) * WAD / max(spot, strike)),
            "delta": float(excess(delta, reference.delta)),
            "gamma": float(excess(gamma, reference.gamma) * s / max(one, abs(reference.gamma * s))),
            "vega": float(excess(vega, reference.vega) / s / max(one, abs(reference.vega / s))),
            "theta": float(excess(theta, reference.theta) / s / max(one, abs(reference.theta / s))),
        }
