"""Expired vaults are settled by the keeper once the settlement price is fixed."""

from __future__ import annotations

import time

from keeper_helpers import STRIKE, UNIT, WAD, KeeperProcess

from keeper import devnet

DAY = 86_400


def test_keeper__expired_vaults__settled_after_settlement_price_lands(net, deployment, tmp_path):
    trader = net.roles["trader"]
    near_put = net.series_id(STRIKE, is_call=False, expiry_index=0)
    near_call = net.series_id(STRIKE, is_call=True, expiry_index=0)
    far_put = net.series_id(STRIKE, is_call=False, expiry_index=2)
    expiring = devnet.open_vaults(
        net, trader,
        [[(near_put, -(10**17))], [(near_call, 10**17)], [(near_put, 10**17), (near_call, 10**17)]]
        * 20,
        [500 * UNIT] * 60,
    )  # fmt: skip
    living = devnet.open_vaults(net, trader, [[(far_put, -(10**17))]] * 20, [800 * UNIT] * 20)
    keeper = KeeperProcess(net.node.url, deployment, "TEST::4", tmp_path / "keeper")
    try:
        keeper.wait_scanning()
        expiry = net.record["expiries"]["ETH"][0]
        now = net.w3.eth.get_block("latest")["timestamp"]
        devnet.warp(net, expiry - now + DAY)  # past expiry; every oracle read is stale now
        time.sleep(2)
        start = net.w3.eth.block_number
        assert not devnet.events(net, "PositionSettled", start - 1)

        price_block = devnet.push_spot(net, 3_100 * WAD)  # first spot after expiry: fixes it
        assert net.oracle.functions.settlement_price(net.underlying, expiry).call() == 3_100 * WAD
        keeper.wait_for(
            lambda: len(devnet.events(net, "PositionSettled", price_block)) >= len(expiring),
            60,
            "every expired vault settled",
        )
        settled = devnet.events(net, "PositionSettled", 0)
        assert {d.args["position_id"] for d in settled} == set(expiring)
        assert min(d.block_number for d in settled) > price_block
        assert len(settled) == len(expiring)
        health = devnet.health_many(net, living)
        assert all(mm > 0 for _eq, _im, mm in health.values())  # the live ones are untouched
        keeper.wait_for(
            lambda: sum(len(e["position_ids"]) for e in keeper.events("mined")) == len(expiring),
            20,
            "the keeper's own receipts followed",
        )
        assert not keeper.events("reverted")
    finally:
        assert keeper.stop() == 0
