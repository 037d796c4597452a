"""A9 - ERC-4626 view consistency (invariant e).

EIP-4626: max* "MUST return the maximum amount ... that would not cause a revert" (an
underestimate is allowed), preview* must not exceed what the call gives (deposit/redeem)
or undercharge (mint/withdraw) in the same transaction.

States checked: (1) book open, (2) book empty with pending requests, (3) book empty with
the pool insolvent (claims >= cash, shares outstanding), (4) book empty, held breaker or
stale oracle (no series active, so the flows do not read the oracle). In each: every max*
value is tried with the call itself; and preview vs actual on random amounts.
"""

import random

import boa

from common import ETH, WAD, addr, approve_pool, close, open_vault, try_call
from ringfence.risk_table import deploy_protocol

proto = deploy_protocol(decimals=6, pool_cash=1_000_000)
pool = proto.pool
lp = proto.lp
other = addr("other")
proto.token.mint(other, proto.units(50_000_000))
proto.token.mint(lp, proto.units(50_000_000))
approve_pool(proto, other)
approve_pool(proto, lp)
trader = addr("trader")
proto.fund(trader, proto.units(5_000_000))
issues = []


def probe(label):
    out = []
    for name, mx, call in (
        ("maxDeposit", lambda: pool.maxDeposit(lp), lambda v: pool.deposit(v, lp, sender=lp)),
        ("maxMint", lambda: pool.maxMint(lp), lambda v: pool.mint(v, lp, sender=lp)),
        ("maxWithdraw", lambda: pool.maxWithdraw(lp), lambda v: pool.withdraw(v, lp, lp, sender=lp)),
        ("maxRedeem", lambda: pool.maxRedeem(lp), lambda v: pool.redeem(v, lp, lp, sender=lp)),
    ):
        ok_m, m = try_call(mx)
        if not ok_m:
            out.append(f"{name}: view reverts ({m})")
            continue
        v = m
        if name in ("maxDeposit", "maxMint") and v == 2**256 - 1:
            v = proto.units(1_000_000)  # a finite amount within "unlimited"
        if v == 0:
            out.append(f"{name}=0")
            continue
        with boa.env.anchor():
            ok, why = try_call(lambda: call(v))
        shown = "max_uint" if m == 2**256 - 1 else m
        out.append(f"{name}={shown}: call {'ok' if ok else 'REVERTS ' + why}")
        if not ok:
            issues.append(f"[{label}] {name} = {shown} but the call reverts: {why}")
    print(f"{label}:\n   " + "\n   ".join(out))


def previews(label, n=40):
    rng = random.Random(1)
    bad = 0
    for _ in range(n):
        a = rng.choice([1, 3, 999_999, rng.randint(1, 10**12)])
        with boa.env.anchor():
            pd, pm, pw, pr = (pool.previewDeposit(a), pool.previewMint(a), pool.previewWithdraw(a),
                              pool.previewRedeem(a))
            r = []
            for ok, got, want, cmp in (
                (*try_call(lambda: pool.deposit(a, lp, sender=lp)), pd, "ge"),
            ):
                if ok and got < want:
                    bad += 1
        with boa.env.anchor():
            ok, got = try_call(lambda: pool.mint(a, lp, sender=lp))
            if ok and got > pm:
                bad += 1
        with boa.env.anchor():
            ok, got = try_call(lambda: pool.withdraw(a, lp, lp, sender=lp))
            if ok and got > pw:
                bad += 1
        with boa.env.anchor():
            ok, got = try_call(lambda: pool.redeem(a, lp, lp, sender=lp))
            if ok and got < pr:
                bad += 1
    print(f"{label}: preview vs call mismatches against the caller: {bad} of {4 * n}")
    if bad:
        issues.append(f"[{label}] {bad} preview mismatches")


# (1) book open
pid = open_vault(proto, trader, [(2000, True, 100)], 50_000)
probe("(1) book open")
# requests while open
rid_d = pool.request_deposit(proto.units(10_000), other, sender=other)
rid_r = pool.request_redeem(pool.balanceOf(lp) // 10, lp, sender=lp)
close(proto, trader, pid)  # (2) the book empties with both requests pending
probe("(2) book empty, requests pending")
previews("(2) book empty, requests pending")
boa.env.time_travel(seconds=3600)
pool.execute_request(rid_d)
pool.execute_request(rid_r)

# (3) insolvent with an empty book: a long call's gain above the cash becomes a claim
with boa.env.anchor():
    big = open_vault(proto, trader, [(2000, True, 2_000)], 1_000_000)
    proto.oracle.set_price(ETH, 3200 * WAD)
    close(proto, trader, big)
    print(f"\n(3) owed {pool.owed() / 1e6:,.2f} cash {pool.cash() / 1e6:,.2f} NAV {pool.totalAssets()} "
          f"supply {pool.totalSupply() / 1e6:,.2f}, book open {bool(pool.active_series())}")
    probe("(3) book empty, insolvent")

# (4) book empty, breaker held / stale
with boa.env.anchor():
    proto.oracle.set_breaker_held(ETH, True)
    probe("(4a) book empty, breaker held")
with boa.env.anchor():
    proto.oracle.set_stale(ETH, True)
    probe("(4b) book empty, oracle stale")

print("\nISSUES:" if issues else "\nno issue")
for i in issues:
    print("  " + i)
