"""A7: a relayer keeps an expiry's surface refused by the calendar test, so it goes stale:
its vaults can neither close nor be liquidated (invariant 7 makes a stale feed block
liquidation). Rising short-dated vol (a sell-off): each pusher cycle signs a consistent
pair, the near smile and the far smile lifted to touch it (oracle/service.py lifts each
expiry a + the calendar deficit). The adversary takes the near report out of the pending
batch and relays it alone first: it is aggregated against the *old* far smile, which it
exceeds, and is refused -- and, being its signer's latest, the pusher's own copy is then
'timestamp not newer'. The far report of the batch still lands. Repeat every cycle."""
from proto_real import *
from ringfence.oracle_types import Report

proto, feed = deploy(days=7, extra_expiries=(14,), strikes=(2000,), vol=1.12)
NEAR, FAR = proto.expiry, proto.extra_expiries[0]
o = proto.oracle
short = boa.env.generate_address("short")
fund(proto, short, 100_000)
# the far smile: flat 80 %, first report
boa.env.time_travel(seconds=1)
print("far seed", feed.submit([feed.surf(FAR, 2000 * WAD, 0.8 * WAD, 0)]))
pid = open_vault(proto, short, [(2000, False, -20)], 14_000)  # short 20 near puts
def smile(expiry, params, t):
    return (Report(ETH, expiry, 2000 * WAD, *params, t), 0)
spot = 2000
near_vol = 1.12
import os
ADVERSARY = os.environ.get('CONTROL') is None
print('adversary relays first:', ADVERSARY)
first = None
for cycle in range(70):
    boa.env.time_travel(seconds=60)
    t = now()
    spot *= 0.997  # a slow sell-off, inside the pusher's steps
    near_vol += 0.003  # short-dated vol rises 0.3 pt per minute (18 pts an hour, inside vol_cap)
    pn = svi_for_atm_vol(int(near_vol * WAD), NEAR - t)
    pf = list(svi_for_atm_vol(8 * 10**17, FAR - t))  # same shape: w_far - w_near = a_far - a_near
    pf[0] = max(pf[0], pn[0] + pn[0] // 10_000)  # lifted to touch (the pusher's calendar repair)
    # the adversary relays the near report alone, first
    n1, why1 = feed.submit([smile(NEAR, pn, t)]) if ADVERSARY else (0, [])
    # then the pusher's batch (spot, near, far)
    n2, why2 = feed.submit([feed.spot(int(spot * WAD), 0), smile(NEAR, pn, t), smile(FAR, pf, t)])
    if why1 and first is None:
        first = (cycle, why1)
    if cycle in (0, 1, 2, 30, 58, 59, 60, 69):
        print(f"cycle {cycle}: near ATM {near_vol:.3f}: adversary relay -> accepted {n1} {why1}; pusher batch -> accepted {n2} {why2}")
print("first refusal (cycle, reason):", first)
print("near surface fresh:", o.is_fresh(ETH, NEAR), " far fresh:", o.is_fresh(ETH, FAR),
      " spot", o.price(ETH) / 1e18)
try:
    print("near vol", o.vol(ETH, 2000 * WAD, NEAR) / 1e16)
except Exception as e:
    print("near vol read reverts:", "stale" in str(e))
liq = boa.env.generate_address("liq")
with boa.env.prank(liq):
    n = proto.ch.liquidate_many([pid])
print("liquidate_many([short vault]) liquidated:", n,
      [l.reason[:40] if hasattr(l, 'reason') else type(l).__name__ for l in proto.ch.get_logs()][:3])
for label, fn in (("liquidate", lambda: proto.ch.liquidate(pid)), ("close", lambda: proto.ch.close_position(pid, 2**256-1))):
    try:
        with boa.env.prank(short if label == "close" else liq):
            fn()
        print(label, "OK")
    except Exception as e:
        import re; m = re.search(r"(clearing|oracle|pool)[^\n'\">]*", str(e)); print(label, "reverts:", m.group(0) if m else e)
