"""A4: stale-oracle round trip on a wing strike. The pusher pushes a smile when a vol on
SURFACE_GRID = k in {-0.2..0.2} moved >= 1 pt (or on heartbeat); strikes beyond |k| = 0.2
can drift much further unseen. The adversary sees the pending report (heartbeat or the
next ATM step) and trades the wing just before it and out just after. Spread is
spread_vol x (vega + |delta| spot) per side, i.e. 1 vol point of vega + 1 % of delta
notional per round trip: a wing step of many points pays."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from proto_real import *
from fit_wing import search, vol as fvol, TRIG
import math, numpy as np

TAU = 30 * 86400
proto, feed = deploy(strikes=(1200, 1400, 2000, 2600, 3000))
E = proto.expiry
adv = boa.env.generate_address("adv")
fund(proto, adv, 1_000_000)
old = np.array([x / 1e18 for x in svi_for_atm_vol(8 * 10**17, E - now())])
tau = (E - now()) / YEAR
total = 0
for K, is_call, side in ((1200, False, +1), (3000, True, +1), (1400, False, +1)):
    k = math.log(K / 2000)
    p = search(old, tau, k, side)
    with boa.env.anchor():
        pid = open_vault(proto, adv, [(K, is_call, 100 * side)], 100_000)
        v0 = proto.oracle.vol(ETH, K * WAD, E)
        boa.env.time_travel(seconds=12)
        svi = tuple(int(x * 1e18) for x in p)
        n, why = feed.submit([feed.spot(2000 * WAD, 0), feed.surf(E, 2000 * WAD, 0, 0, svi=svi)])
        v1 = proto.oracle.vol(ETH, K * WAD, E)
        trig = max(abs(fvol(p, TRIG, tau) - fvol(old, TRIG, tau))) * 100
        with boa.env.prank(adv):
            pnl = proto.ch.close_position(pid, 2**256 - 1)
        print(f"{'long' if side>0 else 'short'} 100 {K}{'C' if is_call else 'P'}: accepted={n} {why} "
              f"vol {v0/1e16:.2f} -> {v1/1e16:.2f} (pusher-grid max move {trig:.2f} pt)  round-trip pnl {pnl/1e18:+.2f}")
