"""Send one transaction and see it mined: EIP-1559 fees, same-nonce replacement, ceiling.

`Sender.send` signs a type-2 transaction at the lowest unmined nonce (``latest`` count, so a
transaction stuck from an earlier run is replaced rather than queued behind), broadcasts it,
then polls. While unmined, `FeePolicy.should_replace` decides when to re-sign the SAME nonce
and calldata with both fees +12.5 %; every hash sent is watched, since any of them may be
the one that lands. Gives up after ``receipt_timeout`` seconds with outcome ``timeout``
(the nonce is remembered so the next attempt out-bids the pending one). Fees follow
``ringfence.fees.FeePolicy``, the keeper's policy too: when the ceiling is below the base
fee nothing is broadcast (outcome ``deferred``: the reports wait for the next cycle).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.exceptions import TransactionNotFound, Web3RPCError

from oracle.errors import TransientError
from ringfence.fees import FeePolicy, Fees
from ringfence.rpc import FailoverRpc

log = logging.getLogger("oracle.sender")

ALREADY_KNOWN = ("already known", "known transaction", "already imported")
UNDERPRICED = ("underpriced", "fee too low", "replacement")


@dataclass
class SendResult:
    outcome: str  # "mined", "reverted", "timeout", "superseded", "failed", "deferred"
    nonce: int
    tx_hash: str | None = None  # the hash that was mined (or the last sent)
    receipt: Any = None
    fees: Fees | None = None  # fees of the mined (or last sent) attempt
    hashes: list[str] = field(default_factory=list)  # every attempt, in order
    replacements: int = 0
    error: str = ""


class Sender:
    def __init__(
        self,
        rpc: FailoverRpc,
        account: LocalAccount,
        chain_id: int,
        policy: FeePolicy,
        gas_limit: int | None = None,
        gas_multiplier: float = 1.25,
        poll_interval: float = 1.0,
        receipt_timeout: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[str, dict], None] | None = None,
    ) -> None:
        self.rpc = rpc
        self.account = account
        self.chain_id = chain_id
        self.policy = policy
        self.gas_limit = gas_limit
        self.gas_multiplier = gas_multiplier
        self.poll_interval = poll_interval
        self.receipt_timeout = receipt_timeout
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event or (lambda name, fields: None)
        self._pending: tuple[int, Fees] | None = None  # (nonce, fees) left unmined by a timeout

    # -- helpers -------------------------------------------------------------------

    def _event(self, name: str, **fields: Any) -> None:
        log.info(name, extra=fields)
        self.on_event(name, fields)

    def _sign(self, to: str, data: str, nonce: int, gas: int, fees: Fees) -> tuple[bytes, str]:
        tx = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": to,
            "data": data,
            "value": 0,
            "gas": gas,
            "maxFeePerGas": fees.max_fee,
            "maxPriorityFeePerGas": fees.priority_fee,
        }
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()

    def _broadcast(self, raw: bytes, tx_hash: str) -> str:
        """Send; returns "sent", "known" or "underpriced". Other errors propagate."""
        try:
            self.rpc.call(lambda w3: w3.eth.send_raw_transaction(raw), "eth_sendRawTransaction")
            return "sent"
        except Web3RPCError as exc:
            message = str(exc).lower()
            if any(m in message for m in ALREADY_KNOWN):
                return "known"
            if any(m in message for m in UNDERPRICED):
                return "underpriced"
            raise

    def _receipt(self, tx_hash: str) -> Any:
        def get(w3: Any) -> Any:
            try:
                return w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                return None

        return self.rpc.call(get, "eth_getTransactionReceipt")

    def _find_receipt(self, hashes: list[str]) -> tuple[str, Any] | None:
        """The receipt of whichever attempt was mined (newest first), if any."""
        for h in reversed(hashes):
            receipt = self._receipt(h)
            if receipt is not None:
                return h, receipt
        return None

    def estimate_gas(self, to: str, data: str) -> int:
        if self.gas_limit is not None:
            return self.gas_limit
        tx = {"from": self.account.address, "to": to, "data": data}
        estimate = self.rpc.call(lambda w3: w3.eth.estimate_gas(tx, "pending"), "eth_estimateGas")
        return int(estimate * self.gas_multiplier)

    # -- the one public operation ---------------------------------------------------

    def send(self, to: str, data: str) -> SendResult:
        address = self.account.address
        nonce = int(
            self.rpc.call(lambda w3: w3.eth.get_transaction_count(address, "latest"), "nonce")
        )
        try:
            gas = self.estimate_gas(to, data)
        except TransientError:
            raise
        except Exception as exc:  # the batch would revert: sending it only burns gas
            return SendResult("failed", nonce, error=f"gas estimation failed: {exc}")
        latest = self.rpc.call(lambda w3: w3.eth.get_block("latest"), "eth_getBlock")
        base_fee = int(latest.get("baseFeePerGas", 0) or 0)
        floor = self._pending[1] if self._pending and self._pending[0] == nonce else None
        fees = self.policy.initial(base_fee, floor=floor)
        if fees is None:
            # A transaction under the ceiling could not be mined at this base fee: broadcast
            # nothing (it would only sit in the pool) and let the next cycle try again.
            ceiling = self.policy.max_fee_ceiling
            self._event("tx_fee_ceiling", nonce=nonce, base_fee=base_fee, ceiling=ceiling)
            return SendResult(
                "deferred",
                nonce,
                error=f"base fee {base_fee} wei above the fee ceiling "
                f"{self.policy.max_fee_ceiling} wei: nothing sent",
            )
        result = SendResult("timeout", nonce, fees=fees)
        raw, tx_hash = self._sign(to, data, nonce, gas, fees)
        try:
            status = self._broadcast(raw, tx_hash)
            if status == "underpriced" and floor is None:
                # Something from an earlier run sits at this nonce: try to out-bid it.
                bumped = self.policy.replacement(fees, base_fee)
                if bumped is not None:
                    fees = bumped
                    raw, tx_hash = self._sign(to, data, nonce, gas, fees)
                    status = self._broadcast(raw, tx_hash)
        except Web3RPCError as exc:  # e.g. insufficient funds: nothing was sent
            self._event("tx_refused", nonce=nonce, error=str(exc))
            return SendResult("failed", nonce, fees=fees, error=f"node refused: {exc}")
        result.hashes.append(tx_hash)
        result.tx_hash, result.fees = tx_hash, fees
        self._event(
            "tx_sent",
            nonce=nonce,
            tx_hash=tx_hash,
            gas=gas,
            max_fee=fees.max_fee,
            priority_fee=fees.priority_fee,
            status=status,
            base_fee=base_fee,
        )
        sent_block = int(latest["number"])
        started = sent_at = self.clock()
        at_ceiling_logged = False
        fees_by_hash = {tx_hash: fees}
        while True:
            self.sleep(self.poll_interval)
            found = self._find_receipt(result.hashes)
            mined_nonce = int(
                self.rpc.call(lambda w3: w3.eth.get_transaction_count(address, "latest"), "nonce")
            )
            if found is None and mined_nonce > nonce:
                found = self._find_receipt(result.hashes)  # it may have landed in between
            if found is not None:
                h, receipt = found
                self._pending = None
                result.tx_hash, result.receipt, result.fees = h, receipt, fees_by_hash[h]
                result.outcome = "mined" if int(receipt["status"]) == 1 else "reverted"
                gas_used = int(receipt["gasUsed"])
                if result.outcome == "reverted" and gas_used >= gas:
                    result.error = "out of gas"
                self._event(
                    "tx_" + result.outcome,
                    nonce=nonce,
                    tx_hash=h,
                    block=int(receipt["blockNumber"]),
                    gas_used=gas_used,
                    replacements=result.replacements,
                    error=result.error,
                )
                return result
            if mined_nonce > nonce:
                # The nonce was used by a transaction we did not watch (an earlier run's).
                self._pending = None
                result.outcome = "superseded"
                self._event("tx_superseded", nonce=nonce, hashes=result.hashes)
                return result
            now = self.clock()
            if now - started >= self.receipt_timeout:
                self._pending = (nonce, fees)
                self._event("tx_timeout", nonce=nonce, hashes=result.hashes, max_fee=fees.max_fee)
                return result
            block = int(self.rpc.call(lambda w3: w3.eth.block_number, "eth_blockNumber"))
            if not self.policy.should_replace(sent_block, block, sent_at, now):
                continue
            new_fees = self.policy.replacement(fees, base_fee)
            if new_fees is None:
                if not at_ceiling_logged:
                    self._event(
                        "tx_fee_ceiling",
                        nonce=nonce,
                        max_fee=fees.max_fee,
                        ceiling=self.policy.max_fee_ceiling,
                    )
                    at_ceiling_logged = True
                continue
            raw, new_hash = self._sign(to, data, nonce, gas, new_fees)
            sent_block, sent_at = block, now
            try:
                status = self._broadcast(raw, new_hash)
            except Web3RPCError as exc:  # keep waiting on what is already in the pool
                self._event("tx_replacement_refused", nonce=nonce, tx_hash=new_hash, error=str(exc))
                continue
            if status == "underpriced":
                self._event("tx_replacement_refused", nonce=nonce, tx_hash=new_hash)
                continue
            fees = new_fees
            fees_by_hash[new_hash] = fees
            result.hashes.append(new_hash)
            result.replacements += 1
            result.tx_hash, result.fees = new_hash, fees
            self._event(
                "tx_replaced",
                nonce=nonce,
                tx_hash=new_hash,
                replaces=result.hashes[-2],
                max_fee=fees.max_fee,
                priority_fee=fees.priority_fee,
            )
