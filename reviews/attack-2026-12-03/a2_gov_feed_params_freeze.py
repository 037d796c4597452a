"""A2: oracle governance within code bounds freezes live vaults (SPEC 4 #12). Oracle
feed parameters take effect at once (no queue, unlike risk params):
 (a) spot_cap_bps = 1 (the code's minimum) with max_age = 86,400: the band moves 0.01 % per
     day; any genuine move holds the breaker, so close / remove_collateral revert for as
     long as the ramp lasts (a 5 % move: ~490 days).
 (b) max_age = 60 (minimum): every feed older than 60 s is stale at once: close reverts,
     and (invariant 7) nobody can liquidate.
 (c) vol_cap = 0.1 vol point: the pusher's smiles are refused; after max_age the vol is stale."""
from proto_real import *

proto, feed = deploy()
E = proto.expiry
trader = boa.env.generate_address("trader")
fund(proto, trader, 100_000)
pid = open_vault(proto, trader, [(2000, True, -1)], 1_000)

def try_close(label):
    with boa.env.anchor():
        try:
            with boa.env.prank(trader):
                proto.ch.close_position(pid, 2**256 - 1)
            print(f"{label}: close OK")
        except Exception as e:
            import re; m = re.search(r"(clearing|oracle|pool)[^\n\'\"]*", str(e)); print(f"{label}: close REVERTS: {m.group(0) if m else type(e).__name__}")

# (a)
with boa.env.anchor():
    with boa.env.prank(proto.governance):
        proto.oracle.set_feed_params(ETH, 86_400, 1, VOL_CAP)
    boa.env.time_travel(seconds=30)
    print(feed.submit([feed.spot(2100 * WAD, 0)]))  # genuine +5 %
    print("held", proto.oracle.breaker_held(ETH), "published", proto.oracle.price(ETH) / 1e18)
    try_close("(a) after +5% with 1 bp band")
    days = 0
    for d in range(1, 11):
        boa.env.time_travel(seconds=86_400)
        feed.submit([feed.spot(2100 * WAD, 0), feed.surf(E, 2100 * WAD, 0.8 * WAD, 0)])
    print("after 10 daily reports: published", proto.oracle.price(ETH) / 1e18,
          "held", proto.oracle.breaker_held(ETH))
    try_close("(a) 10 days later")
    import math
    print("windows needed for +5%:", math.ceil(math.log(1.05) / math.log(1.0001)), "days")
# (b)
with boa.env.anchor():
    boa.env.time_travel(seconds=120)
    try_close("(b) before, feed 120 s old, max_age 3600")
    with boa.env.prank(proto.governance):
        proto.oracle.set_feed_params(ETH, 60, SPOT_CAP, VOL_CAP)
    try_close("(b) same block after max_age -> 60")
# (c)
with boa.env.anchor():
    with boa.env.prank(proto.governance):
        proto.oracle.set_feed_params(ETH, 3600, SPOT_CAP, 10**15)
    for h in range(1, 4):
        boa.env.time_travel(seconds=1800)
        print(f"t+{h*30}min pusher (+2 vol pts):", feed.submit([feed.spot(2000 * WAD, 0), feed.surf(E, 2000 * WAD, (0.8 + 0.02 * h) * WAD, 0)]))
    try_close("(c) 90 min after vol_cap -> 0.1 pt")
