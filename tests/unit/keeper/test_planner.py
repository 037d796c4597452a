"""keeper.planner: ranking, sharding, on-chain confirmation and gas-sized batches."""

from __future__ import annotations

import numpy as np
import pytest
from keeper_fakes import VIEW, FakeClearingHouse, FakeNode

from keeper.health import Health
from keeper.planner import (
    MAX_BATCH,
    GasModel,
    Planner,
    batch_size,
    chunked,
    health_many,
    in_shard,
    rank,
)
from ringfence.rpc import Chain

WAD = 10**18
CH = "0x" + "c1ea" * 10
KEEPER = "0x" + "4ee9" * 10


def health(rows: list[tuple[int, float, float, bool, bool]]) -> Health:
    """rows: (id, equity, maintenance, priced, settleable)."""
    ids, eq, mm, priced, settle = zip(*rows, strict=True)
    return Health(
        ids=np.array(ids, dtype=np.int64),
        equity=np.array(eq, dtype=np.float64),
        maintenance=np.array(mm, dtype=np.float64),
        initial=np.array(mm, dtype=np.float64) * 1.25,
        priced=np.array(priced),
        settleable=np.array(settle),
    )


# ------------------------------------------------------------------------ sizing


def test_batch_size__block_limit_with_headroom__largest_batch_that_fits():
    # floor(30M x 0.75 - 60k) / 450k = floor(49.87) = 49
    assert batch_size(30_000_000, 450_000, 60_000, 0.25) == 49
    assert 60_000 + 49 * 450_000 <= 30_000_000 * 0.75 < 60_000 + 50 * 450_000


def test_batch_size__huge_limit__capped_at_contract_max_batch():
    assert batch_size(10**12, 1_000) == MAX_BATCH


def test_batch_size__limit_below_one_item__still_one():
    assert batch_size(100_000, 450_000, 60_000, 0.25) == 1


def test_batch_size__zero_gas_per_item__rejected():
    with pytest.raises(ValueError, match="per_item_gas"):
        batch_size(30_000_000, 0)


def test_gas_model__call_gas_cap__sizes_health_batches():
    gas = GasModel(health_per_vault=150_000, call_gas_limit=1_000_000)
    # 90 % of the 1M cap / 150k = 6
    assert gas.health_batch() == 6


# ----------------------------------------------------------------------- ranking


def test_rank__mixed_book__worst_ratio_first_skipping_healthy_unpriced_and_settleable():
    h = health(
        [
            (1, 90.0, 100.0, True, False),  # 0.9
            (2, 200.0, 100.0, True, False),  # 2.0: healthy
            (3, -5.0, 100.0, True, False),  # -0.05: worst
            (4, 10.0, 100.0, False, False),  # unpriced (stale oracle)
            (5, 50.0, 100.0, True, True),  # settleable: goes to settlement
            (6, 103.0, 100.0, True, False),  # 1.03: inside the pre-screen margin
            (7, -1.0, 0.0, True, False),  # negative equity, no margin: -inf
        ]
    )

    assert rank(h, prescreen_ratio=1.05) == [7, 3, 1, 6]
    assert rank(h, prescreen_ratio=1.0) == [7, 3, 1]


def test_rank__equal_ratios__ties_broken_by_id():
    h = health([(9, 50.0, 100.0, True, False), (4, 5.0, 10.0, True, False)])
    assert rank(h, 1.0) == [4, 9]


# ---------------------------------------------------------------------- sharding


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_shards__every_id__owned_by_exactly_one_instance(shards):
    ids = range(1, 200)
    owners = [[k for k in range(shards) if in_shard(i, k, shards)] for i in ids]
    assert all(len(o) == 1 for o in owners)
    assert all(o[0] == i % shards for i, o in zip(ids, owners, strict=True))


def test_planner__two_shards__split_candidates_and_settlements_by_id_parity():
    h = health([(i, 10.0, 100.0, True, i > 6) for i in range(1, 11)])
    even = Planner(shard=0, shards=2).plan(h, None, VIEW)
    odd = Planner(shard=1, shards=2).plan(h, None, VIEW)

    assert even.candidates == [2, 4, 6] and odd.candidates == [1, 3, 5]
    assert even.settle == [[8, 10]] and odd.settle == [[7, 9]]


def test_planner__bad_shard__rejected():
    with pytest.raises(ValueError, match="shard"):
        Planner(shard=2, shards=2)


# ------------------------------------------------------------------ confirmation


@pytest.fixture
def clearing():
    node = FakeNode(head=100)
    return FakeClearingHouse(node, CH, KEEPER)


def test_health_many__batches_by_size__one_call_per_batch(clearing):
    clearing.health = {i: (i * WAD, 2 * WAD, 3 * WAD) for i in range(1, 14)}
    chain = Chain(clearing.node)

    out = health_many(chain, VIEW, list(range(1, 14)), batch=5)

    assert clearing.node.count("eth_call") == 3
    assert {p[0]["to"] for m, p in clearing.node.calls if m == "eth_call"} == {VIEW}
    assert out[2].equity == 2 * WAD and out[2].liquidatable
    assert not out[3].liquidatable


def test_health_many__a_read_that_reverted__neither_open_nor_liquidatable(clearing):
    clearing.health = {1: (False, 0, 0, 0), 2: (-WAD, 2 * WAD, 3 * WAD)}

    out = health_many(Chain(clearing.node), VIEW, [1, 2], batch=5)

    assert not out[1].ok and not out[1].is_open and not out[1].liquidatable
    assert out[2].ok and out[2].liquidatable


def test_health_many__at_the_clearing_house__reverts_it_has_moved_to_the_view(clearing):
    from ringfence.rpc import RpcError

    with pytest.raises(RpcError, match="unknown selector"):
        health_many(Chain(clearing.node), CH, [1], batch=5)


def test_planner__model_candidates__only_onchain_unhealthy_ones_confirmed(clearing):
    clearing.health = {
        1: (90 * WAD, 125 * WAD, 100 * WAD),  # unhealthy on-chain too
        2: (120 * WAD, 125 * WAD, 100 * WAD),  # model said unhealthy, chain says healthy
        3: (-5 * WAD, 125 * WAD, 100 * WAD),
    }  # 4: closed meanwhile -> (0, 0, 0)
    h = health([(i, 90.0, 100.0, True, False) for i in (1, 2, 3, 4)])

    plan = Planner().plan(h, Chain(clearing.node), VIEW)

    assert plan.candidates == [1, 2, 3, 4]
    assert plan.confirmed == [1, 3]
    assert plan.liquidate == [[1, 3]]
    assert not plan.onchain[4].is_open


def test_planner__many_confirmed__liquidation_batches_sized_to_block_gas(clearing):
    clearing.health = {i: (0, 125 * WAD, 100 * WAD) for i in range(1, 11)}
    h = health([(i, 0.0, 100.0, True, False) for i in range(1, 11)])
    gas = GasModel(liquidate_per_vault=450_000, tx_base=60_000, block_gas_limit=3_000_000)

    plan = Planner(gas).plan(h, Chain(clearing.node), VIEW)

    # floor((3M x 0.75 - 60k) / 450k) = 4 per transaction
    assert plan.liquidate == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


def test_planner__in_flight_vaults__excluded(clearing):
    clearing.health = {i: (0, 125 * WAD, 100 * WAD) for i in range(1, 5)}
    h = health([(i, 0.0, 100.0, True, i == 4) for i in range(1, 5)])

    plan = Planner().plan(h, Chain(clearing.node), VIEW, exclude={2, 4})

    assert plan.confirmed == [1, 3] and plan.settle == []


def test_chunked__remainder__last_chunk_shorter():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
