"""OracleGovernor's delay: once the oracle has a price, a change that could move or freeze a
live vault's prices (adding a signer, the quorum, a priced feed's parameters) is announced
and waits CHANGE_DELAY before anyone may apply it; it lapses CHANGE_WINDOW after it is due.
Written as the owner-attacker of the attack review would try it: a signer of one's own
whose report lands in the same block, a max_age or band cut that freezes or walks vaults,
a quorum raised above the live signers."""

import boa
import pytest
from oracle_helpers import (
    BTC,
    CHANGE_DELAY,
    ETH,
    ETH_SPOT,
    MAX_AGE,
    SPOT_CAP_BPS,
    VOL_CAP,
    gov,
    now,
    spot_report,
)

CHANGE_WINDOW = 7 * 86_400


@pytest.fixture
def priced(oracle, relay, pusher):
    """The ETH feed has a price, so live settings are queued from now on."""
    relay.submit((spot_report(ETH_SPOT), pusher))
    return oracle


def _names(contract) -> list[str]:
    return [type(log).__name__ for log in contract.get_logs()]


# --- before the first price: at once ----------------------------------------------------


def test_changes__before_any_price__take_effect_at_once(oracle, governance, signers):
    governor = gov(oracle)
    with boa.env.prank(governance):
        governor.add_signer(signers[1].address)
        governor.set_quorum(2)
        governor.set_feed_params(ETH, 600, 100, 10**16)
    assert oracle.is_signer(signers[1].address) and oracle.quorum() == 2
    assert oracle.feed(ETH).max_age == 600
    assert governor.pending_signer(signers[1].address) == 0


# --- adding a signer --------------------------------------------------------------------


def test_add_signer__after_a_price__queued_and_its_report_rejected(
    priced, relay, governance, signers
):
    # the owner's own signer cannot report in the block it is added (attack review a11)
    governor = gov(priced)
    attacker = signers[5]
    with boa.env.prank(governance):
        governor.add_signer(attacker.address)
    assert _names(governor) == ["SignerQueued"]
    assert governor.pending_signer(attacker.address) == now() + CHANGE_DELAY
    assert not priced.is_signer(attacker.address)
    crash = spot_report(ETH_SPOT // 2, observed_at=now())
    assert relay.rejects(crash, attacker) == "unknown signer"
    assert priced.price(ETH) == ETH_SPOT


def test_apply_signer__before_due__reverts_then_anyone_applies(
    priced, governance, outsider, signers
):
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.add_signer(signers[1].address)
    boa.env.time_travel(seconds=CHANGE_DELAY - 1)
    with boa.env.prank(outsider), boa.reverts("oracle: change not due"):
        governor.apply_signer(signers[1].address)
    boa.env.time_travel(seconds=1)
    with boa.env.prank(outsider):
        governor.apply_signer(signers[1].address)
    assert _names(governor) == ["SignerAdded"]
    assert priced.is_signer(signers[1].address)
    with boa.reverts("oracle: nothing queued"):
        governor.apply_signer(signers[1].address)


def test_apply_signer__after_the_window__lapsed(priced, governance, signers):
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.add_signer(signers[1].address)
    boa.env.time_travel(seconds=CHANGE_DELAY + CHANGE_WINDOW + 1)
    with boa.reverts("oracle: change lapsed"):
        governor.apply_signer(signers[1].address)
    assert not priced.is_signer(signers[1].address)


def test_cancel_signer__governance_only__then_nothing_to_apply(
    priced, governance, outsider, signers
):
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.add_signer(signers[1].address)
    with boa.env.prank(outsider), boa.reverts("ownable: caller is not the owner"):
        governor.cancel_signer(signers[1].address)
    with boa.env.prank(governance):
        governor.cancel_signer(signers[1].address)
        with boa.reverts("oracle: nothing queued"):
            governor.cancel_signer(signers[1].address)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    with boa.reverts("oracle: nothing queued"):
        governor.apply_signer(signers[1].address)


def test_apply_signer__set_full_meanwhile__reverts_too_many(priced, governance, signers):
    # the bounds are checked again when the change applies, not only when it is queued
    governor = gov(priced)
    with boa.env.prank(governance):
        for account in signers[1:15]:
            governor.add_signer(account.address)
        late = boa.env.generate_address("late")
        governor.add_signer(late)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    for account in signers[1:15]:
        governor.apply_signer(account.address)
    with boa.env.prank(governance):
        governor.add_signer(signers[15].address)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_signer(signers[15].address)
    with boa.reverts("oracle: too many signers"):
        governor.apply_signer(late)


def _signers_applied(priced, register, n):
    """signers[0..n-1] registered on a priced oracle (additions queued, then applied)."""
    accounts = register(n)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    for account in accounts[1:]:
        gov(priced).apply_signer(account.address)
    return accounts


def test_remove_signer__after_a_price__queued_until_applied(priced, governance, register):
    first, second = _signers_applied(priced, register, 2)
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.remove_signer(second.address)
    assert _names(governor) == ["SignerRemovalQueued"]
    assert priced.is_signer(second.address)
    assert governor.pending_removal(second.address) == now() + CHANGE_DELAY
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_removal(second.address)
    assert priced.signers() == [first.address]
    with boa.reverts("oracle: nothing queued"):
        governor.apply_removal(second.address)


def test_removals_then_own_signer_in_one_block__median_does_not_move(
    priced, relay, governance, register, signers
):
    # attack review (governor split) A2: an owner signer queued a day ahead is harmless in
    # a set of honest ones (median of [2000, 2000, 2000, 2400] = 2000); removing the honest
    # signers at once would hand it the median in one block. Removals wait a day too.
    honest = _signers_applied(priced, register, 3)
    owner_signer = signers[7]
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.add_signer(owner_signer.address)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_signer(owner_signer.address)
    relay.submit(*[(spot_report(ETH_SPOT), account) for account in honest])
    with boa.env.prank(governance):
        for account in honest:
            governor.remove_signer(account.address)
    pump = spot_report(ETH_SPOT * 6 // 5, observed_at=now())
    relay.submit((pump, owner_signer))
    assert priced.price(ETH) == ETH_SPOT
    assert all(priced.is_signer(account.address) for account in honest)


def test_cancel_removal__dropped(priced, governance, outsider, register):
    _, second = _signers_applied(priced, register, 2)
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.remove_signer(second.address)
    with boa.env.prank(outsider), boa.reverts("ownable: caller is not the owner"):
        governor.cancel_removal(second.address)
    with boa.env.prank(governance):
        governor.cancel_removal(second.address)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    with boa.reverts("oracle: nothing queued"):
        governor.apply_removal(second.address)


def test_apply_removal__quorum_raised_meanwhile__reverts(priced, governance, register):
    _, second = _signers_applied(priced, register, 2)
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.remove_signer(second.address)
        governor.set_quorum(2)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_quorum()
    with boa.reverts("oracle: quorum above signers"):
        governor.apply_removal(second.address)


# --- quorum -----------------------------------------------------------------------------


def test_set_quorum__after_a_price__queued_until_applied(priced, governance, register, signers):
    register(3)
    governor = gov(priced)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    for account in signers[1:3]:
        governor.apply_signer(account.address)
    with boa.env.prank(governance):
        governor.set_quorum(3)
    assert _names(governor) == ["QuorumQueued"]
    assert priced.quorum() == 1 and governor.pending_quorum() == (3, now() + CHANGE_DELAY)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_quorum()
    assert priced.quorum() == 3 and governor.pending_quorum()[1] == 0


def test_apply_quorum__signers_removed_meanwhile__out_of_range(
    priced, governance, register, signers
):
    register(2)
    governor = gov(priced)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_signer(signers[1].address)
    with boa.env.prank(governance):
        governor.set_quorum(2)
        governor.remove_signer(signers[1].address)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_removal(signers[1].address)  # both due: the removal lands first
    with boa.reverts("oracle: quorum out of range"):
        governor.apply_quorum()
    assert priced.quorum() == 1


def test_set_quorum__queued_twice__the_second_replaces_the_first(
    priced, governance, register, signers
):
    register(2)
    governor = gov(priced)
    boa.env.time_travel(seconds=CHANGE_DELAY)
    governor.apply_signer(signers[1].address)
    with boa.env.prank(governance):
        governor.set_quorum(2)
        boa.env.time_travel(seconds=3_600)
        governor.set_quorum(1)
    assert governor.pending_quorum() == (1, now() + CHANGE_DELAY)
    with boa.env.prank(governance):
        governor.cancel_quorum()
        with boa.reverts("oracle: nothing queued"):
            governor.cancel_quorum()


# --- feed parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "cap_bps", "vol_cap"),
    [(60, SPOT_CAP_BPS, VOL_CAP), (MAX_AGE, 1, VOL_CAP), (MAX_AGE, SPOT_CAP_BPS, 10**15)],
    ids=["max_age 60 s", "band 1 bps", "vol cap 0.1 point"],
)
def test_set_feed_params__priced_feed__nothing_changes_for_a_day(
    priced, relay, pusher, governance, max_age, cap_bps, vol_cap
):
    # attack review a2: a cut that would freeze (stale) or pin (held) every vault at once
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.set_feed_params(ETH, max_age, cap_bps, vol_cap)
    pending = governor.pending_feed_params(ETH)
    assert (pending.max_age, pending.spot_cap_bps, pending.vol_cap) == (max_age, cap_bps, vol_cap)
    assert pending.effective_at == now() + CHANGE_DELAY
    feed = priced.feed(ETH)
    assert (feed.max_age, feed.spot_cap_bps, feed.vol_cap) == (MAX_AGE, SPOT_CAP_BPS, VOL_CAP)
    boa.env.time_travel(seconds=120)
    # a 10 % move goes through the old 20 % band in the same block and for the whole day
    relay.submit((spot_report(ETH_SPOT * 9 // 10), pusher))
    assert priced.price(ETH) == ETH_SPOT * 9 // 10 and not priced.breaker_held(ETH)
    boa.env.time_travel(seconds=CHANGE_DELAY - 120)
    governor.apply_feed_params(ETH)
    feed = priced.feed(ETH)
    assert (feed.max_age, feed.spot_cap_bps, feed.vol_cap) == (max_age, cap_bps, vol_cap)


def test_set_feed_params__unpriced_feed__at_once(priced, governance):
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.add_feed(BTC, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "BTC / USD")
        governor.set_feed_params(BTC, 600, 500, 10**17)
    assert priced.feed(BTC).max_age == 600
    assert governor.pending_feed_params(BTC).effective_at == 0


def test_cancel_feed_params__dropped(priced, governance, outsider):
    governor = gov(priced)
    with boa.env.prank(governance):
        governor.set_feed_params(ETH, 60, SPOT_CAP_BPS, VOL_CAP)
    with boa.env.prank(outsider), boa.reverts("ownable: caller is not the owner"):
        governor.cancel_feed_params(ETH)
    with boa.env.prank(governance):
        governor.cancel_feed_params(ETH)
    assert _names(governor) == ["FeedParamsCancelled"]
    boa.env.time_travel(seconds=CHANGE_DELAY)
    with boa.reverts("oracle: nothing queued"):
        governor.apply_feed_params(ETH)
    assert priced.feed(ETH).max_age == MAX_AGE


def test_apply__nothing_queued__reverts(oracle):
    governor = gov(oracle)
    with boa.reverts("oracle: nothing queued"):
        governor.apply_quorum()
    with boa.reverts("oracle: nothing queued"):
        governor.apply_feed_params(ETH)
