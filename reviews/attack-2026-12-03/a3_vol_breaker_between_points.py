"""A3: the vol breaker bounds 5 points k in {-1,-.25,0,.25,1} to +-vol_cap (20 pts) of the
window's anchor. One report, every breaker point inside the cap (19 pts), accepted by the
real Oracle (SurfaceChecker, Lee, density): how far does vol move at strikes between and
beyond those points? (Listed strikes may go to strike/spot 1/100..100, |k| <= 4.6.)"""
import sys, os, math
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from common import *
from fit_wing import search, vol as fvol, BRK

o, relay, (s0,), (e30, e90) = make_oracle()
relay.submit((spot_report(ETH_SPOT), s0))
from ringfence.bench._real_oracle import svi_for_atm_vol
base = svi_for_atm_vol(8 * 10**17, e30 - now())
relay.submit((surface_report(e30, **dict(zip("a b rho m sigma".split(), base))), s0))
old = np.array(base) / 1e18
tau = (e30 - now()) / YEAR
for k in (-0.6, 0.6, -2.0, 2.0, -3.0):
    for sgn in (+1, -1):
        p = search(old, tau, k, sgn, trig_cap=10.0, brk_cap=0.19)
        K = int(ETH_SPOT * math.exp(k))
        with boa.env.anchor():
            boa.env.time_travel(seconds=5)
            n, why = relay.submit((surface_report(e30, **dict(zip("a b rho m sigma".split(), (int(x * 1e18) for x in p)))), s0))
            v0 = fvol(old, k, tau) * 100
            v1 = o.vol(ETH, K, e30) / 1e16 if n else float("nan")
            brk = max(abs(fvol(p, BRK, tau) - fvol(old, BRK, tau))) * 100
        print(f"k={k:+.1f} (strike {K/1e18:,.0f}) {'up' if sgn>0 else 'down'}: accepted={n} {why} vol {v0:.1f} -> {v1:.1f} "
              f"({v1 - v0:+.1f} pts; breaker points moved at most {brk:.1f})")
