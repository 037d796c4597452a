"""A11: oracle governance (add_signer / set_quorum, immediate, within bounds) vs SPEC #12.
 (a) add_signer(own key) + one surface report (ATM a hair above the honest one, so the upper
     median picks it; forward x e^1.5): a healthy vault is liquidatable in the same block.
 (b) set_quorum(2) while only one signer is online: after max_age every read is stale and
     no vault can close or be liquidated."""
from proto_real import *
import math
from eth_account import Account
from eth_utils import keccak

proto, feed = deploy()
E = proto.expiry
trader, gov = boa.env.generate_address("trader"), proto.governance
fund(proto, trader, 100_000)
victim = open_vault(proto, trader, [(2000, True, -10)], 4_000)
print("victim liquidatable before:", proto.view.is_liquidatable(victim))
with boa.env.anchor():
    evil = Account.from_key(keccak(text="governance-key"))
    with boa.env.prank(gov):
        proto.oracle.add_signer(evil.address)
    feed.keys.append(evil)
    boa.env.time_travel(seconds=5)
    print("(a)", feed.submit([feed.surf(E, int(2000 * WAD * math.exp(1.5)), 0.801 * WAD, 1)]))
    print("    vol(2000)", proto.oracle.vol(ETH, 2000 * WAD, E) / 1e16, "victim liquidatable same block:",
          proto.view.is_liquidatable(victim))
with boa.env.anchor():
    second = Account.from_key(keccak(text="offline-signer"))
    with boa.env.prank(gov):
        proto.oracle.add_signer(second.address)
        proto.oracle.set_quorum(2)
    for _ in range(2):
        boa.env.time_travel(seconds=1800)
        print("(b) honest pusher:", feed.submit([feed.spot(2000 * WAD, 0), feed.surf(E, 2000 * WAD, 0.8 * WAD, 0)]))
    boa.env.time_travel(seconds=1801)
    try:
        with boa.env.prank(trader):
            proto.ch.close_position(victim, 2**256 - 1)
        print("(b) close OK")
    except Exception as e:
        import re; m = re.search(r"(clearing|oracle): [a-z ]+", str(e)); print("(b) close reverts:", m.group(0) if m else e)
