"""keeper.scan.Keeper: one scan end to end over fakes (index -> model -> plan -> send)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak
from keeper_fakes import FakeClearingHouse, FakeNode, FakeOracle, load_fixture

from keeper.config import KeeperConfig
from keeper.health import fetch_market, model_book
from keeper.scan import Keeper
from keeper.sender import LocalSigner
from ringfence.rpc import Chain

WAD = 10**18
GWEI = 10**9
ORACLE = "0x" + "0a0a" * 10
ETH = b"ETH".ljust(32, b"\0")
FIXTURE = load_fixture()
UNHEALTHY = (-100 * WAD, 125 * WAD, 100 * WAD)
HEALTHY = (500 * WAD, 125 * WAD, 100 * WAD)


@pytest.fixture
def world(tmp_path):
    """The recorded book (vaults #3 and #4 open at block 160) with ETH at 2000, vol 5 %:
    #3 (short 0.9 put 3000) is deep under water, #4 (short straddle) is healthy."""
    account = Account.from_key(keccak(text="ringfence keeper scan"))
    node = FakeNode(head=FIXTURE["head"], logs=list(FIXTURE["logs"]), base_fee=10 * GWEI)
    oracle = FakeOracle(ORACLE, spot={ETH: 2_000 * WAD}, vol=5 * 10**16)
    ch = FakeClearingHouse(node, FIXTURE["clearing_house"], account.address, oracle=oracle)
    ch.health = {3: UNHEALTHY, 4: HEALTHY}

    def keeper(**options) -> Keeper:
        values = {
            "clearing_house": FIXTURE["clearing_house"],
            "registry": FIXTURE["registry"],
            "view": ch.view,
            "oracle": ORACLE,
            "start_block": FIXTURE["start_block"],
            "checkpoint": str(tmp_path / f"index-{options.get('shard', 0)}.json"),
        }
        config = KeeperConfig(**{**values, **options})
        return Keeper(config, Chain(node), LocalSigner(account), scale=FIXTURE["scale"])

    return node, ch, oracle, keeper


def test_scan__one_unhealthy_vault__liquidated_once_and_indexed_after_mining(world):
    node, ch, _, make = world
    keeper = make()

    result = keeper.scan()

    assert result.plan.candidates == [3] and result.plan.confirmed == [3]
    assert [(t.function, t.ids) for t in ch.sent] == [("liquidate_many", [3])]
    m = keeper.metrics
    assert (m.positions_indexed, m.candidates, m.confirmed, m.last_block) == (2, 1, 1, 160)
    assert m.vaults[("liquidate", "sent")] == 1

    keeper.scan()  # not mined yet: nothing new is sent
    assert len(ch.sent) == 1

    ch.mine()
    keeper.scan()

    assert sorted(keeper.index.book.positions) == [4]
    assert keeper.metrics.vaults[("liquidate", "mined")] == 1
    assert len(ch.sent) == 1


def test_scan__stale_feed__no_candidates_and_nothing_sent(world):
    _, ch, oracle, make = world
    oracle.stale.add(ETH)
    keeper = make()

    result = keeper.scan()

    assert result.plan.candidates == [] and ch.sent == []


def test_scan__two_shards__only_the_owner_of_the_id_acts(world):
    _, ch, _, make = world
    even, odd = make(shard=0, shards=2), make(shard=1, shards=2)

    even.scan()
    assert ch.sent == []
    odd.scan()
    assert [t.ids for t in ch.sent] == [[3]]


def test_scan__dry_run__confirms_but_sends_nothing(world):
    _, ch, _, make = world
    keeper = make(dry_run=True)

    result = keeper.scan()

    assert result.plan.confirmed == [3] and ch.sent == []
    assert keeper.metrics.vaults[("liquidate", "dry_run")] == 1


def test_scan__fixture_vaults__model_agrees_with_the_story(world):
    """Guards the scenario: the model ranks #3 far below 1 and #4 well above."""
    _, _, _, make = world
    keeper = make()
    keeper.index.sync()

    market = fetch_market(keeper.chain, ORACLE, keeper.index.book)
    h = model_book(keeper.index.book, market, keeper.scale)
    ratio = dict(zip(h.ids.tolist(), h.ratio.tolist(), strict=True))
    assert ratio[3] < 0 < 1.5 < ratio[4]


@pytest.mark.parametrize("missing", ["clearing_house", "registry", "view", "oracle"])
def test_keeper__an_address_missing__refused_naming_it(world, missing):
    _, _, _, make = world
    with pytest.raises(ValueError, match=f"address\\(es\\) required: {missing}$"):
        make(**{missing: ""})


def test_keeper__block_gas_limit_zero__read_from_latest_block(world):
    node, _, _, make = world
    node.gas_limit = 36_000_000
    assert make().planner.gas.block_gas_limit == 36_000_000
    assert make(block_gas_limit=12_000_000).planner.gas.block_gas_limit == 12_000_000
