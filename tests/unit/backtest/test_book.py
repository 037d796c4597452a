"""The standard book: every strike hits its target delta, and the book is what the docs say."""

import pytest

from ringfence.tools.backtest.book import TENORS_DAYS, build_book, delta, series_of

TARGET = {"atm": 0.50, "25d": 0.25, "10d": 0.10}


def test_book__27_strategies__unique_keys_and_at_most_four_legs(start):
    book = build_book(start)
    assert len(book) == 27
    assert len({s.key for s in book}) == 27
    assert all(1 <= len(s.legs) <= 4 for s in book)
    assert len(series_of(book)) <= 32  # the clearing house's active-series limit


def test_book__naked_shorts__strikes_hit_their_delta(start):
    naked = [s for s in build_book(start) if s.family == "naked"]
    assert len(naked) == 18
    for s in naked:
        (leg,) = s.legs
        _, kind, label, tenor = s.key.split("_")
        assert leg.size == -1.0 and leg.is_call == (kind == "call")
        assert TENORS_DAYS[leg.expiry] == int(tenor.rstrip("d"))
        target = TARGET[label] if leg.is_call else -TARGET[label]
        assert delta(start, leg.expiry, leg.strike, leg.is_call) == pytest.approx(target, abs=1e-4)


def test_book__strikes_are_cents_and_otm(start):
    for s in build_book(start):
        for leg in s.legs:
            assert round(leg.strike, 2) == leg.strike
    for s in build_book(start):
        if s.family == "naked" and "atm" not in s.key:
            (leg,) = s.legs
            forward = start.forward(leg.expiry)
            assert (leg.strike > forward) if leg.is_call else (leg.strike < forward)


def test_book__pods__legs_as_documented(start):
    book = {s.key: s for s in build_book(start)}

    def d(leg):
        return round(delta(start, leg.expiry, leg.strike, leg.is_call), 2)

    condor = book["short_iron_condor_30d"].legs
    assert [(d(leg), leg.size) for leg in condor] == [
        (-0.10, 1.0), (-0.25, -1.0), (0.25, -1.0), (0.10, 1.0)
    ]  # fmt: skip
    straddle = book["short_straddle_30d"].legs
    assert straddle[0].strike == straddle[1].strike and {d(x) for x in straddle} == {0.5, -0.5}
    ratio = book["call_ratio_1x2_30d"].legs
    assert [(d(leg), leg.size) for leg in ratio] == [(0.5, 1.0), (0.25, -2.0)]
    near, far = book["calendar_7d_30d"].legs
    assert (TENORS_DAYS[near.expiry], near.size) == (7, -1)
    assert (TENORS_DAYS[far.expiry], far.size) == (30, 1)
    assert near.strike == far.strike and d(near) == 0.5
    for days in (7, 30):
        legs = book[f"long_straddle_{days}d"].legs
        assert all(leg.size == 1.0 and TENORS_DAYS[leg.expiry] == days for leg in legs)
    assert [(d(x), x.size) for x in book["bull_call_spread_30d"].legs] == [(0.5, 1), (0.25, -1)]
    assert [(d(x), x.size) for x in book["bear_put_spread_30d"].legs] == [(-0.5, 1), (-0.25, -1)]
