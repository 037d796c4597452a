"""Circuit breakers on the path, not the step (issue 16): within each window of max_age
seconds the published spot stays within the feed's band around the window's anchor, and
every grid point of a smile within vol_cap of the window's anchor smile, however many
reports arrive, in one block or many; a silence re-opens at the last published values.

Each attack below moved the feed without bound before (25 capped updates in one block took
spot from 2,000 to 7.58; after max_age of silence 2,000 -> 1 was accepted at once; a report
that kept ATM vol lifted the wings from 0.93 to 12.5)."""

import boa
import pytest
from oracle_helpers import (
    ETH,
    ETH_SPOT,
    MAX_AGE,
    SPOT_CAP_BPS,
    VOL_CAP,
    WAD,
    YEAR,
    now,
    spot_report,
    surface_report,
)

BAND = ETH_SPOT * SPOT_CAP_BPS // 10_000  # 20 % of the anchor


def _held_events(oracle):
    return [e for e in oracle.get_logs() if type(e).__name__ == "SpotHeld"]


def _published(oracle):
    return oracle.spot(ETH).price


@pytest.mark.parametrize(
    ("median", "published", "held"),
    [
        (ETH_SPOT + BAND, ETH_SPOT + BAND, False),  # +20 % == the band's edge
        (ETH_SPOT + BAND + 1, ETH_SPOT + BAND, True),
        (ETH_SPOT - BAND, ETH_SPOT - BAND, False),
        (ETH_SPOT - BAND - 1, ETH_SPOT - BAND, True),
        (ETH_SPOT * 1000, ETH_SPOT + BAND, True),
        (1, ETH_SPOT - BAND, True),
    ],
)
def test_breaker__median_vs_band__published_clamped_to_the_edge(
    oracle, relay, pusher, median, published, held
):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=1)
    count, reasons = relay.submit((spot_report(median), pusher))
    events = _held_events(oracle)  # the logs of the last call: read before any view
    assert (count, reasons) == (1, [])  # a report is never refused for its size
    assert oracle.price(ETH) == published
    b = oracle.breaker(ETH)
    assert (b.anchor, b.held, b.median) == (ETH_SPOT, held, median)
    assert oracle.breaker_held(ETH) == held
    if held:
        (event,) = events
        assert (event.median, event.price, event.anchor) == (median, published, ETH_SPOT)
    else:
        assert events == []


def test_breaker__25_capped_updates_in_one_block__move_at_most_one_band(oracle, relay, pusher):
    """The attack: each update 20 % below the last published price, all in one block. The
    window's anchor does not move, so the spot stops at the band's lower edge."""
    relay.submit((spot_report(ETH_SPOT, observed_at=now() - 100), pusher))
    price = ETH_SPOT
    for i in range(25):
        price = price * 8 // 10
        relay.submit((spot_report(price, observed_at=now() - 99 + i), pusher))
        assert _published(oracle) >= ETH_SPOT - BAND
    assert oracle.price(ETH) == ETH_SPOT - BAND
    assert oracle.breaker_held(ETH)


def test_breaker__updates_over_many_blocks_within_a_window__still_one_band(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    price = ETH_SPOT
    for _ in range(25):
        boa.env.time_travel(seconds=MAX_AGE // 30)  # 25 blocks, all inside one window
        price = price * 9 // 10
        relay.submit((spot_report(price), pusher))
    assert oracle.price(ETH) == ETH_SPOT - BAND


def test_breaker__after_a_silence__first_price_bounded_then_one_band_per_window(
    oracle, relay, pusher
):
    """2,000 -> 1 after max_age of silence was accepted at once: the first aggregation
    after a silence now opens a window anchored at the last published price."""
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    with boa.reverts("oracle: stale price"):
        oracle.price(ETH)
    relay.submit((spot_report(1), pusher))
    expected = ETH_SPOT - BAND
    assert oracle.price(ETH) == expected and oracle.breaker_held(ETH)
    for _ in range(3):  # a keeper sees every step: one band per window
        boa.env.time_travel(seconds=MAX_AGE)
        relay.submit((spot_report(1), pusher))
        expected -= expected * SPOT_CAP_BPS // 10_000
        assert oracle.price(ETH) == expected


def test_breaker__genuine_move__reached_in_windows_and_released(oracle, relay, pusher):
    """A real -50 % move: the published spot ramps one band per window and the breaker
    releases as soon as a median falls inside the window's band."""
    relay.submit((spot_report(ETH_SPOT), pusher))
    target = ETH_SPOT // 2
    windows = 0
    while oracle.breaker_held(ETH) or windows == 0:
        boa.env.time_travel(seconds=MAX_AGE)
        relay.submit((spot_report(target), pusher))
        windows += 1
        assert windows <= 4
    assert oracle.price(ETH) == target
    assert windows == 4  # 3,000 -> 2,400 -> 1,920 -> 1,536 -> 1,500


def test_breaker__median_of_signers_is_what_is_clamped(oracle, relay, register):
    """One signer's wild report does not move the median; the breaker bounds the median."""
    first, second, third = register(3)
    relay.submit(
        (spot_report(ETH_SPOT), first),
        (spot_report(ETH_SPOT), second),
        (spot_report(ETH_SPOT), third),
    )
    boa.env.time_travel(seconds=1)
    relay.submit((spot_report(1), first))
    assert oracle.price(ETH) == ETH_SPOT and not oracle.breaker_held(ETH)


def test_breaker__settlement_fixed_from_reports_not_the_clamped_price(
    oracle, relay, pusher, expiries
):
    """A settlement is final: it is the median of the reports at or after the expiry,
    never a price the breaker holds back (docs/oracle.md)."""
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=expiries[0] - now())
    relay.submit((spot_report(ETH_SPOT // 2), pusher))
    assert oracle.settlement_price(ETH, expiries[0]) == ETH_SPOT // 2


# --- the whole smile ------------------------------------------------------------------------


def _skew(expiry, wing_b, observed_at=None):
    """A smile with ATM vol 80 % whose wings rise with `wing_b` (symmetric SVI, m = 0)."""
    t = now() if observed_at is None else observed_at
    tau = expiry - t
    sigma = WAD // 10
    atm_w = (80 * 10**16) ** 2 // WAD * tau // YEAR
    # w(0) = a + b * sigma: keep the ATM total variance fixed while b lifts the wings
    a = atm_w - wing_b * sigma // WAD
    return surface_report(expiry, observed_at=t, a=a, b=wing_b, rho=0, m=0, sigma=sigma)


def test_vol_breaker__wings_lifted_with_atm_kept__rejected(oracle, relay, pusher, expiries):
    """The attack: one report kept the ATM vol and lifted the wings (0.93 -> 12.5)."""
    relay.submit((_skew(expiries[0], 10**16), pusher))
    atm = oracle.atm_vol(ETH, expiries[0])
    boa.env.time_travel(seconds=1)
    lifted = _skew(expiries[0], WAD // 2)  # free of arbitrage (Lee, density): only the band
    assert relay.rejects(lifted, pusher) == "vol cap exceeded"
    assert oracle.atm_vol(ETH, expiries[0]) == atm
    wing = oracle.vol(ETH, ETH_SPOT * 2, expiries[0])
    assert wing < atm + VOL_CAP


def test_vol_breaker__25_updates_in_one_block__bounded_by_the_anchor_smile(
    oracle, relay, pusher, expiries
):
    relay.submit((surface_report(expiries[0], observed_at=now() - 100), pusher))
    vol = 80 * 10**16
    accepted = 0
    for i in range(25):
        vol += 15 * 10**16  # each step below the 20-point cap from the last accepted
        count, _ = relay.submit(
            (surface_report(expiries[0], vol=vol, observed_at=now() - 99 + i), pusher)
        )
        accepted += count
    assert accepted == 1  # only the first stays within 20 points of the window's anchor
    assert oracle.atm_vol(ETH, expiries[0]) <= 80 * 10**16 + VOL_CAP


def test_vol_breaker__next_window__anchored_at_the_last_accepted_smile(
    oracle, relay, pusher, expiries
):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=1)
    assert relay.submit((surface_report(expiries[0], vol=95 * 10**16), pusher))[0] == 1
    boa.env.time_travel(seconds=1)
    assert relay.rejects(surface_report(expiries[0], vol=110 * 10**16), pusher) == (
        "vol cap exceeded"
    )
    boa.env.time_travel(seconds=MAX_AGE)
    assert relay.submit((surface_report(expiries[0], vol=110 * 10**16), pusher))[0] == 1


def test_vol_breaker__after_a_silence__bounded_by_the_last_smile(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=3 * MAX_AGE)
    assert not oracle.is_fresh(ETH, expiries[0])
    assert relay.rejects(surface_report(expiries[0], vol=4 * WAD), pusher) == ("vol cap exceeded")
    assert relay.submit((surface_report(expiries[0], vol=99 * 10**16), pusher))[0] == 1


def test_vol_breaker__move_faster_than_the_band__stalls_for_a_few_windows_not_for_ever(
    oracle, relay, pusher, expiries
):
    """A genuine vol spike of 3.5 bands: every report is refused while the smile is fresh,
    the smile goes stale, and the band widens by one vol_cap per max_age of staleness, so
    the spike lands after four windows instead of freezing the expiry until governance
    acts."""
    relay.submit((surface_report(expiries[0]), pusher))
    spike = 80 * 10**16 + 7 * VOL_CAP // 2
    refused = 0
    for _ in range(6):
        boa.env.time_travel(seconds=MAX_AGE)
        count, _ = relay.submit((surface_report(expiries[0], vol=spike), pusher))
        if count:
            break
        refused += 1
    assert refused == 3  # accepted once stale for 4 x max_age: band 4 x 20 points
    assert abs(oracle.atm_vol(ETH, expiries[0]) - spike) < 10**9


@pytest.mark.parametrize(
    ("forward", "accepted"),
    [
        (ETH_SPOT * 12 // 10, True),  # the band's edge: +20 %
        (ETH_SPOT * 12 // 10 + 1, False),
        (ETH_SPOT * 8 // 10 - 1, False),
        (ETH_SPOT * 20, False),  # the attack: same SVI, forward x 20
    ],
)
def test_vol_breaker__forward_far_from_the_spot__rejected(
    oracle, relay, pusher, expiries, forward, accepted
):
    """The smile is read at ln(K / F): the same SVI parameters with the forward x 20 moved
    the vol at 3,000 from 78 % to 291 % (x e^1.5 with one signer below quorum: a healthy
    vault liquidated in the block), unseen by breakers that compare smiles at fixed k."""
    relay.submit((spot_report(ETH_SPOT), pusher), (surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=1)
    report = surface_report(expiries[0], forward=forward)
    if accepted:
        assert relay.submit((report, pusher)) == (1, [])
    else:
        assert relay.rejects(report, pusher) == "forward out of band"
        assert oracle.surface(ETH, expiries[0]).forward == ETH_SPOT


def test_vol_breaker__forward_follows_the_signers_median_while_the_spot_ramps(
    oracle, relay, pusher, expiries
):
    """In a crash past the band the published spot lags; a smile with the true forward
    must still be accepted (bounded by the signers' median), or the vol of every expiry
    would go stale — unpriceable vaults — exactly while the ramp runs."""
    relay.submit((spot_report(ETH_SPOT), pusher), (surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=1)
    crash = ETH_SPOT // 2
    relay.submit((spot_report(crash), pusher))
    assert oracle.breaker_held(ETH) and oracle.price(ETH) == ETH_SPOT - BAND
    boa.env.time_travel(seconds=1)
    assert relay.submit((surface_report(expiries[0], forward=crash), pusher)) == (1, [])
    assert oracle.surface(ETH, expiries[0]).forward == crash
