"""B3 - the `_solvent` rule and dust (attack 4): fresh pool + donations, NAV 0 with dust."""
import boa
from common import ETH, WAD, addr, approve_pool, fmt, try_call
from ringfence.risk_table import deploy_protocol


def fresh():
    proto = deploy_protocol(decimals=6, pool_cash=1)
    with boa.env.prank(proto.lp):
        proto.pool.redeem(proto.pool.balanceOf(proto.lp), proto.lp, proto.lp)
    return proto, proto.pool


proto, pool = fresh()
v, a = addr("victim"), addr("attacker")
for x in (v, a):
    proto.token.mint(x, proto.units(1_000_000)); approve_pool(proto, x)
print("fresh pool: supply", pool.totalSupply(), "cash", pool.cash(), "maxDeposit", pool.maxDeposit(v) > 0)
# 1) 1-wei donation with supply 0 -> NAV 1 > 0: still accepted
with boa.env.prank(a):
    proto.token.transfer(pool.address, 1)
with boa.env.prank(v):
    ok, sh = try_call(lambda: pool.deposit(proto.units(100_000), v))
print(f"1 wei donated first: victim deposit ok={ok}, shares {sh}, value {fmt(proto, pool.convertToAssets(pool.balanceOf(v)))} of 100,000")
# 2) large donation ahead of a first deposit (no attacker share): who gains?
proto, pool = fresh()
for x in (v, a):
    proto.token.mint(x, proto.units(1_000_000)); approve_pool(proto, x)
with boa.env.prank(a):
    proto.token.transfer(pool.address, proto.units(100_000))
with boa.env.prank(v):
    ok, sh = try_call(lambda: pool.deposit(proto.units(50_000), v))
print(f"100,000 donated, then 50,000 first deposit: ok={ok} ({sh}); victim value "
      f"{fmt(proto, pool.convertToAssets(pool.balanceOf(v))) if ok else '-'}; attacker holds nothing: loses 100,000")
# 3) NAV == 0 with dust: supply 0, owed > cash (a trader's unpaid claim): blocked; a donation of owed - cash + 1 unblocks
proto = deploy_protocol(decimals=6, pool_cash=200_000)
pool = proto.pool
from common import open_vault, close
t = addr("trader"); proto.fund(t, proto.units(2_000_000))
pid = open_vault(proto, t, [(2000, True, 300)], 200_000)
# LP asks out; spot runs, traders' gains > cash
with boa.env.prank(proto.lp):
    rid = pool.request_redeem(pool.balanceOf(proto.lp), proto.lp)
proto.oracle.set_price(ETH, 2900 * WAD)
boa.env.time_travel(seconds=3600)
print("spot 2900: NAV", fmt(proto, pool.totalAssets()), "free", fmt(proto, pool.free_cash()))
ok, out = try_call(lambda: pool.execute_request(rid, sender=addr("k")))
print("LP's redemption:", ok, out, "supply", pool.totalSupply())
close(proto, t, pid)
print(f"after close: supply {pool.totalSupply()}, cash {pool.cash()}, owed {fmt(proto, pool.owed())}, NAV {pool.totalAssets()}, active {len(pool.active_series())}")
with boa.env.prank(v):
    print("deposit:", try_call(lambda: pool.deposit(proto.units(1000), v)), "maxDeposit", pool.maxDeposit(v))
