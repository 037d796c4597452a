"""The reentrant token's probe works, and the clearing house shuts it out.

The probe (``liquidate_many([])``) succeeds whenever the clearing house is not locked, so
the campaign's ``no_reentrancy`` invariant (no callback ever got in) can fail.
"""

import boa

from ringfence.fuzz.machine import ETH, deployment

deployment(18, True)


def test_reentrant_token__callback_outside_a_lock__gets_in():
    d = deployment(18, True)
    with boa.env.anchor():
        # Arm the pool as trigger: the pool is not the clearing house, so the nested call
        # into the clearing house runs unlocked and must succeed.
        d.token.arm(d.pool.address, d.ch.address, d.ch.liquidate_many.prepare_calldata([]))
        with boa.env.prank(d.lp):
            d.pool.deposit(10**18, d.lp)
        assert d.token.successes() == 1


def test_reentrant_token__deposit_and_withdraw__every_callback_refused():
    d = deployment(18, True)
    trader = d.traders[0]
    with boa.env.anchor():
        before = d.token.attempts()
        with boa.env.prank(trader):
            d.ch.deposit(5 * 10**18)
            d.ch.withdraw(2 * 10**18)
        assert d.token.attempts() == before + 2
        assert d.token.successes() == 0
        assert d.ch.free_balance(trader) == 3 * 10**18


def test_reentrant_token__close_pays_pool_through_token__callback_refused():
    d = deployment(18, True)
    trader = d.traders[0]
    sid = next(iter(d.series))
    with boa.env.anchor():
        with boa.env.prank(trader):
            d.ch.deposit(10_000 * 10**18)
            pid = d.ch.open_position([(sid, 10**18)], 5_000 * 10**18, 2**256 - 1)
            d.oracle.set_price(ETH, 1_500 * 10**18)
            d.ch.close_position(pid, 2**256 - 1)
        assert d.token.attempts() >= 2
        assert d.token.successes() == 0
