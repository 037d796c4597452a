"""The keeper's index against the deployed contracts: every vault it holds is the clearing
house's stored vault, taken from ``VaultState`` (the keeper repeats no contract rounding)."""

from __future__ import annotations

from keeper_helpers import STRIKE, UNIT, WAD, seed_puts, split, stored_vault

from keeper import devnet
from keeper.index import Index
from keeper.service import load_deployment
from ringfence.rpc import Chain, Web3Rpc


def _index(net: devnet.Devnet, deployment) -> Index:
    d = load_deployment(deployment)
    return Index(Chain(Web3Rpc(net.w3)), d.clearing_house, d.registry, d.start_block)


def _indexed(idx: Index, pid: int):
    p = idx.book.positions.get(pid)
    if p is None:
        return None
    return (
        p.owner.lower(),
        p.collateral,
        tuple((g.series_id, g.size, g.entry_price) for g in p.legs),
    )


def test_index__partial_liquidations_and_collateral_changes__equal_the_stored_vaults(
    net, deployment
):
    ids = seed_puts(net, 40)
    trader, liquidator = net.roles["trader"], net.roles["liquidator"]
    clearing = net.clearing
    # a minimum-size vault (0.001 units) at its initial margin: any partial close would
    # leave a dust leg, so the crash liquidates it whole
    put = net.series_id(STRIKE, is_call=False)
    (dust,) = devnet.open_vaults(net, trader, [[(put, -(10**15))]], [5 * UNIT])
    equity, initial, _ = devnet.health_many(net, [dust])[dust]
    scale = clearing.functions.SCALE().call()
    devnet.transact(net, clearing, "remove_collateral", trader, dust, (equity - initial) // scale)
    ids.append(dust)
    added, removed, closed = ids[0], ids[-2], ids[-3]
    devnet.transact(net, clearing, "add_collateral", trader, added, 7 * UNIT + 3)
    devnet.transact(net, clearing, "remove_collateral", trader, removed, 11 * UNIT + 1)
    devnet.transact(net, clearing, "close_position", trader, closed, 10**30)
    crash_block = devnet.push_spot(net, 2_700 * WAD)
    unhealthy, _ = split(net, ids, crash_block)
    receipt = devnet.transact(net, clearing, "liquidate_many", liquidator, sorted(unhealthy))

    liquidations = {
        d.args["position_id"]: d.args["fraction"]
        for d in devnet.events(net, "PositionLiquidated", receipt["blockNumber"])
    }
    assert set(liquidations) == unhealthy
    partial = {pid for pid, fraction in liquidations.items() if fraction < WAD}
    whole = set(liquidations) - partial
    assert len(partial) >= 3 and whole  # the scenario holds both kinds

    idx = _index(net, deployment)
    idx.sync()

    for pid in ids:
        assert _indexed(idx, pid) == stored_vault(net, pid), pid
    for pid in partial:  # shrunk, still open
        (_, collateral, legs) = _indexed(idx, pid)
        assert 0 < -legs[0][1] < 10**17 and collateral > 0
    assert all(_indexed(idx, pid) is None for pid in whole | {closed})
    # an index that follows block by block ends up the same
    step = _index(net, deployment)
    for block in range(step.start_block, net.w3.eth.block_number + 1, 7):
        step.sync(block)
    step.sync()
    assert step.book == idx.book
