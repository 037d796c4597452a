"""A10 - the emptied pool: what a capped redemption leaves behind when the last LP leaves.

A redemption pays min(quoted, value now). If the NAV rose after the quote and the request
was the last one out (totalSupply -> 0), the difference stays in the pool with no share
holding it: only the virtual share (offset 0: +1 share, +1 asset) owns it. The next
deposit into the emptied pool prices a share at leftover + 1 base units; the leftover is
never recoverable, and every later deposit loses up to one share's price to rounding.
Then: an attacker who is the first to deposit after the emptying, followed by victims of
ordinary sizes - does the attacker profit from their rounding?
"""

import random

import boa

from common import ETH, WAD, addr, approve_pool, close, fmt, open_vault, try_call, value
from ringfence.risk_table import deploy_protocol

proto = deploy_protocol(decimals=6, pool_cash=1_000_000)
pool = proto.pool
trader = addr("trader")
proto.fund(trader, proto.units(2_000_000))
pid = open_vault(proto, trader, [(2000, True, 300)], 200_000)
with boa.env.prank(proto.lp):
    rid = pool.request_redeem(pool.balanceOf(proto.lp), proto.lp)  # the only LP leaves
quoted = pool.requests(rid).quoted
proto.oracle.set_price(ETH, 1800 * WAD)  # the pool (short calls) gains
close(proto, trader, pid)  # book empty
boa.env.time_travel(seconds=pool.LP_DELAY())
paid = pool.execute_request(rid)
print(f"last LP paid {fmt(proto, paid)} (quoted {fmt(proto, quoted)}); supply {pool.totalSupply()}, "
      f"cash left {fmt(proto, pool.cash())}, NAV {fmt(proto, pool.totalAssets())}")
print(f"price of one base unit of share now: {pool.convertToAssets(1) / 1e6:,.2f} units; "
      f"previewDeposit(50,000) = {pool.previewDeposit(proto.units(50_000))} share units")

att = addr("attacker")
victims = [addr(f"victim{i}") for i in range(10)]
for a in [att] + victims:
    proto.token.mint(a, proto.units(10_000_000))
    approve_pool(proto, a)

with boa.env.anchor():
    v = victims[0]
    s = pool.deposit(proto.units(50_000), v, sender=v)
    print(f"a lone victim deposits 50,000: {s} share units worth {fmt(proto, value(proto, v))} "
          f"(loss {fmt(proto, proto.units(50_000) - value(proto, v))})")

left = pool.totalAssets()
w0 = proto.token.balanceOf(att)
sa = pool.deposit(3 * (left + 1), att, sender=att)  # 3 share units at leftover+1 each
rng = random.Random(7)
paid_in = got = 0
for v in victims:
    amt = proto.units(rng.randint(30_000, 200_000))
    ok, _ = try_call(lambda: pool.deposit(amt, v, sender=v))
    if ok:
        paid_in += amt
pool.redeem(pool.balanceOf(att), att, att, sender=att)
got = sum(value(proto, v) for v in victims)
print(f"attacker first (3 share units), then 10 victims deposit {fmt(proto, paid_in)} in all: "
      f"victims' shares worth {fmt(proto, got)} (loss {fmt(proto, paid_in - got)}); "
      f"attacker P&L {fmt(proto, proto.token.balanceOf(att) - w0)}")
print(f"leftover still unowned by any holder: virtual share worth {pool.convertToAssets(1) / 1e6:,.2f}")
