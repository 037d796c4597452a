"""keeper.lp.LpQueue: which LP requests are mature and pending, read from the oldest."""

from __future__ import annotations

from eth_abi import encode

from keeper import abi
from keeper.lp import LpQueue

POOL = "0x" + "5e" * 20
OWNER = "0x" + "11" * 20


class FakePool:
    """``request_count`` and ``requests(id)`` of a LiquidityPool; counts the reads."""

    def __init__(self, matures: list[int]):
        self.matures = matures  # per id: 0 = executed
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
        row = (OWNER, OWNER, False, 10, 9, self.matures[request_id])
        return encode(["(address,address,bool,uint256,uint256,uint256)"], [row])


def test_due__mature_pending_only_oldest_first():
    pool = FakePool([0, 100, 0, 50, 200])
    assert LpQueue(pool, POOL).due(now=100) == [1, 3]


def test_due__cursor_skips_the_executed_prefix_on_the_next_scan():
    pool = FakePool([0, 0, 0, 100, 0])
    queue = LpQueue(pool, POOL)
    assert queue.due(now=100) == [3]
    assert queue.cursor == 3  # 0-2 executed: never read again
    pool.matures[3] = 0  # executed
    pool.reads.clear()
    assert queue.due(now=100) == []
    assert pool.reads == [3, 4] and queue.cursor == 5


def test_due__limit_bounds_the_reads_per_scan():
    pool = FakePool([10] * 30)
    queue = LpQueue(pool, POOL, limit=5)
    assert queue.due(now=10) == [0, 1, 2, 3, 4]
    assert len(pool.reads) == 5
    assert LpQueue(pool, POOL, limit=0).due(now=10) == []
