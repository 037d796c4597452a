"""Packed storage: every accepted value round-trips exactly at the edges of its field's
range, values just outside are rejected before they could be packed, and the fields
sharing a word (spot, max_age, round id; listed flag, freshness and SVI times) stay
independent."""

from __future__ import annotations

import boa
import pytest
from oracle_helpers import (
    CHANGE_DELAY,
    ETH,
    ETH_SPOT,
    SPOT_CAP_BPS,
    VOL_CAP,
    WAD,
    YEAR,
    gov,
    now,
)
from oracle_helpers import spot_report as make_spot
from oracle_helpers import surface_report as make_surface

from ringfence.oracle_types import Report

MAX_PRICE = 10**30
MAX_ABS_A = 1_000 * WAD
MAX_B = 100 * WAD
MAX_ABS_M = 10 * WAD
MAX_SIGMA = 10 * WAD
TIME_LIMIT = 2**40


def _edge_surfaces(expiry: int, t: int) -> dict[str, dict[str, int]]:
    """Sane smiles that put one or more fields at the edge of their packed width."""
    small_a = 4 * 10**16 * (expiry - t) // YEAR
    return {
        "forward at MAX_PRICE": {"price": MAX_PRICE, "a": small_a, "sigma": WAD},
        "forward 1 wei": {"price": 1, "a": small_a, "sigma": WAD},
        # a as low as an arbitrage-free smile allows here (min variance 1), sigma at max.
        # (-MAX_ABS_A with b = MAX_B, min variance 0, is no longer accepted: b (1 + |rho|)
        # <= 2 and a smile touching zero variance holds butterfly arbitrage.)
        "a at -9, b 1, sigma at max": {
            "price": ETH_SPOT,
            "a": -9 * WAD,
            "b": WAD,
            "sigma": MAX_SIGMA,
        },
        "rho just below 1, m at +MAX_ABS_M": {
            "price": ETH_SPOT,
            "a": small_a,
            "b": WAD // 100,
            "rho": WAD - 1,
            "m": MAX_ABS_M,
            "sigma": WAD // 10,
        },
        "rho just above -1, m at -MAX_ABS_M": {
            "price": ETH_SPOT,
            "a": small_a,
            "b": WAD // 100,
            "rho": -(WAD - 1),
            "m": -MAX_ABS_M,
            "sigma": WAD // 10,
        },
        "sigma 1 wei": {"price": ETH_SPOT, "a": small_a, "b": WAD // 10, "sigma": 1},
    }


EDGE_CASES = list(_edge_surfaces(2 * 10**9, 10**9))


@pytest.mark.parametrize("case", EDGE_CASES)
def test_surface_at_field_edges__accepted__every_field_round_trips_exactly(
    oracle, relay, pusher, expiries, case
):
    t = now()
    fields = _edge_surfaces(expiries[0], t)[case]
    report = Report(ETH, expiries[0], observed_at=t, **fields)
    accepted, reasons = relay.submit((report, pusher))
    assert (accepted, reasons) == (1, [])
    stored = oracle.surface(ETH, expiries[0])
    assert (stored.forward, stored.a, stored.b, stored.rho, stored.m, stored.sigma) == (
        report.price,
        report.a,
        report.b,
        report.rho,
        report.m,
        report.sigma,
    )
    assert (stored.svi_observed_at, stored.observed_at) == (t, t)
    mine = oracle.signer_report(pusher.address, ETH, expiries[0])
    assert tuple(mine) == (report.price, report.a, report.b, report.rho, report.m, report.sigma, t)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"price": MAX_PRICE + 1, "a": 10**16}, "price out of range"),
        ({"a": -MAX_ABS_A - 1, "b": MAX_B, "sigma": MAX_SIGMA}, "svi out of bounds"),
        ({"a": 10**16, "b": MAX_B + 1}, "svi out of bounds"),
        ({"a": 10**16, "m": MAX_ABS_M + 1}, "svi out of bounds"),
        ({"a": 10**16, "m": -MAX_ABS_M - 1}, "svi out of bounds"),
        ({"a": 10**16, "sigma": MAX_SIGMA + 1}, "svi out of bounds"),
        ({"a": 10**16, "rho": WAD}, "svi |rho| >= 1"),
        ({"a": 10**16, "rho": -WAD}, "svi |rho| >= 1"),
        ({"a": 10**16, "sigma": 0}, "svi sigma <= 0"),
        ({"a": 10**16, "b": -1}, "svi b < 0"),
    ],
)
def test_surface_outside_packed_range__rejected_with_reason__nothing_stored(
    oracle, relay, pusher, expiries, fields, reason
):
    base = {"price": ETH_SPOT, "a": 0, "b": 0, "rho": 0, "m": 0, "sigma": WAD}
    base.update(fields)
    report = Report(ETH, expiries[0], observed_at=now(), **base)
    assert relay.rejects(report, pusher) == reason
    assert oracle.surface(ETH, expiries[0]).observed_at == 0
    assert oracle.signer_report(pusher.address, ETH, expiries[0]).observed_at == 0


def test_spot_at_max_price__accepted__round_trips_exactly(oracle, relay, pusher):
    accepted, _ = relay.submit((make_spot(MAX_PRICE), pusher))
    assert accepted == 1
    assert oracle.price(ETH) == MAX_PRICE
    assert tuple(oracle.spot(ETH)) == (MAX_PRICE, now(), 1)
    assert tuple(oracle.signer_report(pusher.address, ETH, 0)) == (MAX_PRICE, 0, 0, 0, 0, 0, now())


def test_report_observed_at_2_pow_40__rejected_timestamp_out_of_range(oracle, relay, pusher):
    boa.env.time_travel(seconds=TIME_LIMIT - now() + 5)
    assert relay.rejects(make_spot(ETH_SPOT, observed_at=TIME_LIMIT), pusher) == (
        "timestamp out of range"
    )
    assert oracle.last_update(ETH) == 0


def test_set_feed_params__new_max_age__spot_price_time_and_round_unchanged(
    oracle, relay, pusher, governance
):
    relay.submit((make_spot(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=10)
    relay.submit((make_spot(ETH_SPOT + WAD), pusher))
    before = tuple(oracle.spot(ETH))
    with boa.env.prank(governance):
        gov(oracle).set_feed_params(ETH, 86_400, SPOT_CAP_BPS, VOL_CAP)  # queued a day
    boa.env.time_travel(seconds=CHANGE_DELAY)  # stale under the old max_age
    gov(oracle).apply_feed_params(ETH)
    assert tuple(oracle.spot(ETH)) == before == (ETH_SPOT + WAD, now() - CHANGE_DELAY, 2)
    assert oracle.price(ETH) == ETH_SPOT + WAD  # age 86,400 == the new max_age: fresh
    assert oracle.feed(ETH).max_age == 86_400


@pytest.mark.parametrize(
    ("vols", "chosen"),
    [
        ((75, 70, 80), 0),  # the median-vol report is the oldest: negative offset
        ((70, 80, 75), 2),  # the median-vol report is the newest: positive offset
    ],
)
def test_surface_quorum_2_of_3__chosen_report_older_or_newer__svi_time_exact(
    oracle, relay, register, governance, expiries, vols, chosen
):
    """observed_at is the quorum time (2nd newest), svi_observed_at the chosen report's."""
    accounts = register(3)
    with boa.env.prank(governance):
        gov(oracle).set_quorum(2)
    reports = []
    for account, vol in zip(accounts, vols, strict=True):
        boa.env.time_travel(seconds=600)
        report = make_surface(expiries[0], vol=vol * 10**16)
        assert relay.submit((report, account))[0] == 1
        reports.append(report)
    stored = oracle.surface(ETH, expiries[0])
    times = [r.observed_at for r in reports]
    assert (stored.a, stored.svi_observed_at, stored.observed_at) == (
        reports[chosen].a,
        times[chosen],
        times[1],
    )
    assert abs(oracle.vol(ETH, ETH_SPOT, expiries[0]) - 75 * 10**16) <= 10**9


def test_delist__settled_expiry__listed_flag_cleared_surface_and_price_kept(
    oracle, relay, pusher, governance, expiries
):
    relay.submit((make_surface(expiries[0]), pusher))
    before = tuple(oracle.surface(ETH, expiries[0]))
    boa.env.time_travel(seconds=expiries[0] - now())
    relay.submit((make_spot(ETH_SPOT), pusher))
    with boa.env.prank(governance):
        gov(oracle).delist_expiry(ETH, expiries[0])
    assert not oracle.is_fresh(ETH, expiries[0])
    with boa.reverts("oracle: unlisted expiry"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])
    assert tuple(oracle.surface(ETH, expiries[0])) == before
    assert oracle.settlement_price(ETH, expiries[0]) == ETH_SPOT
    with boa.env.prank(governance), boa.reverts("oracle: expiry in the past"):
        gov(oracle).list_expiry(ETH, expiries[0])
