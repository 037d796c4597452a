"""The standard book: every strike hits its target delta, and the book is what the docs say."""

import pytest

from ringfence.tools.backtest.book import TENORS_DAYS, build_book, delta, series_of

TARGET = {"25d": 0.25, "10d": 0.10}


def test_book__27_strategies__unique_keys_and_at_most_four_legs(start):
    book = build_book(start)
    assert len(book) == 27
    assert len({s.key for s in book}) == 27
    assert all(1 <= len(s.legs) <= 4 for s in book)
    assert len(series_of(book)) <= 32  # the clearing house's active-series limit


def test_book__naked_shorts__atm_at_the_forward_wings_at_their_delta(start):
    naked = [s for s in build_book(start) if s.family == "naked"]
    assert len(naked) == 18
    for s in naked:
        (leg,) = s.legs
        _, kind, label, tenor = s.key.split("_")
        assert leg.size == -1.0 and leg.is_call == (kind == "call")
        assert TENORS_DAYS[leg.expiry] == int(tenor.rstrip("d"))
        if label == "atm":
            assert abs(leg.strike - start.forward(leg.expiry)) <= 0.005
            continue
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

    def atm(leg):
        return abs(leg.strike - start.forward(leg.expiry)) <= 0.005

    straddle = book["short_straddle_30d"].legs
    assert all(atm(x) and x.size == -1 for x in straddle)
    assert {x.is_call for x in straddle} == {True, False}
    ratio = book["call_ratio_1x2_30d"].legs
    assert atm(ratio[0]) and ratio[0].size == 1 and (d(ratio[1]), ratio[1].size) == (0.25, -2)
    near, far = book["calendar_7d_30d"].legs
    assert (TENORS_DAYS[near.expiry], near.size) == (7, -1)
    assert (TENORS_DAYS[far.expiry], far.size) == (30, 1)
    assert near.strike == far.strike and atm(near)
    for days in (7, 30):
        legs = book[f"long_straddle_{days}d"].legs
        assert all(leg.size == 1.0 and TENORS_DAYS[leg.expiry] == days and atm(leg) for leg in legs)
    bull = book["bull_call_spread_30d"].legs
    assert atm(bull[0]) and bull[0].size == 1 and (d(bull[1]), bull[1].size) == (0.25, -1)
    bear = book["bear_put_spread_30d"].legs
    assert atm(bear[0]) and bear[0].size == 1 and (d(bear[1]), bear[1].size) == (-0.25, -1)
