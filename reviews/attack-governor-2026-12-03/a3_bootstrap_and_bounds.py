"""A3: bootstrap rule really is "any feed priced" (an unpriced second feed gives no immediate
treatment); A4: bounds re-checked at apply time; cancel/re-queue; queue-remove-re-add."""
import boa
from eth_account import Account
from eth_utils import keccak
from ringfence.oracle_types import Report, sign_report, underlying_id
from ringfence.risk_table import deploy_real_oracle, ETH

DAY = 86_400
BTC = underlying_id("BTC"); SOL = underlying_id("SOL")
acct = lambda i: Account.from_key(keccak(text=f"a3-signer-{i}"))
def now(): return boa.env.evm.patch.timestamp
def expect(msg, fn):
    with boa.reverts(msg):
        fn()
    print(f"  held: '{msg}'")

owner = boa.env.generate_address("owner")
with boa.env.prank(owner):
    oracle, gov = deploy_real_oracle()
    s0 = acct(0)
    gov.add_signer(s0.address)
    gov.add_feed(ETH, 3600, 2000, 2 * 10**17, "ETH")
    gov.add_feed(BTC, 3600, 2000, 2 * 10**17, "BTC")
r = Report(ETH, 0, 2000 * 10**18, observed_at=now())
oracle.submit([r.as_tuple()], [sign_report(r, s0.key, boa.env.evm.patch.chain_id, oracle.address)])
print("ETH priced; BTC unpriced; add SOL (unpriced, listed after the price)")
with boa.env.prank(owner):
    gov.add_feed(SOL, 3600, 2000, 2 * 10**17, "SOL")
    gov.add_signer(acct(1).address)
    assert not oracle.is_signer(acct(1).address), "BROKEN: add_signer immediate with an unpriced feed around"
    gov.set_quorum(1)
    assert gov.pending_quorum()[1] != 0
    print("  held: add_signer and set_quorum queued")
    # unpriced feeds' params are immediate (no vault can exist on them)
    gov.set_feed_params(BTC, 60, 1, 10**15)
    assert oracle.feed(BTC).max_age == 60
    gov.set_feed_params(ETH, 60, 1, 10**15)
    assert oracle.feed(ETH).max_age == 3600
    print("  held: ETH params queued, BTC (never priced) immediate")
    # cancel/re-queue only pushes effective_at later
    at1 = gov.pending_signer(acct(1).address)
    boa.env.time_travel(seconds=100)
    gov.cancel_signer(acct(1).address); gov.add_signer(acct(1).address)
    assert gov.pending_signer(acct(1).address) == at1 + 100
    print("  held: re-queue gives a later effective_at")
boa.env.time_travel(seconds=DAY - 101)
expect("oracle: change not due", lambda: gov.apply_signer(acct(1).address))

print("A4: apply-time bounds")
with boa.env.anchor():
    # fill to 16 via queue: queue 15 more at once, apply all -> all apply (16 max); then a 17th
    with boa.env.prank(owner):
        for i in range(2, 17):
            gov.add_signer(acct(i).address)
    boa.env.time_travel(seconds=DAY + 1)
    gov.apply_signer(acct(1).address)
    for i in range(2, 16):
        gov.apply_signer(acct(i).address)
    print("  signers:", len(oracle.signers()))
    expect("oracle: too many signers", lambda: gov.apply_signer(acct(16).address))
    with boa.env.prank(owner):
        expect("oracle: too many signers", lambda: gov.add_signer(acct(17).address))
with boa.env.anchor():
    # queue quorum 2 (2 signers), then remove one -> apply must fail
    boa.env.time_travel(seconds=DAY + 1)
    gov.apply_signer(acct(1).address)
    with boa.env.prank(owner):
        gov.set_quorum(2)
        gov.remove_signer(acct(1).address)
    boa.env.time_travel(seconds=DAY)
    expect("oracle: quorum out of range", lambda: gov.apply_quorum())
    # quorum 0
    with boa.env.prank(owner):
        expect("oracle: quorum out of range", lambda: gov.set_quorum(0))
with boa.env.anchor():
    # queue-then-remove-then-re-add: remove s0 can't (quorum 1, 1 signer)
    with boa.env.prank(owner):
        expect("oracle: quorum above signers", lambda: gov.remove_signer(s0.address))
        # duplicates: queue s0 (already signer)
        expect("oracle: signer exists", lambda: gov.add_signer(s0.address))
        expect("oracle: zero signer", lambda: gov.add_signer("0x" + "00" * 20))
    boa.env.time_travel(seconds=DAY + 1)
    gov.apply_signer(acct(1).address)
    expect("oracle: nothing queued", lambda: gov.apply_signer(acct(1).address))
    with boa.env.prank(owner):
        gov.remove_signer(acct(1).address)
        gov.add_signer(acct(1).address)
        assert not oracle.is_signer(acct(1).address)
    print("  held: re-add after removal is queued again")
with boa.env.anchor():
    boa.env.time_travel(seconds=DAY + 1 + 7 * DAY)
    expect("oracle: change lapsed", lambda: gov.apply_signer(acct(1).address))
    expect("oracle: change lapsed", lambda: gov.apply_feed_params(ETH))
print("A3/A4 held")
