"""keeper.lp.LpQueue: which LP requests are mature and pending; stalled ones cannot starve
the others (attack review 2026-12-04: 20 requests that never execute blinded a keeper that
read 20 from its cursor, and an honest redemption waited for ever)."""

from __future__ import annotations

from eth_abi import encode

from keeper import abi
from keeper.lp import LpQueue

POOL = "0x" + "5e" * 20
OWNER = "0x" + "11" * 20


class FakePool:
    """``request_count`` and ``requests(id)`` of a LiquidityPool; counts the reads."""

    def __init__(self, matures: list[int], assets: list[tuple[bool, int]] | None = None):
        self.matures = matures  # per id: 0 = executed
        # per id: (is_deposit, assets): a deposit's amount or a redemption's quote
        self.assets = assets or [(False, 9)] * len(matures)
        self.reads: list[int] = []

    def call(self, to, data, sender=None):
        assert to == POOL
        if data == abi.encode_call("ILiquidityPool", "request_count", []):
            return encode(["uint256"], [len(self.matures)])
        (request_id,) = [
            i
            for i in range(len(self.matures))
            if data == abi.encode_call("ILiquidityPool", "requests", [i])
        ]
        self.reads.append(request_id)
        is_deposit, assets = self.assets[request_id]
        amount, quoted = (assets, 10**30) if is_deposit else (10**30, assets)
        row = (OWNER, OWNER, is_deposit, amount, quoted, self.matures[request_id], 9)
        return encode(["(address,address,bool,uint256,uint256,uint256,uint256)"], [row])


def test_due__mature_pending_only_oldest_first():
    pool = FakePool([0, 100, 0, 50, 200])
    assert LpQueue(pool, POOL).due(now=100) == [1, 3]


def test_due__executed_requests_forgotten_and_each_request_read_once_when_new():
    pool = FakePool([0, 0, 0, 100, 500])
    queue = LpQueue(pool, POOL)
    assert queue.due(now=100) == [3]
    pool.matures[3] = 0  # executed
    pool.reads.clear()
    assert queue.due(now=100) == []
    assert pool.reads == [3]  # only the mature pending one is re-read; 4 is known, not due
    assert queue.pending == {4: 500}


def test_due__stalled_requests_cannot_starve_a_later_one():
    # an adversary's 20 mature requests whose execution always reverts, then an honest one
    pool = FakePool([10] * 21)
    queue = LpQueue(pool, POOL, limit=20)
    assert queue.due(now=10) == list(range(20))  # tried; their simulations revert
    second = queue.due(now=10)
    assert second[0] == 20 and len(second) == 20  # the honest one, never tried, goes first


def test_due__every_mature_request_handed_out_within_ceil_n_over_limit_scans():
    pool = FakePool([10] * 45)
    queue = LpQueue(pool, POOL, limit=20)
    seen = set()
    for _ in range(3):  # ceil(45 / 20)
        seen |= set(queue.due(now=10))
    assert seen == set(range(45))


def test_due__limit_bounds_the_work_per_scan():
    pool = FakePool([10] * 30)
    queue = LpQueue(pool, POOL, limit=5)
    assert queue.due(now=10) == [0, 1, 2, 3, 4]
    assert queue.due(now=10) == [5, 6, 7, 8, 9]
    assert LpQueue(pool, POOL, limit=0).due(now=10) == []


def test_due__dust_requests_left_to_their_owners_a_flood_costs_the_keeper_nothing():
    # 100 redemptions quoted 1 base unit each and deposits of 99, around two real ones at
    # the threshold (100): only those are ever handed out, whatever the order
    assets = [(False, 1)] * 50 + [(True, 100)] + [(True, 99)] * 50 + [(False, 100)]
    pool = FakePool([10] * len(assets), assets)
    queue = LpQueue(pool, POOL, limit=20, min_assets=100)
    assert queue.due(now=10) == [50, 101]
    assert queue.small == 100
    assert queue.due(now=10) == [50, 101]  # still pending: retried, dust never read again
    assert LpQueue(FakePool([10] * 3, [(True, 1)] * 3), POOL).due(now=10) == [0, 1, 2]


def test_min_request_units__whole_tokens_to_base_units_rounded_up():
    from keeper.scan import min_request_units

    assert min_request_units(100.0, 10**12) == 100 * 10**6  # 6 decimals
    assert min_request_units(0.1, 1) == 10**17  # 18 decimals, exact (no float artefact)
    assert min_request_units(1e-7, 10**12) == 1  # below one base unit: rounded up
    assert min_request_units(0.0, 10**12) == 0
