"""A5: Registry.listing at d9c7479 vs ae91643, same state, every detail 0..7, n 0..4, listed
and unlisted ids, paused on/off, two underlyings with different trading words; and
ClearingHouse.remove_collateral when paused."""
import random, sys
import boa
sys.path.insert(0, "tests/unit/clearing_house")
from ch_helpers import open_vault
from ringfence.risk_table import deploy_protocol, params_tuple, DEFAULT_PARAMS, ETH, WAD
from ringfence.oracle_types import underlying_id

proto = deploy_protocol(decimals=6)
old = boa.load_partial("reviews/attack-governor/old/contracts/Registry.vy")
new = proto.registry
with boa.env.prank(proto.governance):
    ref = old.deploy(proto.guardian, new.max_utilisation())
    ref.set_risk_params(ETH, params_tuple(DEFAULT_PARAMS))
    BTC = underlying_id("BTC")
    p2 = dict(DEFAULT_PARAMS)
    keys = list(p2)
    p2["liquidation_reward"] = 7 * 10**16; p2["spread_vol"] = 9 * 10**15; p2["min_size"] = 2 * 10**15
    p2["im_factor"] = 14 * 10**17
    for reg in (new, ref):
        try:
            reg.set_risk_params(BTC, params_tuple(p2))
        except Exception as e:
            print("BTC params:", str(e)[:80])
    ids = []
    for (strike, is_call), sid in sorted(proto.series.items(), key=lambda kv: kv[1]):
        sid2 = ref.list_series(ETH, strike * WAD, proto.expiry, is_call, 10_000 * WAD)
        assert sid2 == sid, (sid, sid2)
        ids.append(sid)
    for strike in (30_000, 40_000):
        a = new.list_series(BTC, strike * WAD, proto.expiry, True, 7 * WAD)
        b = ref.list_series(BTC, strike * WAD, proto.expiry, True, 7 * WAD)
        assert a == b; ids.append(a)
rng = random.Random(7)
pool = ids + [0, max(ids) + 1, 999]
checked = diffs = 0
from collections import Counter
per = Counter()
for paused in (False, True):
    with boa.env.prank(proto.governance):
        new.set_paused(paused); ref.set_paused(paused)
    for _ in range(150):
        n = rng.randint(0, 4)
        sids = [rng.choice(pool) for _ in range(4)]
        for detail in range(8):
            a = new.listing(sids, n, detail)
            try:
                b = ref.listing(sids, n, detail)
            except Exception as e:
                b = ("revert", str(e)[:60])
            checked += 1
            if detail == 4:
                # expected: PRICED's answer plus the pause flag and max_utilisation
                pr = ref.listing(sids, n, 1)
                exp_ok = (a[0], a[1], a[2], a[3]) == (pr[0], pr[1], pr[2], pr[3]) and a[4][1] == paused and list(a[4][0]) == [0, 0, 0, 0]
                if not exp_ok:
                    diffs += 1; print("WITHDRAWAL differs from PRICED+pause:", sids, n, a, pr)
                continue
            if tuple(a) != tuple(b):
                diffs += 1; per[detail] += 1
                if detail <= 3 or per[detail] == 1:
                    print(f"DIFF detail={detail} n={n} ids={sids}:\n new {a}\n old {b}")
print("differences per detail:", dict(per))
print(f"checked {checked} calls, {diffs} differences (detail 0..3 must be 0; 5..7 changed by design?)")

# remove_collateral when paused
trader = boa.env.generate_address("t")
with boa.env.prank(proto.governance):
    new.set_paused(False)
proto.fund(trader, proto.units(100_000))
pid = open_vault(proto, trader, [(2000, True, -1)], 5_000)
with boa.env.prank(proto.governance):
    new.set_paused(True)
with boa.env.prank(trader), boa.reverts("clearing: paused"):
    proto.ch.remove_collateral(pid, 1)
print("held: remove_collateral(1) reverts 'clearing: paused'")
for amount, who, label in ((0, trader, "amount 0"), (10**30, trader, "above collateral"), (1, boa.env.generate_address("x"), "non-owner")):
    with boa.env.prank(who):
        try:
            proto.ch.remove_collateral(pid, amount); print("BROKEN: succeeded while paused", label)
        except Exception as e:
            msg = [m for m in ("clearing: paused", "clearing: zero amount", "clearing: above collateral", "clearing: not owner") if m in str(e)]
            print(f"  paused + {label}: reverts {msg} (ae91643: 'clearing: paused' first)")
with boa.env.prank(proto.governance):
    new.set_paused(False)
with boa.env.prank(trader):
    proto.ch.remove_collateral(pid, 1)
print("held: unpaused remove_collateral works")
