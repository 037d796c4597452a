"""keeper.index: book from recorded logs, range shrinking, checkpoints, removed logs, reorgs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from keeper_fakes import FakeNode, generate, load_fixture

from keeper import index as index_module
from keeper.index import Index, Leg, RiskParams
from keeper.rpc import Chain, RpcError

WAD = 10**18
USDC = 10**6
ETH = "0x" + b"ETH".ljust(32, b"\0").hex()
FIXTURE = load_fixture()


def make_node(**kwargs) -> FakeNode:
    return FakeNode(head=FIXTURE["head"], logs=list(FIXTURE["logs"]), **kwargs)


def make_index(node: FakeNode, **kwargs) -> Index:
    return Index(
        Chain(node), FIXTURE["clearing_house"], FIXTURE["start_block"], FIXTURE["scale"], **kwargs
    )


def get_logs_ranges(node: FakeNode) -> list[tuple[int, int]]:
    return [
        (int(p[0]["fromBlock"], 16), int(p[0]["toBlock"], 16))
        for m, p in node.calls
        if m == "eth_getLogs"
    ]


# ------------------------------------------------------------------ recorded logs


def test_fixture__stored_logs__match_the_generator_and_the_event_abi():
    """The recorded logs are exactly what eth_abi encodes from the interface's events."""
    assert (generate.OUT.read_text()) == generate.render()


def test_sync__recorded_logs__rebuilds_the_open_book():
    node = make_node()
    idx = make_index(node)

    assert idx.sync() == 160

    book = idx.book
    assert sorted(book.positions) == [3, 4]
    assert sorted(book.series) == [1, 2, 3, 4]
    assert book.series[4].expiry == generate.SHORT_EXPIRY and not book.series[4].is_call
    assert book.risk[ETH] == RiskParams(**generate.PARAMS)
    # 40 % of #3 liquidated: |size| shrinks by ceil(1.5 x 0.4) = 0.6 units;
    # collateral 500 USDC - loss ceil((50e18 + 1) / 1e12) - reward 3 - fee 3
    p3 = book.positions[3]
    assert p3.legs == (Leg(series_id=2, size=-9 * 10**17, entry_price=180 * WAD),)
    assert p3.collateral == 500 * USDC - (50 * USDC + 1) - 3 * USDC - 3 * USDC
    p4 = book.positions[4]
    assert p4.collateral == 800 * USDC
    assert [leg.size for leg in p4.legs] == [-WAD // 2, -WAD // 2]
    assert p4.owner == generate.TRADER and p4.underlying == ETH
    assert idx.logs_applied == 22  # 15 book events + 7 LegOpened; Deposited is filtered out


def test_sync__partial_liquidation_with_gain__adds_gain_rounded_down():
    node = make_node()
    idx = make_index(node)
    idx.sync(119)
    extra = generate.encode_history(
        [
            (
                119 + 1,
                "PositionLiquidated",
                {
                    "position_id": 3,
                    "owner": generate.TRADER,
                    "liquidator": generate.KEEPER,
                    "fraction": 10**17,
                    "pnl": 7 * WAD + 999_999_999_999,
                    "reward": USDC,
                    "insurance_fee": USDC,
                    "returned": 0,
                    "shortfall": 0,
                },
            )
        ]
    )
    node.logs = [lg for lg in node.logs if int(lg["blockNumber"], 16) != 120] + extra

    idx.sync(120)

    p3 = idx.book.positions[3]
    # ceil(1.5 x 0.1) = 0.15 units closed; gain 7.000000999999 USDC rounds down to 7.000000
    assert p3.legs[0].size == -(15 * 10**17 - 15 * 10**16)
    assert p3.collateral == 500 * USDC + 7 * USDC - 2 * USDC


# ----------------------------------------------------------------- range limits


def test_sync__node_refuses_wide_ranges__halves_until_accepted_and_builds_same_book():
    reference = make_index(make_node())
    reference.sync()
    node = make_node(max_range=7)
    idx = make_index(node, initial_chunk=64, max_chunk=64)

    idx.sync()

    assert idx.book == reference.book
    assert idx.range_refusals > 0
    accepted = [r for r in get_logs_ranges(node)]
    # every range the node answered fits its limit, and the ranges tile 100..160
    answered = []
    for start, end in accepted:
        if end - start + 1 <= 7:
            answered.append((start, end))
    assert answered[0][0] == 100 and answered[-1][1] == 160
    assert all(b[0] == a[1] + 1 for a, b in zip(answered, answered[1:], strict=False))


def test_sync__too_many_results__shrinks_range():
    node = make_node(max_results=6)  # block 140 holds 6 book logs
    idx = make_index(node, initial_chunk=64, max_chunk=64)

    idx.sync()

    assert sorted(idx.book.positions) == [3, 4]
    assert idx.range_refusals > 0
    assert idx.chunk < 64


def test_sync__successes_after_refusals__range_grows_back():
    node = make_node(max_range=4)
    node.logs = []
    node.head = 1_000
    idx = make_index(node, initial_chunk=64, max_chunk=64, grow_after=2)
    idx.sync(200)
    assert idx.chunk <= 8  # oscillates between 4 (refused above) and one doubling

    node.max_range = None
    idx.sync(1_000)

    assert idx.chunk == 64
    widths = [end - start + 1 for start, end in get_logs_ranges(node)]
    assert max(widths) == 64


def test_sync__refused_at_one_block__raises():
    node = make_node(max_results=0)
    idx = make_index(node, initial_chunk=8)

    with pytest.raises(RpcError, match="more than 0 results"):
        idx.sync()


def test_sync__refused_at_min_chunk__raises_instead_of_looping():
    node = make_node(max_range=3)
    idx = make_index(node, initial_chunk=8, min_chunk=4)

    with pytest.raises(RpcError, match="block range too large"):
        idx.sync()
    assert idx.chunk == 4


def test_sync__timeout__counts_as_refusal():
    node = make_node()
    calls = {"n": 0}
    original = node._get_logs

    def flaky(flt):
        calls["n"] += 1
        if calls["n"] == 1:
            raise TimeoutError("read timed out")
        return original(flt)

    node._get_logs = flaky
    idx = make_index(node, initial_chunk=64)

    idx.sync()

    assert idx.range_refusals == 1
    assert sorted(idx.book.positions) == [3, 4]


def test_sync__other_rpc_error__propagates_without_shrinking():
    node = make_node()

    def broken(flt):
        raise RpcError(-32000, "execution aborted: internal error")

    node._get_logs = broken
    idx = make_index(node, initial_chunk=64)

    with pytest.raises(RpcError, match="internal error"):
        idx.sync()
    assert idx.chunk == 64 and idx.range_refusals == 0


# ------------------------------------------------------------------- checkpoints


def test_checkpoint__restart__resumes_from_saved_block_without_rescan(tmp_path):
    path = tmp_path / "ck" / "index.json"
    node = make_node()
    first = make_index(node, checkpoint=path)
    first.sync(125)
    saved = json.loads(path.read_text())
    assert saved["block"] == 125 and saved["hash"] == node.hash_of(125)
    assert {p["position_id"] for p in saved["positions"]} == {1, 2, 3}

    node.calls.clear()
    second = make_index(node, checkpoint=path)
    assert second.block == 125 and second.book == first.book
    second.sync()

    assert min(start for start, _ in get_logs_ranges(node)) == 126
    reference = make_index(make_node())
    reference.sync()
    assert second.book == reference.book


def test_checkpoint__crash_while_writing__keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "index.json"
    node = make_node()
    idx = make_index(node, checkpoint=path)
    idx.sync(110)
    before = path.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(index_module.json, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        idx.sync(160)

    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_checkpoint__written_for_another_contract__refused(tmp_path):
    path = tmp_path / "index.json"
    idx = make_index(make_node(), checkpoint=path)
    idx.sync(110)

    with pytest.raises(ValueError, match="another clearing house"):
        Index(Chain(make_node()), "0x" + "ab" * 20, 100, FIXTURE["scale"], checkpoint=path)


# ------------------------------------------------------------------ removed logs


def test_removed_log__undoes_its_block_and_refetches():
    node = make_node()
    node.head = 135
    idx = make_index(node)
    idx.sync()
    assert 2 not in idx.book.positions  # closed at block 130
    closed = next(lg for lg in node.logs if int(lg["blockNumber"], 16) == 130)
    node.logs.remove(closed)
    node.extra_removed = [dict(closed, removed=True)]
    node.head = 136

    idx.sync()

    assert idx.removed_logs == 1
    assert idx.block == 136
    p2 = idx.book.positions[2]
    assert [leg.series_id for leg in p2.legs] == [1, 3] and p2.collateral == 300 * USDC


# ------------------------------------------------------------------------ reorgs


def _fork_history() -> list[tuple[int, str, dict]]:
    """Blocks 140+ on the other fork: #4 opens with more collateral at 141, no #5, #1 lives."""
    return generate.opened(
        141,
        {
            "position_id": 4,
            "owner": generate.TRADER,
            "underlying": generate.ETH,
            "collateral": 900 * USDC,
            "cost": 900_000,
            "legs": [generate.leg(1, -WAD // 2, 260 * WAD), generate.leg(2, -WAD // 2, 170 * WAD)],
        },
    )


def test_reorg__head_hash_changed__rewinds_to_common_block_and_reapplies():
    node = make_node()
    idx = make_index(node)
    idx.sync()
    assert sorted(idx.book.positions) == [3, 4]

    node.reorg(138, fork=1, new_logs=generate.encode_history(_fork_history(), fork=1))
    node.calls.clear()
    idx.sync()

    assert idx.reorgs == 1 and idx.deep_reorgs == 0
    assert sorted(idx.book.positions) == [1, 3, 4]
    assert idx.book.positions[1].collateral == 700 * USDC
    assert idx.book.positions[4].collateral == 900 * USDC
    assert [leg.series_id for leg in idx.book.positions[4].legs] == [1, 2]
    assert 5 not in idx.book.positions
    # rewound to block 130 (newest remembered block still canonical), not rescanned
    assert min(start for start, _ in get_logs_ranges(node)) == 131


def test_reorg__after_restart__detected_from_checkpointed_hash(tmp_path):
    path = tmp_path / "index.json"
    node = make_node()
    make_index(node, checkpoint=path).sync()

    node.reorg(138, fork=1, new_logs=generate.encode_history(_fork_history(), fork=1))
    restarted = make_index(node, checkpoint=path)
    restarted.sync()

    reference = make_index(node)
    reference.sync()
    assert restarted.reorgs == 1
    assert restarted.book == reference.book


def test_reorg__deeper_than_window__rewinds_whole_window_and_counts_it():
    node = make_node()
    idx = make_index(node, reorg_window=8)
    idx.sync()

    node.reorg(100, fork=2, new_logs=generate.encode_history(_fork_history(), fork=2))
    node.calls.clear()
    idx.sync()

    assert idx.deep_reorgs == 1
    assert min(start for start, _ in get_logs_ranges(node)) == 160 - 8 + 1


def test_checkpoint__from_another_chain_same_address__rebuilds_from_start(tmp_path):
    """A restarted devnet reuses addresses: the deployment block's hash tells them apart."""
    path = tmp_path / "index.json"
    node = make_node()
    make_index(node, checkpoint=path).sync()
    assert json.loads(path.read_text())["anchor"] == node.hash_of(FIXTURE["start_block"])

    fresh = make_node()
    fresh.reorg(
        FIXTURE["start_block"], fork=3, new_logs=generate.encode_history(_fork_history(), fork=3)
    )
    restarted = make_index(fresh, checkpoint=path)
    restarted.sync()

    reference = make_index(fresh)
    reference.sync()
    assert restarted.chain_resets == 1 and restarted.deep_reorgs == 0
    assert min(start for start, _ in get_logs_ranges(fresh)) == FIXTURE["start_block"]
    assert restarted.book == reference.book


def test_checkpoint__same_chain__anchor_matches_and_no_reset(tmp_path):
    path = tmp_path / "index.json"
    node = make_node()
    make_index(node, checkpoint=path).sync(125)
    restarted = make_index(node, checkpoint=path)
    restarted.sync()
    assert restarted.chain_resets == 0


def test_rewind__undo_journal__restores_exact_previous_entries():
    node = make_node()
    idx = make_index(node)
    idx.sync(115)
    at_115 = replace(idx.book, positions=dict(idx.book.positions))
    idx.sync(160)

    idx.rewind(115)

    assert idx.book.positions == at_115.positions
    assert idx.block == 115
