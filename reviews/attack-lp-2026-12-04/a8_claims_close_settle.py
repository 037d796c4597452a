"""A8 - closing, liquidation and settlement with large pending requests, an insolvent pool
and claims (invariants c and f).

A 200,000 pool; traders long calls; 5,000,000 of deposit requests pending and an LP's
redemption escrowed. Spot jumps: the traders' gains exceed the pool's cash. Checks:
  - the winners can close; what cash cannot pay becomes a claim - the pending 5,000,000
    pays nothing (c)
  - an underwater short vault can be liquidated (f)
  - pay_claims pays only from cash
  - the pending deposits executed in an insolvent pool are refunded in full; the escrowed
    redemption waits ("zero assets") instead of taking anything
  - after expiry every remaining vault settles with requests still pending (f)
  - conservation at each step
"""

import boa

from common import ETH, WAD, addr, approve_pool, close, conservation, fmt, open_vault, try_call
from ringfence.risk_table import deploy_protocol

proto = deploy_protocol(decimals=6, pool_cash=200_000)
pool, ch = proto.pool, proto.ch
longs, short, dep = addr("long"), addr("short"), addr("big_depositor")
proto.fund(longs, proto.units(1_000_000))
proto.fund(short, proto.units(1_000_000))
p1 = open_vault(proto, longs, [(2000, True, 100)], 50_000)
p2 = open_vault(proto, longs, [(2200, True, 100)], 50_000)
ps = open_vault(proto, short, [(1600, False, -150)], 30_000)
p3 = open_vault(proto, longs, [(2400, True, 50)], 20_000)  # left to expiry

proto.token.mint(dep, proto.units(5_000_000))
approve_pool(proto, dep)
deposits = [pool.request_deposit(proto.units(1_000_000), dep, sender=dep) for _ in range(5)]
red = pool.request_redeem(pool.balanceOf(proto.lp) // 2, proto.lp, sender=proto.lp)
print(f"pending {fmt(proto, pool.pending_assets())}, cash {fmt(proto, pool.cash())}, "
      f"conservation {conservation(proto)[2]}")

proto.oracle.set_price(ETH, 3400 * WAD)  # +70 %: call gains far above the cash
print(f"spot 3400: NAV {fmt(proto, pool.totalAssets())}, liability {pool.liability() / 1e18:,.2f}, "
      f"cash {fmt(proto, pool.cash())}")
for pid in (p1, p2):
    w = ch.free_balance(longs)
    close(proto, longs, pid)
    print(f"close {pid}: long paid {fmt(proto, ch.free_balance(longs) - w)}, owed (claims) "
          f"{fmt(proto, pool.owed())}, cash {fmt(proto, pool.cash())}, pending "
          f"{fmt(proto, pool.pending_assets())}, conservation {conservation(proto)[2]}")

proto.oracle.set_price(ETH, 900 * WAD)  # crash: the short put is far underwater
eq, im, mm = ch.health(ps)
ok, frac = try_call(lambda: ch.liquidate(ps, sender=addr("liquidator")))
print(f"short put equity {eq / 1e18:,.2f} < 0: liquidate ok={ok}; owed {fmt(proto, pool.owed())}, "
      f"cash {fmt(proto, pool.cash())}, conservation {conservation(proto)[2]}")
paid = ch.pay_claims(10)
print(f"pay_claims paid {fmt(proto, paid)} (from cash only); owed {fmt(proto, pool.owed())}, "
      f"cash {fmt(proto, pool.cash())}, pending {fmt(proto, pool.pending_assets())}")
proto.oracle.set_price(ETH, 3400 * WAD)
boa.env.time_travel(seconds=pool.LP_DELAY())
print(f"NAV {fmt(proto, pool.totalAssets())}, supply {pool.totalSupply()}")
w = proto.token.balanceOf(dep)
for d in deposits:
    pool.execute_request(d)
print(f"5 deposits executed in the insolvent pool: refunded {fmt(proto, proto.token.balanceOf(dep) - w)}, "
      f"shares {pool.balanceOf(dep)}, pending {fmt(proto, pool.pending_assets())}")
ok, why = try_call(lambda: pool.execute_request(red))
print(f"escrowed redemption: executed={ok} ({why})")

boa.env.time_travel(seconds=proto.expiry - boa.env.evm.patch.timestamp + 1)
proto.oracle.set_settlement_price(ETH, proto.expiry, 3400 * WAD)
proto.oracle.set_breaker_held(ETH, True)  # settlement needs no spot: held breaker too
ok, pnl = try_call(lambda: ch.settle(p3, sender=longs))
print(f"after expiry, breaker held, redemption still pending: settle ok={ok}; book open "
      f"{bool(pool.active_series())}; owed {fmt(proto, pool.owed())}; conservation "
      f"{conservation(proto)}")
proto.oracle.set_breaker_held(ETH, False)
ok, why = try_call(lambda: pool.execute_request(red))
print(f"escrowed redemption after settlement (book empty, insolvent): executed={ok} ({why})")
