"""A crash on a large book: the keeper liquidates exactly the unhealthy vaults, fast, and
its index then holds what the clearing house stores for each of them."""

from __future__ import annotations

import json

from keeper_helpers import (
    WAD,
    KeeperProcess,
    checkpointed_vault,
    interval_mining,
    liquidated,
    seed_puts,
    split,
    stored_vault,
)

from keeper import devnet

BOOK = 2_000


def test_keeper__crash_on_2000_vaults__every_unhealthy_liquidated_within_3_blocks(
    net, deployment, tmp_path
):
    ids = seed_puts(net, BOOK)
    assert len(ids) == BOOK
    interval_mining(net)
    keeper = KeeperProcess(net.node.url, deployment, "TEST::4", tmp_path / "keeper")
    try:
        keeper.wait_scanning()
        keeper.wait_for(
            lambda: any(e["positions"] == BOOK + 0 for e in keeper.events("scan")),
            60,
            "the whole book indexed",
        )
        assert not keeper.events("submitted")  # nothing unhealthy before the crash

        crash_block = devnet.push_spot(net, 2_700 * WAD)
        unhealthy, healthy = split(net, ids, crash_block)
        assert 0.1 * BOOK < len(unhealthy) < 0.9 * BOOK  # the crash splits the book

        keeper.wait_for(
            lambda: {p for p, _ in liquidated(net, crash_block)} >= unhealthy,
            90,
            "every unhealthy vault liquidated",
        )
        events = liquidated(net, crash_block)
        touched = {pid for pid, _ in events}
        assert touched == unhealthy  # none healthy touched
        assert not touched & healthy
        assert max(block for _, block in events) <= crash_block + 3
        assert len(events) == len(touched)  # no vault liquidated twice
        still, _ = split(net, ids, "latest")
        assert not still
        # the keeper logs its receipts on the scan after they are mined
        keeper.wait_for(
            lambda: sum(len(e["position_ids"]) for e in keeper.events("mined")) == len(unhealthy),
            20,
            "the keeper's own receipts followed",
        )
        assert not keeper.events("reverted")

        # the checkpoint written after the liquidations were indexed: each liquidated vault
        # (partly: shrunk; wholly: gone) is the contract's own state, from VaultState
        (path,) = (tmp_path / "keeper" / ".keeper").glob("*.json")
        last = max(block for _, block in events)
        keeper.wait_for(
            lambda: json.loads(path.read_text())["block"] >= last, 20, "the index past them"
        )
        doc = json.loads(path.read_text())
        for pid in sorted(touched):
            assert checkpointed_vault(doc, pid) == stored_vault(net, pid), pid
        assert any(checkpointed_vault(doc, pid) for pid in touched)  # some were partial
    finally:
        assert keeper.stop() == 0
