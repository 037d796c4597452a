"""The keeper survives being killed and losing its node, and misses no vault either way."""

from __future__ import annotations

import signal
import time

from keeper_helpers import WAD, KeeperProcess, TcpProxy, liquidated, seed_puts, split

from keeper import devnet


def test_keeper__killed_and_restarted__resumes_from_checkpoint_and_misses_nothing(
    net, deployment, tmp_path
):
    first = seed_puts(net, 300)
    seeded_block = net.w3.eth.block_number
    workdir = tmp_path / "keeper"  # both runs share it, hence the checkpoint
    keeper = KeeperProcess(net.node.url, deployment, "TEST::4", workdir)
    keeper.wait_for(
        lambda: any(e["positions"] == len(first) for e in keeper.events("scan")),
        60,
        "the first book indexed",
    )
    assert keeper.stop(signal.SIGKILL) == -signal.SIGKILL  # a crash, not a clean stop
    checkpoints = list((workdir / ".keeper").glob("*.json"))
    assert len(checkpoints) == 1

    # while it is down: more vaults open and the market crashes
    second = seed_puts(net, 200, low=54.0, high=70.0)
    crash_block = devnet.push_spot(net, 2_700 * WAD)
    unhealthy, healthy = split(net, first + second, crash_block)
    assert unhealthy & set(second) and unhealthy & set(first)

    restarted = KeeperProcess(net.node.url, deployment, "TEST::4", workdir)
    try:
        restarted.wait_for(lambda: bool(restarted.events("started")), 60, "start-up")
        (started,) = restarted.events("started")
        assert started["index_block"] >= seeded_block  # resumed, not rescanned from 0
        restarted.wait_for(
            lambda: {p for p, _ in liquidated(net, crash_block)} >= unhealthy,
            60,
            "every unhealthy vault liquidated after the restart",
        )
        assert {p for p, _ in liquidated(net, crash_block)} == unhealthy
        assert any(e["positions"] == 500 for e in restarted.events("scan"))
    finally:
        assert restarted.stop() == 0


def test_keeper__rpc_gone_for_10_s__recovers_on_its_own_and_liquidates(net, deployment, tmp_path):
    ids = seed_puts(net, 300)
    proxy = TcpProxy(net.node.port)
    proxy.start()
    keeper = KeeperProcess(
        f"http://127.0.0.1:{proxy.port}", deployment, "TEST::4", tmp_path / "keeper",
        "--rpc-timeout", "2",
    )  # fmt: skip
    try:
        keeper.wait_scanning()
        proxy.stop()
        outage = time.monotonic()
        crash_block = devnet.push_spot(net, 2_700 * WAD)  # straight to the node
        unhealthy, _ = split(net, ids, crash_block)
        assert unhealthy
        while time.monotonic() - outage < 10:
            assert keeper.proc.poll() is None, keeper.tail()
            time.sleep(0.5)
        assert keeper.events("scan_failed"), f"the keeper never noticed the outage: {keeper.tail()}"
        assert not liquidated(net, crash_block)
        proxy.start()
        keeper.wait_for(
            lambda: {p for p, _ in liquidated(net, crash_block)} >= unhealthy,
            60,
            "liquidations after the node came back",
        )
        assert {p for p, _ in liquidated(net, crash_block)} == unhealthy
        # logged when the scan that sent them returns
        keeper.wait_for(lambda: bool(keeper.events("recovered")), 20, "the recovered line")
    finally:
        assert keeper.stop() == 0
        proxy.stop()


def test_keeper__node_replaced_by_an_empty_chain__one_line_and_exit_2(net, deployment, tmp_path):
    keeper = KeeperProcess(
        net.node.url, deployment, None, tmp_path / "keeper", "--rpc-timeout", "2"
    )
    fresh = None
    try:
        keeper.wait_scanning()
        indexed = keeper.events("scan")[-1]["block"]
        assert indexed > 1
        net.node.stop()
        fresh = devnet.start_anvil(port=net.node.port)  # same port, same chain id, no contracts
        keeper.proc.wait(timeout=60)
        assert keeper.proc.returncode == 2, keeper.tail()
        last = keeper.log_path.read_text().strip().splitlines()[-1]
        assert last.startswith("keeper: error: the node is no longer the chain this keeper indexed")
        assert f"head 0 is below the indexed block {indexed}" in last or "genesis" in last, last
        scans = keeper.events("scan")
        assert all(scan["block"] >= indexed for scan in scans)  # never a scan of the new chain
    finally:
        keeper.stop()
        if fresh is not None:
            fresh.stop()
