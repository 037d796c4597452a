"""Issue 15, as an attacker and as a crash would try it: closing, liquidation and settlement
are never blocked by the pool's cash; what the pool cannot pay is a claim paid oldest first,
and no LP redeems ahead of it; batches process every id on its own, in any order; marks and
margin exist for every price and vol the oracle can report.

Each test builds its own small pool (`small`): 20,000 quote units, 6 decimals.
"""

import boa
import pytest
from ch_helpers import assert_conserved, open_vault, set_spot

from ringfence.risk_table import DEFAULT_PARAMS, ETH, WAD, deploy_protocol, params_tuple

BTC = b"BTC".ljust(32, b"\0")
TRADERS = [boa.env.generate_address(f"solvency_trader_{i}") for i in range(6)]
STRANGER = boa.env.generate_address("solvency_stranger")


@pytest.fixture(scope="module")
def small():
    proto = deploy_protocol(decimals=6, pool_cash=20_000)
    for t in TRADERS:
        proto.fund(t, proto.units(200_000))
    return proto


def _logs(proto, contract, name):
    """Events `name` of the last call made through `contract`, its sub-calls' included."""
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def _close(proto, owner, pid):
    with boa.env.prank(owner):
        proto.ch.close_position(pid, proto.units(1_000_000))
    return proto


def _claims(proto):
    """(account, amount) of every queued, unpaid claim, oldest first."""
    pool = proto.pool
    return [tuple(pool.claims(i)) for i in range(pool.claim_head(), pool.claim_tail())]


def _lp_runs(proto):
    """The LP redeems every share the free cash lets it: at once on an empty book, by a
    request executed LP_DELAY later while the book is open (what the cash then allows)."""
    pool = proto.pool
    shares = min(pool.balanceOf(proto.lp), pool.convertToShares(pool.free_cash()))
    if shares == 0:
        return
    with boa.env.prank(proto.lp):
        if not pool.active_series():
            pool.redeem(shares, proto.lp, proto.lp)
            return
        request_id = pool.request_redeem(shares, proto.lp)
    boa.env.time_travel(seconds=pool.LP_DELAY())
    pool.execute_request(request_id)


# ------------------------------------------------------------- pool cash runs out


def test_close__five_winners_at_the_utilisation_limit_after_plus_50pct__none_reverts_fifo_claims(
    small,
):
    # 5 x 9 long ATM calls: 90,000 of strike notional against 20,000 of cash (limit 5x)
    pids = [open_vault(small, t, [(2000, True, 9)], 5_000) for t in TRADERS[:5]]
    before = [small.ch.free_balance(t) for t in TRADERS[:5]]
    set_spot(small, 3000)
    gains = []
    for t, pid in zip(TRADERS[:5], pids, strict=True):
        with boa.env.prank(t):
            pnl = small.ch.close_position(pid, small.units(1_000_000))
        gains.append(pnl // 10**12)  # base units, rounded down (against the trader)
    # every winner is paid or owed exactly its gain, and the pool owes what it queued
    for t, b, gain in zip(TRADERS[:5], before, gains, strict=True):
        credited = small.ch.free_balance(t) - b - small.units(5_000)
        assert credited + small.pool.claims_of(t) == gain
    claims = _claims(small)
    assert len(claims) >= 3  # 3 of 5 unpaid in the issue: now queued, not reverted
    assert [a for a, _ in claims] == TRADERS[5 - len(claims) : 5]  # oldest first
    assert small.pool.owed() == sum(a for _, a in claims) > small.units(10_000)
    # no LP redeems ahead of the claims
    assert small.pool.free_cash() == 0 and small.pool.maxWithdraw(small.lp) == 0
    shares = small.pool.balanceOf(small.lp)
    assert small.pool.previewRedeem(shares) == 0  # the claims come first: worth nothing now
    with boa.env.prank(small.lp), boa.reverts("pool: utilisation"):
        small.pool.withdraw(1, small.lp, small.lp)
    # an insolvent pool takes no new money (it would only pay the older claims)
    assert small.pool.totalAssets() == 0
    small.token.mint(STRANGER, small.units(1_000))
    with boa.env.prank(STRANGER):
        small.token.approve(small.pool.address, small.units(1_000))
        with boa.reverts("pool: insolvent"):
            small.pool.deposit(small.units(1_000), STRANGER)
        with boa.reverts("pool: insolvent"):
            small.pool.mint(10**6, STRANGER)
    assert_conserved(small, TRADERS)


def test_pay_claims__cash_from_a_loser__oldest_claim_first_partial_last(small):
    # a loser (short 10 calls) and 3 winners; the pool's own cash goes to the first
    short = open_vault(small, TRADERS[5], [(2000, True, -10)], 150_000)
    pids = [open_vault(small, t, [(2000, True, 9)], 5_000) for t in TRADERS[:3]]
    set_spot(small, 3500)
    for t, pid in zip(TRADERS[:3], pids, strict=True):
        _close(small, t, pid)
    queued = _claims(small)
    assert queued, "the winners' gains should exceed the pool's cash"
    _close(small, TRADERS[5], short)  # its loss reaches the pool's cash
    cash = small.pool.cash()
    owed = small.pool.owed()
    frees = {t: small.ch.free_balance(t) for t in TRADERS[:3]}

    with boa.env.prank(STRANGER):  # permissionless
        credited = small.ch.pay_claims(50)

    assert credited == min(cash, owed)
    paid = _logs(small, small.ch, "ClaimPaid")
    assert [e.index for e in paid] == list(range(paid[0].index, paid[0].index + len(paid)))
    assert [e.account for e in paid] == [a for a, _ in queued][: len(paid)]
    assert all(e.remaining == 0 for e in paid[:-1])  # only the last may stay part-paid
    for t in TRADERS[:3]:
        got = sum(e.paid for e in paid if e.account == t)
        assert small.ch.free_balance(t) == frees[t] + got
    assert small.pool.owed() == owed - credited
    assert_conserved(small, TRADERS)


def test_close__lps_ran_while_the_book_netted_to_zero__winner_paid_by_the_loser_later(small):
    long_ = open_vault(small, TRADERS[0], [(2000, True, 10)], 5_000)
    short = open_vault(small, TRADERS[1], [(2000, True, -10)], 150_000)
    _lp_runs(small)  # the book nets to zero: nothing ties the LPs' cash
    assert small.pool.cash() < small.units(1_000)
    set_spot(small, 3000)
    free0 = small.ch.free_balance(TRADERS[0])
    with boa.env.prank(TRADERS[0]):
        pnl = small.ch.close_position(long_, small.units(1_000_000))  # never "cannot pay"
    gain = pnl // 10**12
    owed = small.pool.claims_of(TRADERS[0])
    assert owed > 0
    assert small.ch.free_balance(TRADERS[0]) - free0 - small.units(5_000) + owed == gain
    _close(small, TRADERS[1], short)
    # the loser's cash is the claim's before it is any LP's
    assert small.pool.free_cash() <= small.pool.cash() - small.pool.owed()
    _lp_runs(small)
    small.ch.pay_claims(10)
    assert small.pool.claims_of(TRADERS[0]) == 0
    assert small.ch.free_balance(TRADERS[0]) - free0 - small.units(5_000) == gain
    assert_conserved(small, TRADERS)


# ------------------------------------------------------------------------- batches


def _expire(proto, price):
    boa.env.time_travel(seconds=proto.expiry - boa.env.evm.patch.timestamp + 60)
    proto.oracle.set_settlement_price(ETH, proto.expiry, int(price * WAD))


@pytest.mark.parametrize("winner_first", [True, False])
def test_settle_many__winner_beyond_pool_cash_and_loser__both_settle_in_either_order(
    small, winner_first
):
    win = open_vault(small, TRADERS[0], [(2000, True, 10)], 5_000)
    lose = open_vault(small, TRADERS[1], [(2000, True, -10)], 150_000)
    _lp_runs(small)
    free0 = small.ch.free_balance(TRADERS[0])
    _expire(small, 3000)
    ids = [win, lose] if winner_first else [lose, win]
    with boa.env.prank(STRANGER):
        assert small.ch.settle_many(ids) == 2
    (leg,) = [e for e in _logs(small, small.ch, "PositionSettled") if e.position_id == win]
    small.ch.pay_claims(10)
    # the winner ends with its whole payoff in either order
    assert small.ch.free_balance(TRADERS[0]) - free0 == small.units(5_000) + leg.pnl // 10**12
    assert small.pool.owed() == 0
    assert_conserved(small, TRADERS)


def _list_btc(proto):
    with boa.env.prank(proto.governance):
        proto.registry.set_risk_params(BTC, params_tuple(DEFAULT_PARAMS))
        sid = proto.registry.list_series(BTC, 40_000 * WAD, proto.expiry, True, 10_000 * WAD)
    proto.oracle.set_price(BTC, 40_000 * WAD)
    proto.oracle.set_vol(BTC, proto.expiry, 8 * 10**17)
    return sid


@pytest.mark.parametrize("stale_first", [True, False])
def test_liquidate_many__other_underlying_stale__skipped_with_event_rest_liquidated(
    small, stale_first
):
    sid = _list_btc(small)
    with boa.env.prank(TRADERS[2]):
        btc = small.ch.open_position([(sid, -WAD)], small.units(20_000), small.units(10**6))
    eth = open_vault(small, TRADERS[3], [(2000, True, -1)], 400)
    set_spot(small, 2600)
    small.oracle.set_stale(BTC, True)
    ids = [btc, eth] if stale_first else [eth, btc]
    with boa.env.prank(STRANGER):
        assert small.ch.liquidate_many(ids) == 1
    skipped = _logs(small, small.ch, "BatchSkipped")
    assert [e.position_id for e in skipped] == [btc]
    assert b"oracle: stale price" in bytes(skipped[0].reason)
    assert small.view.position(btc).legs  # untouched
    # the view reads each id on its own too
    rows = small.view.health_many(ids)
    assert [r.ok for r in rows] == ([False, True] if stale_first else [True, False])
    assert_conserved(small, TRADERS + [STRANGER])


def test_settle_many__unexpired_and_stale_ids_mixed_in__only_ready_settle(small):
    sid = _list_btc(small)
    with boa.env.prank(TRADERS[2]):
        btc = small.ch.open_position([(sid, WAD)], small.units(5_000), small.units(10**6))
    ready = open_vault(small, TRADERS[3], [(2000, True, 1)], 500)
    _expire(small, 2100)  # BTC has no settlement price: not ready, not an error
    small.oracle.set_stale(ETH, True)  # settlement needs no fresh spot
    with boa.env.prank(STRANGER):
        assert small.ch.settle_many([btc, 999, ready, btc]) == 1
    assert small.view.position(btc).legs and not small.view.position(ready).legs


def test_batch_entry_points__called_from_outside__revert(small):
    pid = open_vault(small, TRADERS[0], [(2000, True, -1)], 400)
    with boa.env.prank(STRANGER):
        with boa.reverts("clearing: internal"):
            small.ch.liquidate_in_batch(pid, STRANGER)
        with boa.reverts("clearing: internal"):
            small.ch.settle_in_batch(pid, STRANGER)


# ----------------------------------------------------------- outside the BS domain


@pytest.mark.parametrize("spot", [20, 200_000], ids=["minus99pct", "x100"])
def test_crash_or_melt_up__health_liquidate_close_and_nav__never_revert(small, spot):
    short = open_vault(small, TRADERS[0], [(2000, True, -1), (2000, False, -1)], 800)
    long_ = open_vault(small, TRADERS[1], [(2000, True, 1), (2000, False, 1)], 800)
    set_spot(small, spot)
    small.oracle.set_vol(ETH, small.expiry, 125 * 10**17)  # wings above the old 10.0 cap
    equity, _, mm = small.ch.health(short)
    assert equity < 0 < mm
    assert small.pool.totalAssets() >= 0
    with boa.env.prank(STRANGER):
        assert small.ch.liquidate(short) == WAD
    _close(small, TRADERS[1], long_)
    assert small.pool.totalAssets() >= 0
    assert_conserved(small, TRADERS + [STRANGER])


# ------------------------------------------------------------- liquidation deposit

DEPOSIT = 5 * 10**6  # 5 quote units


@pytest.fixture(scope="module")
def dep():
    proto = deploy_protocol(decimals=6, pool_cash=1_000_000, liquidation_deposit=DEPOSIT)
    for t in TRADERS:
        proto.fund(t, proto.units(100_000))
    return proto


def test_open__takes_collateral_and_deposit__close_returns_both(dep):
    free0 = dep.ch.free_balance(TRADERS[0])
    pid = open_vault(dep, TRADERS[0], [(2000, True, 1)], 500)
    assert dep.ch.free_balance(TRADERS[0]) == free0 - dep.units(500) - DEPOSIT
    assert dep.view.position(pid).collateral == dep.units(500)  # not part of the equity
    _close(dep, TRADERS[0], pid)
    closed = _logs(dep, dep.ch, "PositionClosed")[-1]
    # the deposit taken at open is back: only the vault's own P&L and spread are gone
    assert dep.ch.free_balance(TRADERS[0]) == free0 - dep.units(500) + closed.returned
    assert_conserved(dep, TRADERS)


def test_open__free_balance_short_of_the_deposit__reverts(dep):
    poor = boa.env.generate_address("poor")
    dep.fund(poor, dep.units(500))
    with boa.env.prank(poor), boa.reverts("clearing: insufficient free balance"):
        dep.ch.open_position([(dep.series[(2000, True)], WAD)], dep.units(500), dep.units(10**6))


def test_liquidate__whole_vault__deposit_to_the_liquidator_even_in_bad_debt(dep):
    pid = open_vault(dep, TRADERS[0], [(2000, True, -1)], 300)
    set_spot(dep, 4000)
    with boa.env.prank(STRANGER):
        assert dep.ch.liquidate(pid) == WAD
    log = _logs(dep, dep.ch, "PositionLiquidated")[-1]
    assert log.shortfall > 0 and log.reward == DEPOSIT  # no reward left, the deposit still
    assert dep.ch.free_balance(STRANGER) == DEPOSIT
    assert_conserved(dep, TRADERS + [STRANGER])


def test_liquidate__partial__deposit_stays_with_the_vault(dep):
    pid = open_vault(dep, TRADERS[0], [(2000, True, -4)], 3_000)
    _, im, mm = dep.ch.health(pid)
    spot = 2000
    while dep.ch.health(pid)[0] >= dep.ch.health(pid)[2]:
        spot += 10
        set_spot(dep, spot)
    with boa.env.prank(STRANGER):
        fraction = dep.ch.liquidate(pid)
    assert 0 < fraction < WAD
    log = _logs(dep, dep.ch, "PositionLiquidated")[-1]
    assert dep.ch.free_balance(STRANGER) == log.reward  # the reward only
    _close(dep, TRADERS[0], pid)
    assert _logs(dep, dep.ch, "PositionClosed")  # the owner gets the deposit back on close
    assert_conserved(dep, TRADERS + [STRANGER])


@pytest.mark.parametrize(
    "who, after, to_caller",
    [("owner", 3_600, False), ("stranger", 3_600, False), ("stranger", 86_400, True)],
)
def test_settle__deposit_to_owner_or_to_a_late_settler(dep, who, after, to_caller):
    pid = open_vault(dep, TRADERS[0], [(2000, True, 1)], 500)
    boa.env.time_travel(seconds=dep.expiry - boa.env.evm.patch.timestamp + after)
    dep.oracle.set_settlement_price(ETH, dep.expiry, 1900 * WAD)  # expires worthless
    caller = TRADERS[0] if who == "owner" else STRANGER
    owner0, caller0 = dep.ch.free_balance(TRADERS[0]), dep.ch.free_balance(STRANGER)
    with boa.env.prank(caller):
        dep.ch.settle(pid)
    returned = _logs(dep, dep.ch, "PositionSettled")[-1].returned
    if to_caller:
        assert dep.ch.free_balance(STRANGER) == caller0 + DEPOSIT
        assert dep.ch.free_balance(TRADERS[0]) == owner0 + returned
    else:
        assert dep.ch.free_balance(TRADERS[0]) == owner0 + returned + DEPOSIT
        assert dep.ch.free_balance(STRANGER) == caller0
    assert_conserved(dep, TRADERS + [STRANGER])


# ------------------------------------------------------------------------ rounding


@pytest.mark.parametrize("decimals", [6, 18])
def test_round_trips__many_odd_sizes__trader_never_gains_from_rounding(decimals):
    proto = deploy_protocol(decimals=decimals, pool_cash=1_000_000)
    t = TRADERS[0]
    proto.fund(t, proto.units(100_000))
    start = proto.ch.free_balance(t)
    exact = 0  # the realised P&L in WAD, unrounded
    for i in range(40):
        size = WAD // 10 + 7 * i + 1  # sizes that leave fractional wei in every product
        with boa.env.prank(t):
            pid = proto.ch.open_position(
                [(proto.series[(2000, True)], size), (proto.series[(1800, False)], -size)],
                proto.units(2_000),
                proto.units(10**6),
            )
            set_spot(proto, 2000 + (i % 5) - 2)
            exact += proto.ch.close_position(pid, proto.units(10**6))
    scale = 10 ** (18 - decimals)
    # every realised loss rounded up and every gain down: never above the exact P&L
    assert proto.ch.free_balance(t) - start <= exact // scale
    assert_conserved(proto, [t])
