"""A1: the vol breaker bounds the smile at 5 log-moneyness points, but the surface report's
forward (report.price) is not bounded at all (only 0 < F <= 1e30). vol(K) reads the smile
at k = ln(K / F), so one report with the *same* SVI parameters and a different forward
moves every strike's vol without limit, in one block."""
from common import *

o, relay, (s0,), (e30, e90) = make_oracle()
relay.submit((spot_report(ETH_SPOT), s0))
# a realistic skewed 30-day smile, arbitrage-free
tau = (e30 - now()) / YEAR
svi = dict(a=int(0.02 * WAD), b=int(0.15 * WAD), rho=int(-0.5 * WAD), m=0, sigma=int(0.2 * WAD))
print(relay.submit((surface_report(e30, forward=ETH_SPOT, **svi), s0)))
strikes = [2400, 2700, 3000, 3300, 3600]
v0 = [o.vol(ETH, K * WAD, e30) / 1e16 for K in strikes]
print("vol before (pts):", [round(v, 2) for v in v0])
for mult in (1.5, 3, 20):
    boa.env.time_travel(seconds=12)
    relay.submit((spot_report(ETH_SPOT), s0))
    acc, reasons = relay.submit((surface_report(e30, forward=int(ETH_SPOT * mult), **svi), s0))
    v1 = [o.vol(ETH, K * WAD, e30) / 1e16 for K in strikes]
    print(f"forward x{mult}: accepted={acc} reasons={reasons} spot={o.price(ETH)/1e18} "
          f"vol after (pts): {[round(v, 2) for v in v1]}  breaker_held={o.breaker_held(ETH)}")
