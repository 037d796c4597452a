"""The liquidity pool's LP requests: which ones are mature and still pending.

While the pool's book is open, LP deposits and redemptions are requests that anyone may
execute ``LP_DELAY`` seconds after they were made, at today's price but never for more than
the quote (docs/solvency.md §2a). A mature request nobody executes is a free option on the
timing for its owner (it could execute it just before a report it expects), so the keeper
executes each one at maturity.

Each request is read once when it appears (its maturity never changes); every scan re-reads
the mature ones still pending (an executed one reads back ``mature == 0`` and is forgotten)
and hands out at most ``limit`` of them, **least recently tried first**: requests whose
execution keeps reverting (while the oracle is stale or a breaker holds, say, or a flood of
requests made to blind the keeper) go to the back, so they cannot starve a later one.

Requests worth less than ``min_assets`` (a deposit's amount, a redemption's quote, in the
quote token's base units) are never handed out: executing one costs the keeper about
79,000 gas and pays it nothing, so a flood of dust requests would otherwise be a gas drain
paid by the keeper's operator. Their owners (or anyone) execute them (``ringfence lp
execute ID``); the free option they keep is worth at most their own small value.
"""

from __future__ import annotations

from keeper import abi
from ringfence.rpc import Chain

#: Most new requests read per scan (a backlog is caught up over several scans).
NEW_PER_SCAN = 200


class LpQueue:
    """The pool's pending requests; ``due(now)`` gives at most ``limit`` to try this scan."""

    def __init__(self, chain: Chain, pool: str, limit: int = 20, min_assets: int = 0):
        self.chain = chain
        self.pool = pool
        self.limit = limit
        self.min_assets = min_assets
        self.small = 0  # requests left to their owners (below min_assets)
        self.known = 0  # requests 0 .. known - 1 have been read once
        self.pending: dict[int, int] = {}  # request id -> maturity, unix seconds
        self.tried: dict[int, int] = {}  # request id -> the scan it was last handed out
        self.scans = 0

    def _call(self, fn: str, *args):
        raw = self.chain.call(self.pool, abi.encode_call("ILiquidityPool", fn, list(args)))
        return abi.decode_result("ILiquidityPool", fn, raw)

    def _mature_of(self, request_id: int) -> int:
        return self._call("requests", request_id)["mature"]

    def due(self, now: int) -> list[int]:
        """Pending requests mature at timestamp ``now``: at most ``limit``, least recently
        tried first, then oldest first."""
        if self.limit <= 0:
            return []
        self.scans += 1
        count = self._call("request_count")
        end = min(count, self.known + NEW_PER_SCAN)
        for request_id in range(self.known, end):
            request = self._call("requests", request_id)
            if not request["mature"]:
                continue
            assets = request["amount"] if request["is_deposit"] else request["quoted"]
            if assets < self.min_assets:
                self.small += 1
                continue
            self.pending[request_id] = request["mature"]
        self.known = end
        ready = sorted(
            (rid for rid, mature in self.pending.items() if mature <= now),
            key=lambda rid: (self.tried.get(rid, 0), rid),
        )
        out: list[int] = []
        for request_id in ready:
            if len(out) == self.limit:
                break
            if self._mature_of(request_id) == 0:  # executed (by us or anyone) since
                self.pending.pop(request_id)
                self.tried.pop(request_id, None)
                continue
            self.tried[request_id] = self.scans
            out.append(request_id)
        return out
