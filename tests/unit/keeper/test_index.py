"""keeper.index: book from recorded logs of the clearing house and the registry, VaultState
applied as the contract reports it, range shrinking, checkpoints, removed logs, reorgs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from keeper_fakes import FakeNode, generate, load_fixture

from keeper import index as index_module
from keeper.index import CHECKPOINT_VERSION, Index, Leg, RiskParams
from ringfence.rpc import Chain, RpcError

WAD = 10**18
USDC = 10**6
ETH = "0x" + b"ETH".ljust(32, b"\0").hex()
FIXTURE = load_fixture()


def make_node(**kwargs) -> FakeNode:
    return FakeNode(head=FIXTURE["head"], logs=list(FIXTURE["logs"]), **kwargs)


def make_index(node: FakeNode, **kwargs) -> Index:
    return Index(
        Chain(node), FIXTURE["clearing_house"], FIXTURE["registry"], FIXTURE["start_block"],
        **kwargs,
    )  # fmt: skip


def log_at(node: FakeNode, block: int, event: str) -> dict:
    """The stored log of ``event`` in ``block`` (the first one)."""
    topic = generate.abi.event(event).topic0
    return next(
        lg for lg in node.logs if int(lg["blockNumber"], 16) == block and lg["topics"][0] == topic
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
    assert sorted(book.series) == [1, 2, 3, 4]  # series 9 of another registry is not ours
    assert book.series[4].expiry == generate.SHORT_EXPIRY and not book.series[4].is_call
    assert book.series[3].oi_cap == 500 * WAD  # SeriesCapSet at block 135
    assert book.risk[ETH] == RiskParams(**generate.PARAMS)
    # #3 after the 40 % liquidation and the removal: VaultState's figures, as logged
    p3 = book.positions[3]
    assert p3.legs == (Leg(series_id=2, size=-9 * 10**17, entry_price=180 * WAD),)
    assert p3.collateral == 393_999_999
    p4 = book.positions[4]
    assert p4.collateral == 800 * USDC
    assert [leg.size for leg in p4.legs] == [-WAD // 2, -WAD // 2]
    assert p4.owner == generate.TRADER and p4.underlying == ETH
    # 6 registry events + 23 clearing-house ones (5 PositionOpened, 7 LegOpened, 11
    # VaultState); the rest (Deposited, PositionClosed/Liquidated/Settled, GuardianSet,
    # MaxUtilisationSet, PausedSet) is filtered out by topic, the foreign log by address
    assert idx.logs_applied == 29


def test_sync__one_getlogs_per_range__asks_for_both_contracts():
    node = make_node()
    idx = make_index(node, initial_chunk=64, max_chunk=64)

    idx.sync()

    filters = [p[0] for m, p in node.calls if m == "eth_getLogs"]
    assert len(filters) == 1  # blocks 100..160 fit one range
    assert filters[0]["address"] == [FIXTURE["clearing_house"], FIXTURE["registry"]]
    (topics,) = filters[0]["topics"]
    names = ("SeriesListed", "SeriesCapSet", "RiskParamsSet", "PositionOpened", "LegOpened",
             "VaultState")  # fmt: skip
    assert sorted(topics) == sorted(generate.abi.event(n).topic0 for n in names)


def test_sync__vault_state__collateral_and_sizes_taken_as_logged():
    """The index applies VaultState whatever the action event says: no keeper arithmetic
    (a liquidation's pnl, reward and fee here cannot produce the logged collateral)."""
    node = make_node()
    idx = make_index(node)
    idx.sync(119)
    node.logs = [lg for lg in node.logs if int(lg["blockNumber"], 16) < 120]
    node.logs += generate.encode_history(
        [
            (120, "PositionLiquidated", {
                "position_id": 3, "owner": generate.TRADER, "liquidator": generate.KEEPER,
                "fraction": 10**17, "pnl": 7 * WAD + 999_999_999_999, "reward": USDC,
                "insurance_fee": USDC, "returned": 0, "shortfall": 0,
            }),
            generate.state(120, 3, 123_456_789, [-1_234_567_890_123_456_789]),
        ]
    )  # fmt: skip

    idx.sync(120)

    p3 = idx.book.positions[3]
    assert p3.collateral == 123_456_789
    assert p3.legs == (Leg(series_id=2, size=-1_234_567_890_123_456_789, entry_price=180 * WAD),)


def test_sync__vault_state_all_zero__removes_the_vault_without_its_action_event():
    node = make_node()
    idx = make_index(node)
    idx.sync(129)
    assert 2 in idx.book.positions
    node.logs.remove(log_at(node, 130, "PositionClosed"))

    idx.sync(130)

    assert 2 not in idx.book.positions


def test_sync__registry_event_logged_by_the_clearing_house__ignored():
    """An event is taken only from the contract that declares it: a SeriesListed topic at
    the clearing house's address is not the registry's listing."""
    node = make_node()
    forged = generate.encode_history(
        [(104, "SeriesListed", {"series_id": 7, "underlying": generate.ETH, "strike": WAD,
                                "expiry": generate.EXPIRY, "is_call": True, "oi_cap": WAD},
          generate.CLEARING_HOUSE)]
    )  # fmt: skip
    node.logs += forged
    idx = make_index(node)

    idx.sync()

    assert sorted(idx.book.series) == [1, 2, 3, 4]
    assert idx.logs_applied == 29


def test_index__same_address_for_both_contracts__refused():
    with pytest.raises(ValueError, match="two addresses"):
        Index(Chain(make_node()), FIXTURE["clearing_house"], FIXTURE["clearing_house"], 100)


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
    node = make_node(max_results=8)  # block 140 holds 8 book logs
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
    assert saved["version"] == CHECKPOINT_VERSION == 3
    assert (saved["clearing_house"], saved["registry"]) == (
        FIXTURE["clearing_house"], FIXTURE["registry"]
    )  # fmt: skip
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


@pytest.mark.parametrize("other", ["clearing_house", "registry"])
def test_checkpoint__written_for_another_contract__refused(tmp_path, other):
    path = tmp_path / "index.json"
    idx = make_index(make_node(), checkpoint=path)
    idx.sync(110)
    addresses = {"clearing_house": FIXTURE["clearing_house"], "registry": FIXTURE["registry"]}
    addresses[other] = "0x" + "ab" * 20

    with pytest.raises(ValueError, match="another clearing house or registry"):
        Index(Chain(make_node()), addresses["clearing_house"], addresses["registry"], 100,
              checkpoint=path)  # fmt: skip


def test_checkpoint__version_1__refused_with_what_to_do(tmp_path):
    """Version 1 held collateral the keeper had recomputed from one contract's logs."""
    path = tmp_path / "index.json"
    path.write_text(json.dumps({"version": 1, "address": FIXTURE["clearing_house"]}))

    with pytest.raises(ValueError, match="version 1, this keeper reads 3: delete it") as info:
        make_index(make_node(), checkpoint=path)
    assert "\n" not in str(info.value)


def test_checkpoint__version_2__net_greek_risk_parameters__refused(tmp_path):
    """Version 2 holds the risk parameters of the net-Greek margin (``vol_shock``): they
    cannot price the scenario margin, so the book is re-indexed rather than misread."""
    path = tmp_path / "ck" / "index.json"
    first = make_index(make_node(), checkpoint=path)
    first.sync(125)
    doc = json.loads(path.read_text())
    doc["version"] = 2
    doc["risk"] = {u: {"spot_shock": r["spot_shock"], "vol_shock": 10**17}
                   for u, r in doc["risk"].items()}  # fmt: skip
    path.write_text(json.dumps(doc))

    with pytest.raises(ValueError, match="version 2, this keeper reads 3: delete it"):
        make_index(make_node(), checkpoint=path)


# ------------------------------------------------------------------ removed logs


def test_removed_log__undoes_its_block_and_refetches():
    node = make_node()
    node.head = 135
    idx = make_index(node)
    idx.sync()
    assert 2 not in idx.book.positions  # closed at block 130
    closing = [lg for lg in node.logs if int(lg["blockNumber"], 16) == 130]
    for lg in closing:
        node.logs.remove(lg)
    node.extra_removed = [dict(lg, removed=True) for lg in closing]
    node.head = 136

    idx.sync()

    assert idx.removed_logs == 2  # PositionClosed and its VaultState
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
    # rewound to block 135 (newest remembered block still canonical), not rescanned
    assert min(start for start, _ in get_logs_ranges(node)) == 136


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
