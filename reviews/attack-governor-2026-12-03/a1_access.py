"""A1: no oracle storage write bypasses the governor. Direct writer calls (anyone, the
governor's owner, the deployer), re-binding, binding to another governor's oracle, an
attacker governor aimed at the real oracle, and pre-bind calls."""
import boa
from ringfence.risk_table import deploy_real_oracle, oracle_governor_deployer, real_oracle_deployer, surface_checker_deployer, ETH

def expect(msg, fn):
    try:
        fn()
    except Exception as e:  # boa.BoaError
        s = str(e)
        assert msg in s, (msg, s[:400])
        print(f"  held: reverted '{msg}'")
        return
    raise AssertionError(f"BROKEN: did not revert ({msg})")

owner = boa.env.generate_address("owner")
attacker = boa.env.generate_address("attacker")
with boa.env.prank(owner):
    oracle, governor = deploy_real_oracle()
cfg = (True, 3600, 2000, 2 * 10**17, "X")
for who, name in ((attacker, "attacker"), (owner, "governor owner")):
    print(name, "calls oracle writers directly")
    with boa.env.prank(who):
        expect("oracle: governor only", lambda: oracle.set_signers([who], 1))
        expect("oracle: governor only", lambda: oracle.set_feed(ETH, cfg))
        expect("oracle: governor only", lambda: oracle.set_expiry(ETH, 2**39, True))
print("re-bind by owner")
with boa.env.prank(owner):
    expect("oracle: governor bound", lambda: governor.bind(oracle.address))
print("bind by attacker")
with boa.env.prank(attacker):
    expect("ownable: caller is not the owner", lambda: governor.bind(oracle.address))
print("attacker-deployed governor binds the real oracle")
with boa.env.prank(attacker):
    g2 = oracle_governor_deployer().deploy()
    expect("oracle: not its governor", lambda: g2.bind(oracle.address))
    expect("oracle: governor not bound", lambda: g2.add_signer(attacker))
print("fresh governor (unbound) binds another governor's oracle")
with boa.env.prank(owner):
    g3 = oracle_governor_deployer().deploy()
    expect("oracle: not its governor", lambda: g3.bind(oracle.address))
print("pre-bind window: oracle deployed, governor not bound yet; attacker front-runs bind")
with boa.env.prank(owner):
    g4 = oracle_governor_deployer().deploy()
    o4 = real_oracle_deployer().deploy(surface_checker_deployer().deploy().address, g4.address)
with boa.env.prank(attacker):
    expect("ownable: caller is not the owner", lambda: g4.bind(o4.address))
    # attacker deploys a fake oracle claiming GOVERNOR = g4 ... owner must still bind: not front-runnable
print("apply_* permissionless but only applies what owner queued")
with boa.env.prank(attacker):
    expect("oracle: nothing queued", lambda: governor.apply_signer(attacker))
    expect("oracle: nothing queued", lambda: governor.apply_quorum())
    expect("oracle: nothing queued", lambda: governor.apply_feed_params(ETH))
    for f in ("cancel_quorum",):
        expect("ownable: caller is not the owner", lambda: governor.cancel_quorum())
    expect("ownable: caller is not the owner", lambda: governor.cancel_signer(attacker))
    expect("ownable: caller is not the owner", lambda: governor.remove_signer(attacker))
    expect("ownable: caller is not the owner", lambda: governor.add_feed(ETH, 3600, 1, 10**15, ""))
    expect("ownable: caller is not the owner", lambda: governor.list_expiry(ETH, 2**33))
    expect("ownable: caller is not the owner", lambda: governor.delist_expiry(ETH, 2**33))
print("renounce_ownership not exported:", not hasattr(governor, "renounce_ownership"))
print("A1 held")
