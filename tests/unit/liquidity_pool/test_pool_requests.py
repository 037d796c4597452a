"""LP flows while the book is open: requests executed LP_DELAY later, by anyone, at the worse
for the LP of the quoted and the executed price (docs/solvency.md, "LP flows").

Written as SPEC 4.1's adversary: an LP who sees an oracle report pending redeems before it
and deposits after (issue 16; reviews/attack-2026-12-03/a5_lp_front_run.py took 2,798 /
104,916 / 25,717 from the other LP), deposits before a rise, keeps a request standing to
time it, and runs after a gap before the keeper has realised the bad debt (SPEC 4, 11).
Each pool: 2,000,000 units, half the adversary's; traders long 600 calls (the pool short).
"""

import boa
import pytest

from ringfence.risk_table import ETH, WAD, deploy_protocol

ADVERSARY = boa.env.generate_address("lp_adversary")
TRADERS = [boa.env.generate_address(f"lp_trader_{i}") for i in range(3)]
KEEPER = boa.env.generate_address("lp_keeper")
STRANGER = boa.env.generate_address("lp_stranger")


@pytest.fixture(scope="module")
def book():
    proto = deploy_protocol(decimals=6, pool_cash=1_000_000)
    proto.token.mint(ADVERSARY, proto.units(2_000_000))
    proto.lp_deposit(ADVERSARY, proto.units(1_000_000))  # instant: the book is empty
    with boa.env.prank(ADVERSARY):
        proto.token.approve(proto.pool.address, 2**256 - 1)
    for t in TRADERS:
        proto.fund(t, proto.units(2_000_000))
    for strike in (2000, 2200):
        open_vault(proto, TRADERS[0], [(strike, True, 300)], 200_000)
    return proto


def open_vault(proto, owner, legs, collateral):
    """Open [(strike, is_call, size in units)] with `collateral` units."""
    encoded = [(proto.series[(k, c)], int(size * WAD)) for k, c, size in legs]
    with boa.env.prank(owner):
        return proto.ch.open_position(encoded, proto.units(collateral), proto.units(10**7))


def set_spot(proto, spot):
    proto.oracle.set_price(ETH, int(spot * WAD))


def _value(proto, account):
    return proto.pool.convertToAssets(proto.pool.balanceOf(account))


def _report(proto, kind):
    """The pending oracle report the adversary has seen (issue 16's three)."""
    if kind == "spot +0.5 %":
        set_spot(proto, 2010)
    elif kind == "spot +15 %":
        set_spot(proto, 2300)
    else:  # a 19-point vol lift
        proto.oracle.set_vol(ETH, proto.expiry, 99 * 10**16)


def _mature(proto):
    boa.env.time_travel(seconds=proto.pool.LP_DELAY())


REPORTS = ["spot +0.5 %", "spot +15 %", "vol +19 points"]


@pytest.mark.parametrize("kind", REPORTS)
def test_redeem_before_a_report_deposit_after__adversary_gains_nothing(book, kind):
    proto, pool = book, book.pool
    # the LPs' values an LP_DELAY later, had the adversary stayed, with and without the report
    with boa.env.anchor():
        _mature(proto)
        honest_no_report = _value(proto, proto.lp)
    with boa.env.anchor():
        _report(proto, kind)
        _mature(proto)
        honest_if_stayed = _value(proto, proto.lp)
        adversary_if_stayed = _value(proto, ADVERSARY)
    assert honest_if_stayed < honest_no_report  # the report takes NAV from LPs

    shares = pool.balanceOf(ADVERSARY)
    wallet0 = proto.token.balanceOf(ADVERSARY)
    with boa.env.prank(ADVERSARY):
        with boa.reverts("pool: book open, use a request"):
            pool.redeem(shares, ADVERSARY, ADVERSARY)  # the instant way out is shut
        out = pool.request_redeem(shares, ADVERSARY)
    _report(proto, kind)  # lands in the next block
    with boa.env.prank(ADVERSARY):
        with boa.reverts("pool: book open, use a request"):
            pool.deposit(proto.units(1_000_000), ADVERSARY)
        with boa.reverts("pool: request not mature"):
            pool.execute_request(out)
    _mature(proto)
    paid = pool.execute_request(out)
    assert proto.token.balanceOf(ADVERSARY) == wallet0 + paid
    # the report is in the price: no more than staying would have been worth
    assert paid <= adversary_if_stayed
    assert _value(proto, proto.lp) >= honest_if_stayed


def test_deposit_before_a_rise__priced_after_it(book):
    proto, pool = book, book.pool
    set_spot(proto, 2300)  # the pool is short the calls: a fall raises its NAV
    assets = proto.units(500_000)
    with boa.env.prank(ADVERSARY):
        request_id = pool.request_deposit(assets, ADVERSARY)
    assert pool.pending_assets() == assets
    set_spot(proto, 2000)  # the pending report
    _mature(proto)
    fair_now = pool.convertToShares(assets)  # what the assets buy after the rise
    honest0 = _value(proto, proto.lp)
    shares = pool.execute_request(request_id)
    assert shares <= fair_now  # bought at the post-report price, not the quoted one
    assert _value(proto, proto.lp) >= honest0 - 1  # the honest LP is not diluted


def test_pending_deposit__outside_cash_nav_and_new_exposure(book):
    proto, pool = book, book.pool
    cash, nav, free = pool.cash(), pool.totalAssets(), pool.free_cash()
    held = proto.token.balanceOf(pool.address)
    with boa.env.prank(ADVERSARY):
        pool.request_deposit(proto.units(1_000_000), ADVERSARY)
    assert proto.token.balanceOf(pool.address) == held + proto.units(1_000_000)
    assert (pool.cash(), pool.totalAssets(), pool.free_cash()) == (cash, nav, free)
    # an opening the pool's own cash cannot back is refused: pending money backs nothing
    limit = proto.registry.max_utilisation()
    room = (cash * 10**12 * limit // WAD - pool.locked_notional()) // 10**12
    size = room // proto.units(2_400) + 1  # strike notional just over the room
    proto.fund(TRADERS[1], proto.units(10_000_000))
    with boa.reverts("pool: utilisation"):
        open_vault(proto, TRADERS[1], [(2400, True, -size)], size * 1_000)
    with boa.env.anchor():  # the same opening once the money is the pool's
        _mature(proto)
        proto.pool.execute_request(proto.pool.request_count() - 1)
        open_vault(proto, TRADERS[1], [(2400, True, -size)], size * 1_000)


def test_standing_request__anyone_executes_at_maturity_capped_at_the_quote(book):
    proto, pool = book, book.pool
    shares = pool.balanceOf(ADVERSARY) // 2
    with boa.env.prank(ADVERSARY):
        request_id = pool.request_redeem(shares, ADVERSARY)
    quoted = pool.requests(request_id).quoted
    _mature(proto)
    set_spot(proto, 1900)  # NAV rises after the quote (the pool is short calls)
    assert pool.convertToAssets(shares) > quoted
    with boa.env.prank(STRANGER):  # the adversary cannot keep it for a better moment
        paid = pool.execute_request(request_id)
    assert paid == quoted  # never more than the quote; the rest of the shares returned
    with boa.reverts("pool: no request"):
        pool.execute_request(request_id)
    assert pool.balanceOf(pool.address) == 0


def test_run_after_a_gap__redeemer_bears_the_bad_debt_realised_before_execution(book):
    proto, pool = book, book.pool
    # a short strangle that a +60 % gap leaves below zero equity
    short = open_vault(proto, TRADERS[2], [(2400, True, -400), (1600, False, -400)], 120_000)
    set_spot(proto, 3200)
    equity, _, maintenance = proto.ch.health(short)
    assert equity < 0  # NAV counts a receivable no collateral backs
    shares = pool.balanceOf(ADVERSARY)
    quoted_value = pool.convertToAssets(shares)
    with boa.env.prank(ADVERSARY):
        request_id = pool.request_redeem(shares, ADVERSARY)  # runs first
    with boa.env.prank(KEEPER):
        proto.ch.liquidate(short)  # the keeper acts within the delay: bad debt realised
    assert pool.convertToAssets(shares) < quoted_value
    _mature(proto)
    after = pool.convertToAssets(shares)  # the bad debt is in the NAV now
    assert after < quoted_value
    assert pool.execute_request(request_id) <= after  # the run took none of it away


def test_deposit_request__pool_insolvent_at_execution__assets_refunded():
    proto = deploy_protocol(decimals=6, pool_cash=20_000)
    proto.fund(TRADERS[0], proto.units(200_000))
    open_vault(proto, TRADERS[0], [(2000, True, 9)], 5_000)
    proto.token.mint(STRANGER, proto.units(1_000))
    with boa.env.prank(STRANGER):
        proto.token.approve(proto.pool.address, proto.units(1_000))
        request_id = proto.pool.request_deposit(proto.units(1_000), STRANGER)
    set_spot(proto, 9000)  # the long call's gain exceeds every unit of the pool's cash
    assert proto.pool.totalAssets() == 0
    _mature(proto)
    assert proto.pool.execute_request(request_id) == 0
    event = proto.pool.get_logs()[-1]
    assert (event.paid, event.returned) == (0, proto.units(1_000))  # returned whole
    assert proto.token.balanceOf(STRANGER) == proto.units(1_000)  # nothing is lost
    assert proto.pool.balanceOf(STRANGER) == 0 and proto.pool.pending_assets() == 0


def test_requests__bad_input__revert(book):
    proto, pool = book, book.pool
    with boa.env.prank(ADVERSARY):
        with boa.reverts("pool: zero shares"):
            pool.request_deposit(0, ADVERSARY)
        with boa.reverts("pool: zero assets"):
            pool.request_redeem(0, ADVERSARY)
        with boa.reverts("pool: zero receiver"):
            pool.request_redeem(10**6, "0x" + "00" * 20)
        with boa.reverts():  # more shares than it holds
            pool.request_redeem(pool.balanceOf(ADVERSARY) + 1, ADVERSARY)
    with boa.reverts("pool: no request"):
        pool.execute_request(pool.request_count())
    proto.oracle.set_stale(ETH, True)
    with boa.env.prank(ADVERSARY), boa.reverts("oracle: stale price"):
        pool.request_redeem(10**6, ADVERSARY)
    proto.oracle.set_stale(ETH, False)
    proto.oracle.set_breaker_held(ETH, True)
    with boa.env.prank(ADVERSARY), boa.reverts("pool: breaker held"):
        pool.request_deposit(10**6, ADVERSARY)


def test_book_open__instant_flows_revert_and_max_views_are_zero(book):
    pool = book.pool
    assert pool.active_series()
    lp = book.lp
    assert (pool.maxDeposit(lp), pool.maxMint(lp), pool.maxWithdraw(lp), pool.maxRedeem(lp)) == (
        0,
        0,
        0,
        0,
    )
    with boa.env.prank(lp):
        for call in (
            lambda: pool.deposit(10**6, lp),
            lambda: pool.mint(10**6, lp),
            lambda: pool.withdraw(10**6, lp, lp),
            lambda: pool.redeem(10**6, lp, lp),
        ):
            with boa.reverts("pool: book open, use a request"):
                call()


@pytest.mark.parametrize("decimals", [6, 18])
def test_round_trips_by_request__never_return_more(decimals):
    proto = deploy_protocol(decimals=decimals, pool_cash=100_000)
    proto.fund(TRADERS[0], proto.units(200_000))
    open_vault(proto, TRADERS[0], [(2000, True, 3)], 5_000)
    proto.token.mint(STRANGER, proto.units(1_000))
    start = proto.token.balanceOf(STRANGER)
    for amount in (1_001, 10**decimals + 3, 123_456_789):
        shares = proto.lp_deposit(STRANGER, amount)
        proto.lp_redeem(STRANGER, shares)
        assert proto.token.balanceOf(STRANGER) <= start
    assert proto.token.balanceOf(proto.pool.address) == (
        proto.pool.cash() + proto.pool.pending_assets()
    )


# -------------------------------------------- attack review 2026-12-04 (reviews/attack-lp-*)


def _holders_value(proto, accounts):
    return {a: proto.pool.convertToAssets(proto.pool.balanceOf(a)) for a in accounts}


def test_execution__moves_no_value_between_holders__no_surplus_for_a_jit_depositor(book):
    # A3: a redemption quoted before the NAV rose left the difference in the pool, and a
    # deposit executed just before it took a share: 15,305 to 30,484 from the honest LP
    proto, pool = book, book.pool
    jit = boa.env.generate_address("lp_jit")
    proto.token.mint(jit, proto.units(10_000_000))
    with boa.env.prank(ADVERSARY):
        leave = pool.request_redeem(pool.balanceOf(ADVERSARY), ADVERSARY)
    with boa.env.prank(jit):
        proto.token.approve(pool.address, proto.units(10_000_000))
        enter = pool.request_deposit(proto.units(10_000_000), jit)
    set_spot(proto, 1900)  # the NAV rises an hour long (the pool is short the calls)
    _mature(proto)
    before = _holders_value(proto, [proto.lp])
    pool.execute_request(enter)
    pool.execute_request(leave)
    after = _holders_value(proto, [proto.lp, jit, ADVERSARY])
    assert abs(after[proto.lp] - before[proto.lp]) <= 2  # rounding only, in the pool's favour
    assert after[jit] <= proto.units(10_000_000)  # the JIT depositor got no windfall
    # the leaver: the quote paid, the rest of its shares returned (still exposed, still its)
    assert pool.balanceOf(ADVERSARY) > 0 and pool.balanceOf(pool.address) == 0


def test_deposit_request__last_share_redeemed_while_the_pool_owes__returned_whole():
    # A4: the LP redeemed every share (the traders' gain tied exactly the cash left), the
    # gain then exceeded the cash, and a deposit executed against supply 0 paid the
    # traders' gains: the victim lost 354,143
    proto = deploy_protocol(decimals=6, pool_cash=300_000)
    proto.fund(TRADERS[0], proto.units(3_000_000))
    open_vault(proto, TRADERS[0], [(2000, True, 300)], 200_000)
    set_spot(proto, 2600)  # the long calls' gain now ties more cash than the notional rule
    proto.token.mint(STRANGER, proto.units(500_000))
    with boa.env.prank(STRANGER):
        proto.token.approve(proto.pool.address, proto.units(500_000))
        victim = proto.pool.request_deposit(proto.units(500_000), STRANGER)
    with boa.env.prank(proto.lp):
        gone = proto.pool.request_redeem(proto.pool.balanceOf(proto.lp), proto.lp)
    _mature(proto)
    set_spot(proto, 2610)
    proto.pool.execute_request(gone)  # everything the traders' gain leaves free
    assert proto.pool.totalSupply() == 0 and proto.pool.cash() > 0
    set_spot(proto, 4000)  # the gain exceeds the pool's cash
    assert proto.pool.totalAssets() == 0 and proto.pool.active_series()
    assert proto.pool.execute_request(victim) == 0
    assert proto.token.balanceOf(STRANGER) == proto.units(500_000)  # nothing is lost
    assert proto.pool.balanceOf(STRANGER) == 0


def test_redemption_worth_nothing_at_execution__returned_whole_not_stuck():
    # A2 variant: 1-base-unit redemptions that the share price pushed to 0 assets reverted
    # for ever ("pool: zero assets"), a standing wall in front of the keeper's cursor
    proto = deploy_protocol(decimals=6, pool_cash=1_000)
    proto.fund(TRADERS[0], proto.units(200_000))
    open_vault(proto, TRADERS[0], [(2000, True, 1)], 5_000)
    shares = proto.pool.previewWithdraw(1)  # the fewest shares worth 1 base unit now
    assert proto.pool.convertToAssets(shares) == 1
    with boa.env.prank(proto.lp):
        dust = proto.pool.request_redeem(shares, proto.lp)
    set_spot(proto, 2600)  # the pool loses: those shares are now worth 0 base units
    _mature(proto)
    assert proto.pool.convertToAssets(shares) == 0
    held = proto.pool.balanceOf(proto.lp)
    assert proto.pool.execute_request(dust) == 0
    assert proto.pool.balanceOf(proto.lp) == held + shares
    assert proto.pool.requests(dust).mature == 0  # done: the queue moves on


def test_max_views__insolvent_empty_book__zero_as_erc4626_asks():
    # A9: maxDeposit / maxMint said max_uint and maxRedeem the balance while the calls reverted
    proto = deploy_protocol(decimals=6, pool_cash=20_000)
    proto.fund(TRADERS[0], proto.units(200_000))
    pid = open_vault(proto, TRADERS[0], [(2000, True, 9)], 5_000)
    set_spot(proto, 9000)
    with boa.env.prank(TRADERS[0]):
        proto.ch.close_position(pid, proto.units(10**7))  # the pool owes a claim now
    assert not proto.pool.active_series() and proto.pool.totalAssets() == 0
    lp = proto.lp
    assert (proto.pool.maxDeposit(lp), proto.pool.maxMint(lp), proto.pool.maxRedeem(lp)) == (
        0,
        0,
        0,
    )
    with boa.env.prank(lp), boa.reverts("pool: zero assets"):
        proto.pool.redeem(proto.pool.balanceOf(lp), lp, lp)


def test_redemption__cash_it_is_quoted_set_aside__cannot_be_drained_to_cancel_it(book):
    # B2 (second review): at maturity, with a NAV-lifting report pending, the adversary
    # opened 3,641 far out-of-the-money calls to drain the free cash, executed its own
    # redemption (paid 320, the rest of its shares returned: cancelled) and closed them:
    # +18,000.83 from the honest LP
    proto, pool = book, book.pool
    shares = pool.balanceOf(ADVERSARY)
    with boa.env.prank(ADVERSARY):
        request_id = pool.request_redeem(shares, ADVERSARY)
    quoted = pool.requests(request_id).quoted
    assert pool.requests(request_id).reserved == quoted == pool.reserved_assets()
    _mature(proto)
    proto.fund(TRADERS[1], proto.units(50_000_000))
    room = pool.free_cash() * 10**12 * proto.registry.max_utilisation() // WAD // 10**12
    size = room // proto.units(2_400) + 1  # what free cash is left could back, and a unit more
    with boa.reverts("pool: utilisation"):
        # the quote's cash backs no new exposure
        open_vault(proto, TRADERS[1], [(2400, True, -(size + quoted // proto.units(2_400)))], 10**7)
    open_vault(proto, TRADERS[1], [(2400, True, -(size - 1))], 10**7)  # all the rest of the room
    worth = pool.convertToAssets(shares)
    paid = pool.execute_request(request_id)
    assert paid == min(quoted, worth)  # paid in full: not cancellable by draining the cash
    assert pool.reserved_assets() == 0


def test_request__receiver_is_the_pool__reverts(book):
    # B5b (second review): shares minted to the pool itself were stuck for good
    proto, pool = book, book.pool
    with boa.env.prank(ADVERSARY):
        with boa.reverts("pool: receiver is the pool"):
            pool.request_deposit(proto.units(1_000), pool.address)
        with boa.reverts("pool: receiver is the pool"):
            pool.request_redeem(10**6, pool.address)
