"""The standard book: the strategies every backtest run margins, one unit each.

Strikes are chosen on the start surface and rounded to a cent, so every start (calm,
stressed) has its own strikes. "ATM" is at the money forward, K = F = S e^{r tau} (the
crypto convention: ATM vol is quoted at the forward). "25-delta" and "10-delta" are the OTM
strikes whose Black-Scholes delta, at the smile's vol at that strike (what the contract
computes for a leg), is +0.25 / +0.10 for calls and -0.25 / -0.10 for puts (a put's delta is
its call's minus 1, so the 25-delta put is the strike of the 0.75-delta call).

- **Naked shorts** (18): short 1 call and short 1 put at ATM, 25-delta and 10-delta, at 7,
  30 and 90 days.
- **Pods** at 30 days: short straddle (ATM call + ATM put); short strangle (25-delta call +
  25-delta put); short iron condor (short 25-delta put and call, long 10-delta put and call);
  bull call spread (long ATM call, short 25-delta call); bear put spread (long ATM put, short
  25-delta put); 1x2 call ratio spread (long 1 ATM call, short 2 25-delta calls).
- **Calendar**: short the 7-day ATM call, long the 30-day call at the same strike.
- **Leveraged long straddles** at 7 and 30 days: long ATM call + ATM put. Every vault of the
  book starts at equity = MM, so these are funded at their maintenance margin, not at their
  premium: a near-expiry long loses its time value and is liquidatable like a short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq

from ringfence.black_scholes import price_and_greeks
from ringfence.tools.backtest.market import StartState

DAY = 86_400
TENORS_DAYS = (7, 30, 90)  # the expiries of the book, days from the start
EXPIRY_SECONDS = tuple(d * DAY for d in TENORS_DAYS)
POD, NEAR = TENORS_DAYS.index(30), TENORS_DAYS.index(7)
ATM, D25, D10 = None, 0.25, 0.10  # ATM is chosen by forward, the wings by delta
DELTA_LABEL = {ATM: "ATM", D25: "25d", D10: "10d"}
STRIKE_TICK = 0.01  # strikes are listed to the cent


@dataclass(frozen=True)
class Leg:
    expiry: int  # index into TENORS_DAYS / StartState.expiry_seconds
    strike: float  # quote per unit
    is_call: bool
    size: float  # signed units of the underlying

    @property
    def series(self) -> tuple[int, float, bool]:
        return self.expiry, self.strike, self.is_call


@dataclass(frozen=True)
class Strategy:
    key: str
    name: str
    family: str  # naked | pod | long
    legs: tuple[Leg, ...]


def delta(start: StartState, i: int, strike: float, is_call: bool) -> float:
    """BS delta of expiry `i` at `strike`, at the start smile's vol there."""
    vol = start.vol(i, strike)
    g = price_and_greeks(is_call, start.spot, strike, start.tau(i), vol, start.rate)
    return float(g.delta)


def strike_for_delta(start: StartState, i: int, call_delta: float) -> float:
    """The cent-rounded strike of expiry `i` whose call delta is `call_delta` (in (0, 1))."""
    scale = start.atm[i] * math.sqrt(start.tau(i))
    forward = start.forward(i)

    def gap(k: float) -> float:
        return delta(start, i, forward * math.exp(k), True) - call_delta

    k = brentq(gap, -8.0 * scale, 8.0 * scale, xtol=1e-12)
    return round(round(forward * math.exp(k) / STRIKE_TICK) * STRIKE_TICK, 2)


def _call_delta(d: float, is_call: bool) -> float:
    """The call delta of the strike of a `d`-delta call or put (put delta = call delta - 1)."""
    return d if is_call else 1.0 - d


def build_book(start: StartState) -> list[Strategy]:
    """The standard book on `start`'s surface (module docstring)."""
    strikes = {
        (i, _call_delta(d, c)): strike_for_delta(start, i, _call_delta(d, c))
        for i in range(len(TENORS_DAYS))
        for d in (D25, D10)
        for c in (True, False)
    }
    for i in range(len(TENORS_DAYS)):
        strikes[(i, ATM)] = round(round(start.forward(i) / STRIKE_TICK) * STRIKE_TICK, 2)

    def leg(i: int, d: float | None, is_call: bool, size: float) -> Leg:
        key = ATM if d is ATM else _call_delta(d, is_call)
        return Leg(i, strikes[(i, key)], is_call, size)

    book: list[Strategy] = []
    for i, days in enumerate(TENORS_DAYS):
        for is_call in (True, False):
            kind = "call" if is_call else "put"
            for d in (ATM, D25, D10):
                book.append(
                    Strategy(
                        f"short_{kind}_{DELTA_LABEL[d].lower()}_{days}d",
                        f"short {kind} {DELTA_LABEL[d]} {days}d",
                        "naked",
                        (leg(i, d, is_call, -1.0),),
                    )
                )
    p = POD
    book += [
        Strategy(
            "short_straddle_30d",
            "short straddle 30d",
            "pod",
            (leg(p, ATM, True, -1.0), leg(p, ATM, False, -1.0)),
        ),
        Strategy(
            "short_strangle_30d",
            "short strangle 25d 30d",
            "pod",
            (leg(p, D25, True, -1.0), leg(p, D25, False, -1.0)),
        ),
        Strategy(
            "short_iron_condor_30d",
            "short iron condor 25d/10d 30d",
            "pod",
            (
                leg(p, D10, False, 1.0),
                leg(p, D25, False, -1.0),
                leg(p, D25, True, -1.0),
                leg(p, D10, True, 1.0),
            ),
        ),
        Strategy(
            "bull_call_spread_30d",
            "bull call spread ATM/25d 30d",
            "pod",
            (leg(p, ATM, True, 1.0), leg(p, D25, True, -1.0)),
        ),
        Strategy(
            "bear_put_spread_30d",
            "bear put spread ATM/25d 30d",
            "pod",
            (leg(p, ATM, False, 1.0), leg(p, D25, False, -1.0)),
        ),
        Strategy(
            "call_ratio_1x2_30d",
            "1x2 call ratio ATM/25d 30d",
            "pod",
            (leg(p, ATM, True, 1.0), leg(p, D25, True, -2.0)),
        ),
        Strategy(
            "calendar_7d_30d",
            "calendar call 7d/30d",
            "pod",
            (leg(NEAR, ATM, True, -1.0), Leg(p, strikes[(NEAR, ATM)], True, 1.0)),
        ),
    ]
    for i in (NEAR, POD):
        days = TENORS_DAYS[i]
        book.append(
            Strategy(
                f"long_straddle_{days}d",
                f"leveraged long straddle {days}d",
                "long",
                (leg(i, ATM, True, 1.0), leg(i, ATM, False, 1.0)),
            )
        )
    return book


def series_of(book: list[Strategy]) -> list[tuple[int, float, bool]]:
    """Every distinct (expiry index, strike, is_call) the book trades, in a stable order."""
    seen: dict[tuple[int, float, bool], None] = {}
    for strategy in book:
        for leg in strategy.legs:
            seen.setdefault(leg.series)
    return list(seen)
