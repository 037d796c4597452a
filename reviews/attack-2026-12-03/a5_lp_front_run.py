"""A5: LP front-running a pending oracle report. The pool prices shares at the current NAV
with no fee or delay; only a *held* spot breaker stops LP flows. A report inside the band
(spot step < spot_cap, or a smile step < vol_cap: the vol breaker has no held state) is
seen pending; the adversary LP redeems just before it and re-deposits just after, taking
his share of the loss from the LPs who stayed."""
from proto_real import *

proto, feed = deploy(pool_cash=1_000_000)
E = proto.expiry
pool, tok = proto.pool, proto.token
adv_lp = boa.env.generate_address("adv_lp")
tok.mint(adv_lp, 1_000_000 * 10**6)
with boa.env.prank(adv_lp):
    tok.approve(pool.address, 2**256 - 1)
    pool.deposit(1_000_000 * 10**6, adv_lp)  # half of the pool
traders = boa.env.generate_address("traders")
fund(proto, traders, 2_000_000)
for K in (2000, 2200):
    open_vault(proto, traders, [(K, True, 300)], 200_000)  # traders long 600 calls
print("NAV", pool.totalAssets() / 1e6, "free cash", pool.free_cash() / 1e6)

def run(label, make):
    with boa.env.anchor():
        nav0 = pool.totalAssets()
        shares = pool.balanceOf(adv_lp)
        honest0 = pool.convertToAssets(pool.balanceOf(proto.lp))
        with boa.env.prank(adv_lp):
            got = pool.redeem(shares, adv_lp, adv_lp)
        boa.env.time_travel(seconds=12)
        n, why = feed.submit(make())
        held = proto.oracle.breaker_held(ETH)
        with boa.env.prank(adv_lp):
            back = pool.deposit(got, adv_lp)
        gain = pool.convertToAssets(back) - pool.convertToAssets(shares)
        lost = honest0 - pool.convertToAssets(pool.balanceOf(proto.lp))
        print(f"{label}: accepted {n} {why} held={held}; NAV {nav0/1e6:,.0f} -> {pool.totalAssets()/1e6:,.0f}; "
              f"adversary LP +{gain/1e6:,.2f}, honest LP -{lost/1e6:,.2f}")
run("spot +0.5 % (one pusher step)", lambda: [feed.spot(2010 * WAD, 0)])
run("spot +15 % (inside the 20 % band)", lambda: [feed.spot(2300 * WAD, 0)])
run("smile +19 vol pts (inside vol_cap)", lambda: [feed.spot(2000 * WAD, 0), feed.surf(E, 2000 * WAD, 0.99 * WAD, 0)])
