"""The liquidity pool's LP requests: which ones are mature and still pending.

While the pool's book is open, LP deposits and redemptions are requests that anyone may
execute ``LP_DELAY`` seconds after they were made, at the worse for the LP of the quoted and
the then price (docs/solvency.md §2a). Executing them at maturity is what keeps a requester
from holding a mature request back to time a report; the keeper does it. Requests are
numbered from 0 and executed ones read back with ``mature == 0``, so a cursor at the oldest
pending id keeps each scan's reads to the pending ones.
"""

from __future__ import annotations

from keeper import abi
from keeper.rpc import Chain


class LpQueue:
    """Reads the pool's pending requests, oldest first, at most ``limit`` per scan."""

    def __init__(self, chain: Chain, pool: str, limit: int = 20):
        self.chain = chain
        self.pool = pool
        self.limit = limit
        self.cursor = 0  # every request below it has been executed

    def _call(self, fn: str, *args):
        raw = self.chain.call(self.pool, abi.encode_call("ILiquidityPool", fn, list(args)))
        return abi.decode_result("ILiquidityPool", fn, raw)

    def due(self, now: int) -> list[int]:
        """Ids of pending requests mature at timestamp ``now`` (oldest first)."""
        if self.limit <= 0:
            return []
        count = self._call("request_count")
        out: list[int] = []
        pending_seen = False
        read = 0
        request_id = self.cursor
        while request_id < count and read < self.limit:
            mature = self._call("requests", request_id)["mature"]
            read += 1
            if mature == 0:
                if not pending_seen:
                    self.cursor = request_id + 1
            else:
                pending_seen = True
                if mature <= now:
                    out.append(request_id)
            request_id += 1
        return out
