"""Capital a trader brings for one strategy: Reg-T and Deribit-standard "new money".

Both rules include the premium (``ringfence.risk_table`` documents them), so to compare them
with Ringfence -- futures-style, no premium changes hands, the trader posts IM -- each is
turned into the cash the trader must bring:

    new money = premium paid for longs - premium received for shorts + requirement held,

where the held requirement is premium-inclusive for shorts (the proceeds of a sale are
credited to the account and count towards it). For a naked short that is the requirement
minus the premium received; for a long, its premium; for a debit spread, its net debit; for
a credit spread or condor, its width minus the credit.

Reg-T (CBOE retail rules, as ``risk_table.reg_t``):

- a short is *covered* by a long of the same type expiring no earlier (greedy, unit by unit,
  cheapest cover first); a covered short holds its spread's maximum loss, max(K_long -
  K_short, 0) for calls and max(K_short - K_long, 0) for puts (a debit spread or a calendar
  holds nothing beyond its debit);
- a naked short holds mark + max(20 % x spot - OTM amount, 10 % x spot (calls) or x strike
  (puts)) per unit; naked calls and naked puts together (straddle, strangle) hold the larger
  side's requirement plus the other side's premium;
- covered spreads on both sides with no naked leg (an iron condor) hold the larger side's
  maximum loss only: at expiry at most one side can lose.

Deribit standard margin (per leg, no spread offset, as ``risk_table.deribit``): a short
holds max(15 % - OTM / spot, 10 %) x spot + mark per unit, a long its premium.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PricedLeg:
    expiry: int  # seconds (or any increasing measure of the expiry)
    strike: float
    is_call: bool
    size: float
    mark: float  # per unit, quote


def _otm(leg: PricedLeg, spot: float) -> float:
    return max(leg.strike - spot, 0.0) if leg.is_call else max(spot - leg.strike, 0.0)


def _naked_unit(leg: PricedLeg, spot: float) -> float:
    floor = 0.10 * (spot if leg.is_call else leg.strike)
    return leg.mark + max(0.20 * spot - _otm(leg, spot), floor)


def _cover_width(short: PricedLeg, long: PricedLeg) -> float:
    if short.is_call:
        return max(long.strike - short.strike, 0.0)
    return max(short.strike - long.strike, 0.0)


def _premium_flow(legs: list[PricedLeg]) -> float:
    """Premium paid minus premium received."""
    return sum(leg.size * leg.mark for leg in legs)


def reg_t_new_money(legs: list[PricedLeg], spot: float) -> float:
    """Reg-T new money of a strategy (module docstring)."""
    spread = {True: 0.0, False: 0.0}
    covered_sides = set()
    naked = {True: [], False: []}  # is_call -> [(leg, units)]
    for is_call in (True, False):
        longs = [[leg, leg.size] for leg in legs if leg.is_call == is_call and leg.size > 0]
        for short in (leg for leg in legs if leg.is_call == is_call and leg.size < 0):
            units = -short.size
            for cover in sorted(
                (c for c in longs if c[0].expiry >= short.expiry and c[1] > 0),
                key=lambda c: _cover_width(short, c[0]),
            ):
                used = min(units, cover[1])
                spread[is_call] += used * _cover_width(short, cover[0])
                covered_sides.add(is_call)
                cover[1] -= used
                units -= used
                if units <= 0:
                    break
            if units > 0:
                naked[is_call].append((short, units))
    need = {c: sum(u * _naked_unit(leg, spot) for leg, u in naked[c]) for c in naked}
    premium = {c: sum(u * leg.mark for leg, u in naked[c]) for c in naked}
    if naked[True] and naked[False]:
        big = need[True] >= need[False]
        held = need[big] + premium[not big]
    else:
        held = need[True] + need[False]
    if not naked[True] and not naked[False] and len(covered_sides) == 2:
        held += max(spread.values())
    else:
        held += spread[True] + spread[False]
    return _premium_flow(legs) + held


def deribit_new_money(legs: list[PricedLeg], spot: float) -> float:
    """Deribit-standard initial margin minus the premium received (module docstring)."""
    held = 0.0
    for leg in legs:
        if leg.size < 0:
            rate = max(0.15 - _otm(leg, spot) / spot, 0.10)
            held += -leg.size * (rate * spot + leg.mark)
    return _premium_flow(legs) + held
