"""Governance: two-step owner, signer set and quorum, feeds and expiries, every parameter
bound, and the enumeration views a CLI reads."""

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
    WAD,
    YEAR,
    gov,
    now,
    settle_expiry,
    spot_report,
    surface_report,
)

from ringfence.paths import contract_path

# --- ownership ------------------------------------------------------------------------------


def test_owner__deployer__is_governance(oracle, governance):
    assert gov(oracle).owner() == governance


def test_transfer_ownership__pending_until_accepted__two_step(oracle, governance, outsider):
    with boa.env.prank(governance):
        gov(oracle).transfer_ownership(outsider)
    assert gov(oracle).owner() == governance
    assert gov(oracle).pending_owner() == outsider
    with boa.env.prank(outsider):
        gov(oracle).accept_ownership()
    assert gov(oracle).owner() == outsider
    assert gov(oracle).pending_owner() == "0x" + "00" * 20
    with boa.env.prank(governance), boa.reverts("ownable: caller is not the owner"):
        gov(oracle).set_quorum(1)


def test_accept_ownership__not_pending_owner__reverts(oracle, governance, outsider, relayer):
    with boa.env.prank(governance):
        gov(oracle).transfer_ownership(outsider)
    with boa.env.prank(relayer), boa.reverts("ownable_2step: caller is not the new owner"):
        gov(oracle).accept_ownership()


def test_renounce_ownership__not_exported(oracle):
    assert not hasattr(gov(oracle), "renounce_ownership")
    assert not hasattr(oracle, "renounce_ownership") and not hasattr(oracle, "owner")


# --- the split: the oracle's writers belong to its governor ---------------------------------

ORACLE_WRITERS = {
    "set_signers": lambda o, a: o.set_signers([a], 1),
    "set_feed": lambda o, a: o.set_feed(BTC, (True, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "BTC")),
    "set_expiry": lambda o, a: o.set_expiry(ETH, now() + 86_400, True),
}


@pytest.mark.parametrize("who", ["governance", "outsider"])
@pytest.mark.parametrize("call", ORACLE_WRITERS.values(), ids=ORACLE_WRITERS.keys())
def test_oracle_writer__not_from_its_governor__reverts(oracle, governance, outsider, who, call):
    # Not even the governor's owner may write the oracle around the governor's checks.
    sender = governance if who == "governance" else outsider
    with boa.env.prank(sender), boa.reverts("oracle: governor only"):
        call(oracle, outsider)


def test_bind__second_time__reverts(oracle, oracle_deployer, governance):
    with boa.env.prank(governance):
        other = oracle_deployer.deploy()
        with boa.reverts("oracle: governor bound"):
            gov(oracle).bind(other.address)
    assert gov(oracle).oracle() == oracle.address


def test_bind__oracle_of_another_governor__reverts(oracle, governance):
    # A fresh governor cannot adopt an oracle whose GOVERNOR is someone else.
    governor = boa.load_partial(str(contract_path("OracleGovernor.vy")))
    with boa.env.prank(governance):
        fresh = governor.deploy()
        with boa.reverts("oracle: not its governor"):
            fresh.bind(oracle.address)
        with boa.reverts("oracle: governor not bound"):
            fresh.add_signer(boa.env.generate_address("x"))


def test_bind__by_outsider__reverts(outsider, governance):
    governor = boa.load_partial(str(contract_path("OracleGovernor.vy")))
    with boa.env.prank(governance):
        fresh = governor.deploy()
    with boa.env.prank(outsider), boa.reverts("ownable: caller is not the owner"):
        fresh.bind(outsider)


def test_governance_events__logged_by_the_governor(oracle, governance, signers):
    governor = gov(oracle)
    with boa.env.prank(governance):
        governor.add_signer(signers[1].address)
    logs = governor.get_logs()
    assert [type(log).__name__ for log in logs] == ["SignerAdded"]
    assert logs[0].signer == signers[1].address


GOVERNANCE_CALLS = {
    "add_signer": lambda o, a: gov(o).add_signer(a),
    "remove_signer": lambda o, a: gov(o).remove_signer(a),
    "set_quorum": lambda o, a: gov(o).set_quorum(1),
    "add_feed": lambda o, a: gov(o).add_feed(BTC, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "BTC / USD"),
    "set_feed_params": lambda o, a: gov(o).set_feed_params(ETH, MAX_AGE, SPOT_CAP_BPS, VOL_CAP),
    "list_expiry": lambda o, a: gov(o).list_expiry(ETH, now() + 86_400),
    "delist_expiry": lambda o, a: gov(o).delist_expiry(ETH, o.expiries(ETH)[0]),
    "transfer_ownership": lambda o, a: gov(o).transfer_ownership(a),
}


@pytest.mark.parametrize("call", GOVERNANCE_CALLS.values(), ids=GOVERNANCE_CALLS.keys())
def test_governance_call__by_outsider__reverts(oracle, outsider, call):
    with boa.env.prank(outsider), boa.reverts("ownable: caller is not the owner"):
        call(oracle, outsider)


# --- signers and quorum ---------------------------------------------------------------------


def test_add_signer__new__registered_and_listed(oracle, governance, signers):
    with boa.env.prank(governance):
        gov(oracle).add_signer(signers[1].address)
    assert oracle.is_signer(signers[1].address)
    assert oracle.signers() == [signers[0].address, signers[1].address]


def test_add_signer__zero_address__reverts(oracle, governance):
    with boa.env.prank(governance), boa.reverts("oracle: zero signer"):
        gov(oracle).add_signer("0x" + "00" * 20)


def test_add_signer__already_registered__reverts(oracle, governance, pusher):
    with boa.env.prank(governance), boa.reverts("oracle: signer exists"):
        gov(oracle).add_signer(pusher.address)


def test_add_signer__seventeenth__reverts(oracle, governance, register):
    register(16)
    with boa.env.prank(governance), boa.reverts("oracle: too many signers"):
        gov(oracle).add_signer(boa.env.generate_address("seventeenth"))


def test_remove_signer__registered__reports_rejected_afterwards(
    oracle, relay, governance, register
):
    first, second = register(2)
    with boa.env.prank(governance):
        gov(oracle).remove_signer(first.address)
    assert oracle.signers() == [second.address]
    assert not oracle.is_signer(first.address)
    assert relay.rejects(spot_report(ETH_SPOT), first) == "unknown signer"


def test_remove_signer__not_registered__reverts(oracle, governance, signers):
    with boa.env.prank(governance), boa.reverts("oracle: not a signer"):
        gov(oracle).remove_signer(signers[9].address)


def test_remove_signer__would_leave_fewer_than_quorum__reverts(
    oracle, governance, register, signers
):
    register(2)
    with boa.env.prank(governance):
        gov(oracle).set_quorum(2)
        with boa.reverts("oracle: quorum above signers"):
            gov(oracle).remove_signer(signers[1].address)
        gov(oracle).set_quorum(1)
        gov(oracle).remove_signer(signers[1].address)
    assert oracle.signers() == [signers[0].address]


def test_remove_signer__last_signer__reverts(oracle, governance, pusher):
    with boa.env.prank(governance), boa.reverts("oracle: quorum above signers"):
        gov(oracle).remove_signer(pusher.address)


@pytest.mark.parametrize("quorum", [0, 4])
def test_set_quorum__outside_one_to_signer_count__reverts(oracle, governance, register, quorum):
    register(3)
    with boa.env.prank(governance), boa.reverts("oracle: quorum out of range"):
        gov(oracle).set_quorum(quorum)


@pytest.mark.parametrize("quorum", [1, 3])
def test_set_quorum__within_bounds__set(oracle, governance, register, quorum):
    register(3)
    with boa.env.prank(governance):
        gov(oracle).set_quorum(quorum)
    assert oracle.quorum() == quorum


def test_quorum__fresh_deployment__one(oracle_deployer, governance):
    with boa.env.prank(governance):
        fresh = oracle_deployer.deploy()
    assert fresh.quorum() == 1
    assert fresh.signers() == []
    assert fresh.feed_ids() == []


# --- feeds ----------------------------------------------------------------------------------


def test_add_feed__valid__listed_with_params(oracle, governance):
    with boa.env.prank(governance):
        gov(oracle).add_feed(BTC, 600, 500, 10**17, "BTC / USD")
    assert oracle.feed_ids() == [ETH, BTC]
    cfg = oracle.feed(BTC)
    assert (cfg.listed, cfg.max_age, cfg.spot_cap_bps, cfg.vol_cap, cfg.description) == (
        True,
        600,
        500,
        10**17,
        "BTC / USD",
    )


@pytest.mark.parametrize(
    ("max_age", "cap_bps", "vol_cap", "reason"),
    [
        (59, SPOT_CAP_BPS, VOL_CAP, "oracle: max_age out of range"),
        (86_401, SPOT_CAP_BPS, VOL_CAP, "oracle: max_age out of range"),
        (MAX_AGE, 0, VOL_CAP, "oracle: spot cap out of range"),
        (MAX_AGE, 10_001, VOL_CAP, "oracle: spot cap out of range"),
        (MAX_AGE, SPOT_CAP_BPS, 10**15 - 1, "oracle: vol cap out of range"),
        (MAX_AGE, SPOT_CAP_BPS, 5 * 10**18 + 1, "oracle: vol cap out of range"),
    ],
)
def test_add_feed__param_outside_bounds__reverts(
    oracle, governance, max_age, cap_bps, vol_cap, reason
):
    with boa.env.prank(governance), boa.reverts(reason):
        gov(oracle).add_feed(BTC, max_age, cap_bps, vol_cap, "BTC / USD")
    with boa.env.prank(governance), boa.reverts(reason):
        gov(oracle).set_feed_params(ETH, max_age, cap_bps, vol_cap)


@pytest.mark.parametrize(
    ("max_age", "cap_bps", "vol_cap"),
    [(60, 1, 10**15), (86_400, 10_000, 5 * 10**18)],
    ids=["lower-bounds", "upper-bounds"],
)
def test_set_feed_params__at_bounds__set(oracle, governance, max_age, cap_bps, vol_cap):
    with boa.env.prank(governance):
        gov(oracle).set_feed_params(ETH, max_age, cap_bps, vol_cap)
    cfg = oracle.feed(ETH)
    assert (cfg.max_age, cfg.spot_cap_bps, cfg.vol_cap) == (max_age, cap_bps, vol_cap)


def test_set_feed_params__max_age_lowered__stale_sooner_only_after_the_delay(
    oracle, relay, pusher, governance
):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=61)
    with boa.env.prank(governance):
        gov(oracle).set_feed_params(ETH, 60, SPOT_CAP_BPS, VOL_CAP)
    # announced, not applied: the price read a second ago still reads (no freeze)
    assert oracle.price(ETH) == ETH_SPOT and oracle.feed(ETH).max_age == MAX_AGE
    boa.env.time_travel(seconds=CHANGE_DELAY)
    relay.submit((spot_report(ETH_SPOT), pusher))
    gov(oracle).apply_feed_params(ETH)
    boa.env.time_travel(seconds=61)
    with boa.reverts("oracle: stale price"):
        oracle.price(ETH)


def test_add_feed__existing__reverts(oracle, governance):
    with boa.env.prank(governance), boa.reverts("oracle: feed exists"):
        gov(oracle).add_feed(ETH, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "ETH again")


def test_add_feed__zero_id__reverts(oracle, governance):
    with boa.env.prank(governance), boa.reverts("oracle: zero feed id"):
        gov(oracle).add_feed(b"\x00" * 32, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "nothing")


def test_add_feed__thirty_third__reverts(oracle, governance):
    with boa.env.prank(governance):
        for i in range(31):
            gov(oracle).add_feed(f"F{i}".encode().ljust(32, b"\0"), MAX_AGE, 1, 10**15, "")
        with boa.reverts("oracle: too many feeds"):
            gov(oracle).add_feed(BTC, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "BTC / USD")
    assert len(oracle.feed_ids()) == 32


def test_set_feed_params__unknown_feed__reverts(oracle, governance):
    with boa.env.prank(governance), boa.reverts("oracle: unknown feed"):
        gov(oracle).set_feed_params(BTC, MAX_AGE, SPOT_CAP_BPS, VOL_CAP)


# --- expiries -------------------------------------------------------------------------------


def test_list_expiry__valid__listed(oracle, governance, expiries):
    expiry = now() + 7 * 86_400
    with boa.env.prank(governance):
        gov(oracle).list_expiry(ETH, expiry)
    assert oracle.expiries(ETH) == [*expiries, expiry]


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (0, "oracle: expiry in the past"),
        (-1, "oracle: expiry in the past"),
        (10 * YEAR + 1, "oracle: expiry too far"),
    ],
)
def test_list_expiry__outside_window__reverts(oracle, governance, offset, reason):
    with boa.env.prank(governance), boa.reverts(reason):
        gov(oracle).list_expiry(ETH, now() + offset)


def test_list_expiry__ten_years_out__listed(oracle, governance):
    with boa.env.prank(governance):
        gov(oracle).list_expiry(ETH, now() + 10 * YEAR)


def test_list_expiry__duplicate__reverts(oracle, governance, expiries):
    with boa.env.prank(governance), boa.reverts("oracle: expiry listed"):
        gov(oracle).list_expiry(ETH, expiries[0])


def test_list_expiry__unknown_feed__reverts(oracle, governance):
    with boa.env.prank(governance), boa.reverts("oracle: unknown feed"):
        gov(oracle).list_expiry(BTC, now() + 86_400)


def test_list_expiry__seventeenth__reverts(oracle, governance):
    with boa.env.prank(governance):
        for i in range(14):
            gov(oracle).list_expiry(ETH, now() + (i + 1) * 86_400)
        with boa.reverts("oracle: too many expiries"):
            gov(oracle).list_expiry(ETH, now() + 200 * 86_400)
    assert len(oracle.expiries(ETH)) == 16


def test_delist_expiry__settled__removed_keeping_order_and_price(
    oracle, relay, pusher, governance, expiries
):
    extra = now() + 200 * 86_400
    with boa.env.prank(governance):
        gov(oracle).list_expiry(ETH, extra)
    settle_expiry(relay, pusher, expiries[0], ETH_SPOT)
    with boa.env.prank(governance):
        gov(oracle).delist_expiry(ETH, expiries[0])
    assert oracle.expiries(ETH) == [expiries[1], extra]
    assert oracle.settlement_price(ETH, expiries[0]) == ETH_SPOT


@pytest.mark.parametrize("when", ["live", "expired, no price yet"])
def test_delist_expiry__not_settled__reverts_so_no_vault_freezes(
    oracle, relay, pusher, governance, expiries, when
):
    """Delisting a live expiry froze every vault on it (no vol: no mark, margin or
    liquidation) and made its settlement impossible for ever. Only a settled expiry
    leaves the list now; new positions are stopped by series caps in the registry."""
    relay.submit((surface_report(expiries[0]), pusher))
    if when != "live":
        boa.env.time_travel(seconds=expiries[0] + 1 - now())
    with boa.env.prank(governance), boa.reverts("oracle: expiry not settled"):
        gov(oracle).delist_expiry(ETH, expiries[0])
    assert expiries[0] in oracle.expiries(ETH)
    if when == "live":
        assert oracle.vol(ETH, ETH_SPOT, expiries[0]) > 0
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=max(expiries[0] - now(), 0) + 1)
    relay.submit((spot_report(ETH_SPOT + WAD), pusher))
    assert oracle.settlement_price(ETH, expiries[0]) != 0


def test_delist_expiry__not_listed__reverts(oracle, governance, expiries):
    with boa.env.prank(governance), boa.reverts("oracle: expiry not listed"):
        gov(oracle).delist_expiry(ETH, expiries[0] + 1)


# --- enumeration ----------------------------------------------------------------------------


def test_views__after_updates__show_every_feed_value_and_time(
    oracle, relay, pusher, governance, expiries
):
    relay.submit((spot_report(ETH_SPOT), pusher), (surface_report(expiries[0]), pusher))
    assert oracle.feed_ids() == [ETH]
    assert oracle.expiries(ETH) == list(expiries)
    assert oracle.signers() == [pusher.address]
    assert oracle.fresh_report_count(ETH, 0) == 1
    assert oracle.fresh_report_count(ETH, expiries[0]) == 1
    assert oracle.fresh_report_count(ETH, expiries[1]) == 0
    spot = oracle.spot(ETH)
    assert (spot.price, spot.observed_at, spot.round_id) == (ETH_SPOT, now(), 1)
    assert oracle.surface(ETH, expiries[0]).observed_at == now()
    boa.env.time_travel(seconds=MAX_AGE + 1)
    assert oracle.fresh_report_count(ETH, 0) == 0
