"""The keeper executes the pool's LP requests at maturity (docs/solvency.md §2a): a request
nobody executes is a free option on the timing for its owner, so the keeper takes it away."""

from __future__ import annotations

import time

from keeper_helpers import STRIKE, UNIT, KeeperProcess

from keeper import devnet


def test_keeper__lp_redemption_request__executed_once_mature_and_the_oracle_fresh(
    net, deployment, tmp_path
):
    trader, lp = net.roles["trader"], net.roles["lp"]
    pool = net.contracts["LiquidityPool"]
    put = net.series_id(STRIKE, is_call=False, expiry_index=2)
    devnet.open_vaults(net, trader, [[(put, -(10**17))]], [800 * UNIT])  # the book is open
    shares = pool.functions.balanceOf(lp).call() // 10
    devnet.transact(net, pool, "request_redeem", lp, shares, lp)
    request = pool.functions.requests(0).call()
    assert request[5] > 0  # pending: mature, LP_DELAY from now
    cash0 = net.contracts["MockToken"].functions.balanceOf(lp).call()
    keeper = KeeperProcess(net.node.url, deployment, "TEST::4", tmp_path / "keeper")
    try:
        keeper.wait_scanning()
        time.sleep(1.5)  # several scans before maturity: nothing is sent
        assert not keeper.events("submitted")
        spot = net.oracle.functions.price(net.underlying).call()
        devnet.warp(net, pool.functions.LP_DELAY().call())
        devnet.push_spot(net, spot)  # the warp made the oracle stale; the execution waits for it
        keeper.wait_for(
            lambda: pool.functions.requests(0).call()[5] == 0, 60, "the request executed"
        )
        (executed,) = devnet.events(net, "LpExecuted", 0)
        assert executed.args["id"] == 0 and executed.args["returned"] == 0
        paid = executed.args["paid"]
        assert net.contracts["MockToken"].functions.balanceOf(lp).call() == cash0 + paid > cash0
        keeper.wait_for(
            lambda: any(e.get("action") == "execute" for e in keeper.events("mined")),
            20,
            "the keeper's receipt followed",
        )
        sent = [e for e in keeper.events("submitted") if e.get("action") == "execute"]
        assert [e["request_ids"] for e in sent] == [[0]]  # once, never twice
    finally:
        assert keeper.stop() == 0
