"""Simulate-then-send of ``liquidate_many`` / ``settle_many``, with nonce and fee policy.

Rules (docs/keeper.md has the rationale):

- **Simulate first.** Every batch is ``eth_call``-ed from the keeper's address. Those
  functions skip vaults that are closed, healthy or not settleable, so the simulation
  returns how many would be acted on; when it is fewer than asked, ``health_many`` of the
  ``ClearingHouseView`` tells which vaults are gone (closed) or healthy again — those are
  **lost to another keeper**, counted, and dropped, never retried.
- **Bisect a reverting batch.** The ``*_many`` functions skip an id they cannot process
  (``BatchSkipped``), but a batch whose simulation reverts anyway (an older clearing house,
  a node quirk, a vault that breaks its call frame) is split in halves and each half
  simulated again, down to single ids: the ids that revert on their own are left out
  (counted as ``isolated``, retried at the next scan) and the rest is still sent. k
  poisoned ids among n cost at most about 2 k log2(n) extra ``eth_call``s.
- **One nonce manager.** Nonces are handed out locally; on a nonce error from the node the
  manager resyncs from ``eth_getTransactionCount(address, "pending")``.
- **EIP-1559 fees under a ceiling** (``ringfence.fees``, the policy the oracle pusher uses
  too). First attempt: priority fee ``priority_fee``, max fee
  ``base_fee_multiplier`` x base fee + priority fee, both capped at ``max_fee_ceiling``;
  with the ceiling below the base fee nothing is sent (the keeper waits).
  Not mined after ``replace_after_blocks`` blocks: the same nonce and calldata are resent
  with BOTH fees at least +12.5 % (rounded up); when the ceiling does not leave room for a
  full bump the keeper waits for the pending transaction instead of underpricing it.
- **Idempotent.** A vault in a pending transaction, or in a mined one the index has not
  processed yet, is never put in a second transaction. A receipt settles each vault of the
  batch: a ``PositionLiquidated``/``PositionSettled`` log for it means mined; no log (the
  batch skipped it) or a reverted transaction whose vault is now closed/healthy means lost.
- **LP requests** (``submit_execute``): a mature request of the liquidity pool is executed
  with ``execute_request(id)``, one per transaction, simulated first, through the same
  nonces, fees and replacements; an id is never in two pending transactions. A request
  another executor took first is lost, like a vault.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from eth_utils import to_checksum_address

from keeper import abi
from keeper.planner import health_many
from ringfence.fees import FeePolicy, Fees
from ringfence.rpc import Chain, RpcError, revert_reason, to_int

log = logging.getLogger("keeper.sender")


NONCE_ERRORS = ("nonce too low", "nonce too high", "invalid nonce", "nonce has already been used")
KNOWN_ERRORS = ("already known", "known transaction", "already imported")
UNDERPRICED_ERRORS = ("replacement transaction underpriced", "underpriced")

ACCESS_LIST_REFUND_FACTOR = 1.25  # gasUsed is net of refunds, which are <= 1/5 of gross
OUT_OF_GAS_FRACTION = 0.97  # a reverted receipt using this much of its limit ran out of gas
GAS_BOOST_STEP = 1.25
GAS_BOOST_MAX = 3.0

LIQUIDATE = "liquidate"
SETTLE = "settle"
EXECUTE = "execute"  # LiquidityPool.execute_request: one LP request per transaction
KINDS = (LIQUIDATE, SETTLE, EXECUTE)
_FUNCTIONS = {LIQUIDATE: "liquidate_many", SETTLE: "settle_many"}
_ID_KEY = {LIQUIDATE: "position_ids", SETTLE: "position_ids", EXECUTE: "request_ids"}
_EVENTS = {LIQUIDATE: "PositionLiquidated", SETTLE: "PositionSettled"}


class Signer(Protocol):
    """Signs EIP-1559 transactions for one address."""

    address: str

    def sign(self, tx: Mapping[str, Any]) -> tuple[bytes, str]:
        """Return (raw signed transaction, 0x transaction hash)."""
        ...


class LocalSigner:
    """:class:`Signer` over an eth-account ``LocalAccount`` (keystore or private key)."""

    def __init__(self, account: Any):
        self._account = account
        self.address: str = account.address

    def sign(self, tx: Mapping[str, Any]) -> tuple[bytes, str]:
        signed = self._account.sign_transaction(dict(tx))
        return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


class NonceManager:
    """Local nonce counter for one address, resynced from the node's pending count."""

    def __init__(self, chain: Chain, address: str):
        self.chain = chain
        self.address = address
        self._next: int | None = None
        self.resyncs = 0

    def resync(self) -> int:
        self._next = self.chain.transaction_count(self.address, "pending")
        self.resyncs += 1
        return self._next

    def reserve(self) -> int:
        if self._next is None:
            self.resync()
        assert self._next is not None
        nonce = self._next
        self._next += 1
        return nonce

    def release(self, nonce: int) -> None:
        """Give back the latest nonce when its transaction never reached the node."""
        if self._next is not None and nonce == self._next - 1:
            self._next = nonce


class State(Enum):
    PENDING = "pending"
    MINED = "mined"
    LOST = "lost"
    FAILED = "failed"


@dataclass
class Attempt:
    tx_hash: str
    fees: Fees
    block: int  # chain head when it was sent


@dataclass
class Tx:
    """One nonce's transaction and every same-nonce replacement of it."""

    kind: str
    ids: list[int]
    nonce: int
    data: str
    gas: int
    to: str = ""  # the clearing house when empty
    attempts: list[Attempt] = field(default_factory=list)
    state: State = State.PENDING
    mined_block: int | None = None
    nonce_consumed_polls: int = 0

    @property
    def last(self) -> Attempt:
        return self.attempts[-1]


@dataclass
class VaultRecord:
    kind: str
    tx: Tx
    state: State
    block: int | None = None


@dataclass
class Counters:
    """Per-kind counts of vaults (``liquidate`` / ``settle``) and LP requests (``execute``)."""

    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    mined: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    lost: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dry_run: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    replacements: int = 0
    ceiling_waits: int = 0
    simulation_reverts: int = 0
    isolated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


class Sender:
    """Submits and follows the keeper's transactions (module docstring).

    ``clearing_house`` receives the ``*_many`` transactions and emits the events a receipt
    is read for; ``view`` is the ClearingHouseView whose ``health_many`` tells a lost vault
    from one to retry.
    """

    def __init__(
        self,
        chain: Chain,
        signer: Signer,
        clearing_house: str,
        view: str,
        fees: FeePolicy,
        replace_after_blocks: int = 3,
        gas_multiplier: float = 1.2,
        block_gas_limit: int = 30_000_000,
        health_batch: int = 50,
        dry_run: bool = False,
    ):
        self.chain = chain
        self.signer = signer
        self.clearing_house = clearing_house
        self.view = view
        self.fees = fees
        self.replace_after_blocks = replace_after_blocks
        self.gas_multiplier = gas_multiplier
        self.block_gas_limit = block_gas_limit
        self.health_batch = health_batch
        self.dry_run = dry_run
        self.nonces = NonceManager(chain, signer.address)
        self.counters = Counters()
        self.pending: list[Tx] = []
        self.vaults: dict[int, VaultRecord] = {}
        self.requests: dict[int, Tx] = {}  # LP request id -> its pending execution
        self._chain_id: int | None = None
        self._access_list = True  # False once the node says it lacks eth_createAccessList
        self.gas_boost = 1.0  # raised after an out-of-gas revert

    # -------------------------------------------------------------- idempotence

    def blocked(self, indexed_block: int) -> set[int]:
        """Vaults that must not go into a new transaction: in a pending one, or in a mined
        one the index (at ``indexed_block``) has not caught up with. Forgets the rest."""
        out = set()
        for pid, rec in list(self.vaults.items()):
            if rec.state is State.PENDING or (
                rec.state in (State.MINED, State.FAILED)
                and rec.block is not None
                and rec.block > indexed_block
            ):
                out.add(pid)
            else:
                del self.vaults[pid]
        return out

    # ------------------------------------------------------------------ submit

    def submit(self, kind: str, ids: Iterable[int], head: int, indexed_block: int) -> Tx | None:
        """Simulate and send one ``<kind>_many`` batch; None when nothing was sent.

        Args:
            kind: ``"liquidate"`` or ``"settle"``.
            ids: vault ids, at most ``MAX_BATCH``.
            head: current chain head (recorded for the replacement timer).
            indexed_block: last block the index has processed (for the dedupe rule).
        """
        skip = self.blocked(indexed_block)
        batch = [i for i in dict.fromkeys(ids) if i not in skip]
        if not batch:
            return None
        batch = self._simulate(kind, batch)
        if not batch:
            return None
        data = abi.encode_call("IClearingHouse", _FUNCTIONS[kind], [batch])
        tx = self._send(kind, batch, self.clearing_house, data, head)
        if tx is not None:
            for pid in batch:
                self.vaults[pid] = VaultRecord(kind=kind, tx=tx, state=State.PENDING)
        return tx

    def submit_execute(self, pool: str, request_id: int, head: int) -> Tx | None:
        """Simulate and send ``execute_request(request_id)`` to the liquidity ``pool``; None
        when nothing was sent (already pending, or the simulation reverts: not mature, no
        cash, a stale oracle, or executed by someone else — the next scan looks again)."""
        if request_id in self.requests:
            return None
        data = abi.encode_call("ILiquidityPool", "execute_request", [request_id])
        try:
            self.chain.call(pool, data, sender=self.signer.address)
        except RpcError as exc:
            log.debug("LP request %d not executable: %s", request_id, revert_reason(exc))
            return None
        tx = self._send(EXECUTE, [request_id], pool, data, head)
        if tx is not None:
            self.requests[request_id] = tx
        return tx

    def _send(self, kind: str, ids: list[int], to: str, data: str, head: int) -> Tx | None:
        """Gas, fees and broadcast of one simulated transaction; None when not sent."""
        try:
            gas = min(self._gas_limit(data, to), self.block_gas_limit)
        except RpcError as exc:
            # the state moved between the call and the estimate: next scan decides again
            self.counters.simulation_reverts += 1
            log.info("%s estimate reverted: %s", kind, revert_reason(exc))
            return None
        base_fee = to_int(self._latest()["baseFeePerGas"])
        fees = self.fees.initial(base_fee)
        if fees is None:
            self.counters.ceiling_waits += 1
            log.warning(
                "base fee %d above the ceiling %d: waiting", base_fee, self.fees.max_fee_ceiling
            )
            return None
        if self.dry_run:
            self.counters.dry_run[kind] += len(ids)
            log.info("dry run: would %s %s (gas %d)", kind, ids, gas)
            return None
        tx = Tx(kind=kind, ids=ids, nonce=self.nonces.reserve(), data=data, gas=gas, to=to)
        if not self._broadcast(tx, fees, head):
            return None
        self.pending.append(tx)
        self.counters.sent[kind] += len(ids)
        log.info(
            "submitted",
            extra={
                "action": kind,
                _ID_KEY[kind]: ids,
                "tx_hash": tx.last.tx_hash,
                "nonce": tx.nonce,
                "block": head,
                "gas": gas,
            },
        )
        return tx

    def _gas_limit(self, data: str, to: str) -> int:
        """Gas limit of a batch. ``eth_createAccessList`` runs the transaction once (a
        tenth of ``eth_estimateGas``'s binary search on anvil); its ``gasUsed`` is net of
        storage refunds (at most 1/5 of the gross under EIP-3529), so it is scaled by 1.25
        and then by the configured multiplier (settlement, which clears storage, measured
        gross 441.6k for net 350.2k). Nodes without the method fall back to
        ``eth_estimateGas`` x multiplier. A transaction that ran out of gas raises
        :attr:`gas_boost` for every later one.
        """
        if self._access_list:
            try:
                used = self.chain.access_list_gas(to, data, self.signer.address)
                return int(used * ACCESS_LIST_REFUND_FACTOR * self.gas_multiplier * self.gas_boost)
            except RpcError as exc:
                text = exc.message.lower()
                if exc.code == -32601 or "not found" in text or "not supported" in text:
                    self._access_list = False
        estimate = self.chain.estimate_gas(to, data, self.signer.address)
        return int(estimate * self.gas_multiplier * self.gas_boost)

    def _simulate(self, kind: str, batch: list[int]) -> list[int]:
        """The part of ``batch`` the contract would act on now; counts the lost rest."""
        data = abi.encode_call("IClearingHouse", _FUNCTIONS[kind], [batch])
        try:
            raw = self.chain.call(self.clearing_house, data, sender=self.signer.address)
        except RpcError as exc:
            self.counters.simulation_reverts += 1
            if len(batch) == 1:
                self.counters.isolated[kind] += 1
                log.warning(
                    "%s of vault %d reverts on its own, left out: %s",
                    kind,
                    batch[0],
                    revert_reason(exc),
                )
                return []
            log.info(
                "%s simulation of %d vaults reverted (%s): bisecting",
                kind,
                len(batch),
                revert_reason(exc),
            )
            half = len(batch) // 2
            return self._simulate(kind, batch[:half]) + self._simulate(kind, batch[half:])
        count = abi.decode_result("IClearingHouse", _FUNCTIONS[kind], raw)
        if count == len(batch):
            return batch
        now = health_many(self.chain, self.view, batch, self.health_batch)
        keep = []
        for pid in batch:
            h = now[pid]
            gone = not h.is_open or (kind == LIQUIDATE and not h.liquidatable)
            if gone:
                self.counters.lost[kind] += 1
            else:
                keep.append(pid)
        if kind == SETTLE and len(keep) > count:
            # open but not all settleable (a settlement price missing): keep the ones a
            # one-vault simulation settles
            keep = [pid for pid in keep if self._simulated_count(kind, [pid]) == 1]
        return keep

    def _simulated_count(self, kind: str, batch: list[int]) -> int:
        data = abi.encode_call("IClearingHouse", _FUNCTIONS[kind], [batch])
        try:
            raw = self.chain.call(self.clearing_house, data, sender=self.signer.address)
        except RpcError:
            return 0
        return abi.decode_result("IClearingHouse", _FUNCTIONS[kind], raw)

    def _tx_dict(self, tx: Tx, fees: Fees) -> dict[str, Any]:
        if self._chain_id is None:
            self._chain_id = self.chain.chain_id()
        return {
            "type": 2,
            "chainId": self._chain_id,
            "nonce": tx.nonce,
            "to": to_checksum_address(tx.to or self.clearing_house),
            "value": 0,
            "data": tx.data,
            "gas": tx.gas,
            "maxFeePerGas": fees.max_fee,
            "maxPriorityFeePerGas": fees.priority_fee,
        }

    def _broadcast(self, tx: Tx, fees: Fees, head: int) -> bool:
        """Sign and send ``tx`` at ``fees``; one retry with a resynced nonce on a nonce
        error of a first attempt. Records the attempt; False when nothing was sent."""
        for _ in range(2):
            raw, tx_hash = self.signer.sign(self._tx_dict(tx, fees))
            try:
                self.chain.send_raw_transaction(raw)
            except RpcError as exc:
                text = exc.message.lower()
                if any(m in text for m in KNOWN_ERRORS):
                    break  # the node has it already: same hash
                if any(m in text for m in NONCE_ERRORS) and not tx.attempts:
                    self.nonces.resync()
                    tx.nonce = self.nonces.reserve()
                    continue
                if not tx.attempts:
                    self.nonces.release(tx.nonce)
                    self.nonces.resync()
                log.warning("send of %s %s failed: %s", tx.kind, tx.ids, exc.message)
                if any(m in text for m in NONCE_ERRORS):
                    tx.nonce_consumed_polls += 1
                return False
            break
        else:
            return False
        tx.attempts.append(Attempt(tx_hash=tx_hash, fees=fees, block=head))
        return True

    # -------------------------------------------------------------------- poll

    def poll(self, head: int) -> None:
        """Follow pending transactions: settle mined ones, replace stuck ones."""
        for tx in list(self.pending):
            receipt = None
            for attempt in reversed(tx.attempts):
                receipt = self.chain.receipt(attempt.tx_hash)
                if receipt is not None:
                    break
            if receipt is not None:
                self._resolve(tx, receipt)
                self.pending.remove(tx)
                continue
            if tx.nonce_consumed_polls >= 2:
                # the nonce went to a transaction that is none of ours: free the vaults
                self._release(tx, State.FAILED)
                self.pending.remove(tx)
                self.nonces.resync()
                continue
            if head - tx.last.block >= self.replace_after_blocks:
                self._replace(tx, head)

    def _replace(self, tx: Tx, head: int) -> None:
        base_fee = to_int(self._latest()["baseFeePerGas"])
        fees = self.fees.replacement(tx.last.fees, base_fee)
        if fees is None:
            self.counters.ceiling_waits += 1
            log.info("replacement of nonce %d blocked by the fee ceiling: waiting", tx.nonce)
            return
        before = len(tx.attempts)
        if self._broadcast(tx, fees, head) and len(tx.attempts) > before:
            self.counters.replacements += 1

    def _resolve(self, tx: Tx, receipt: Mapping[str, Any]) -> None:
        block = to_int(receipt["blockNumber"])
        tx.mined_block = block
        if tx.kind == EXECUTE:
            self._resolve_execute(tx, receipt, block)
            return
        if to_int(receipt["status"]) == 1:
            done = set()
            for lg in receipt.get("logs", []):
                if lg.get("address", "").lower() != self.clearing_house.lower():
                    continue
                d = abi.decode_log(lg, "IClearingHouse")
                if d is not None and d.name == _EVENTS[tx.kind]:
                    done.add(d.args["position_id"])
            for pid in tx.ids:
                if pid in done:
                    self.counters.mined[tx.kind] += 1
                    self.vaults[pid] = VaultRecord(tx.kind, tx, State.MINED, block)
                else:
                    self._lost(tx.kind, pid)
            tx.state = State.MINED
            log.info(
                "mined",
                extra={
                    "action": tx.kind,
                    "position_ids": sorted(done & set(tx.ids)),
                    "lost_ids": [pid for pid in tx.ids if pid not in done],
                    "tx_hash": receipt.get("transactionHash"),
                    "nonce": tx.nonce,
                    "block": block,
                },
            )
            return
        # reverted: lost where the vault is closed/healthy now, else retried after a
        # cooldown of `replace_after_blocks` blocks (no hot loop on a revert that repeats)
        out_of_gas = to_int(receipt.get("gasUsed")) >= tx.gas * OUT_OF_GAS_FRACTION
        if out_of_gas:
            self.gas_boost = min(self.gas_boost * GAS_BOOST_STEP, GAS_BOOST_MAX)
        now = health_many(self.chain, self.view, tx.ids, self.health_batch)
        for pid in tx.ids:
            h = now[pid]
            if not h.is_open or (tx.kind == LIQUIDATE and not h.liquidatable):
                self._lost(tx.kind, pid)
            else:
                self.counters.failed[tx.kind] += 1
                self.vaults[pid] = VaultRecord(
                    tx.kind, tx, State.FAILED, block + self.replace_after_blocks
                )
        tx.state = State.FAILED
        log.warning(
            "reverted",
            extra={
                "action": tx.kind,
                "position_ids": tx.ids,
                "tx_hash": receipt.get("transactionHash"),
                "nonce": tx.nonce,
                "block": block,
                "out_of_gas": out_of_gas,
                "gas_boost": self.gas_boost,
            },
        )

    def _resolve_execute(self, tx: Tx, receipt: Mapping[str, Any], block: int) -> None:
        """An LP request's execution mined: done, or reverted (executed by someone else in
        between: lost; otherwise failed, and the next scan may send it again)."""
        (request_id,) = tx.ids
        self.requests.pop(request_id, None)
        ok = to_int(receipt["status"]) == 1
        tx.state = State.MINED if ok else State.FAILED
        if ok:
            self.counters.mined[EXECUTE] += 1
        elif self._request_gone(tx.to, request_id):
            self.counters.lost[EXECUTE] += 1
        else:
            self.counters.failed[EXECUTE] += 1
        log.log(
            logging.INFO if ok else logging.WARNING,
            "mined" if ok else "reverted",
            extra={
                "action": EXECUTE,
                "request_ids": [request_id],
                "tx_hash": receipt.get("transactionHash"),
                "nonce": tx.nonce,
                "block": block,
            },
        )

    def _request_gone(self, pool: str, request_id: int) -> bool:
        data = abi.encode_call("ILiquidityPool", "requests", [request_id])
        raw = self.chain.call(pool, data, sender=self.signer.address)
        return abi.decode_result("ILiquidityPool", "requests", raw)["mature"] == 0

    def _lost(self, kind: str, pid: int) -> None:
        self.counters.lost[kind] += 1
        self.vaults.pop(pid, None)

    def _release(self, tx: Tx, state: State) -> None:
        tx.state = state
        if tx.kind == EXECUTE:
            self.counters.failed[EXECUTE] += 1
            self.requests.pop(tx.ids[0], None)
            return
        for pid in tx.ids:
            self.counters.failed[tx.kind] += 1
            self.vaults.pop(pid, None)

    def _latest(self) -> dict[str, Any]:
        header = self.chain.block("latest")
        assert header is not None
        return header

    def balance(self) -> int:
        """The signer's balance, wei."""
        return self.chain.balance(self.signer.address)
