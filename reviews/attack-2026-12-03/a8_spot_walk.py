"""A8: how far the published spot walks in N seconds under the path breaker, relaying the
signer's reports at the worst moments (just before and at each window boundary)."""
from common import *

for cap in (2000, 5000):  # the unit tests' 20 %, deploy/local.yaml's 50 %
    for direction in (+1, -1):
        with boa.env.anchor():
            o, relay, (s0,), _ = make_oracle()
            with boa.env.prank(GOV):
                o.set_feed_params(ETH, MAX_AGE, cap, VOL_CAP)
            relay.submit((spot_report(ETH_SPOT), s0))  # window opens now
            target = ETH_SPOT * 1000 if direction > 0 else 1
            t0 = now()
            out = []
            boa.env.time_travel(seconds=MAX_AGE - 1)
            relay.submit((spot_report(target), s0))          # last second of window 1
            boa.env.time_travel(seconds=1)
            relay.submit((spot_report(target), s0))          # first second of window 2
            out.append((now() - t0, o.price(ETH) / 1e18, o.breaker_held(ETH)))
            for _ in range(3):
                boa.env.time_travel(seconds=MAX_AGE)
                relay.submit((spot_report(target), s0))
                out.append((now() - t0, o.price(ETH) / 1e18, o.breaker_held(ETH)))
            print(f"band {cap/100:.0f}% {'up' if direction>0 else 'down'} from 3000: "
                  + "; ".join(f"t={t}s -> {p:,.2f} (held {h})" for t, p, h in out))
            # two bands within 1 second: the boundary
