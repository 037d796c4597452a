"""A titanoboa execution backend on revm (pyrevm), for the fuzz campaigns.

titanoboa's ``Env`` talks to its EVM through one object, ``env.evm`` (``boa.vm.py_evm.PyEVM``
by default): deploy, execute, storage, balances, snapshots and the block "patch"
(timestamp, number). :class:`RevmEVM` implements that same surface on ``pyrevm.EVM``, so
contracts are still compiled, deployed, called and decoded by titanoboa — only the opcodes
run in Rust. py-evm runs a clearing-house call in 5–25 ms; revm in well under one.

What the backend does not do, and where that is handled:

* No source-level stack traces: a revert raises :class:`RevmRevert` (a ``BoaError``) whose
  text is the decoded ``Error(string)`` reason — the machine only ever matches those
  module-prefixed reasons. Halts (out of gas, invalid opcode) carry revm's description.
* No gas accounting through boa's gas meters (``Env.get_gas_used`` stays 0): every gas
  figure in ``make bench`` is measured on py-evm, never here.
* Storage written with ``set_storage`` goes to revm's database; it is visible to later
  calls and reads (tests/fuzz/test_revm_evm.py checks it, also under a snapshot).

``tests/fuzz/test_revm_evm.py`` runs the same seeded campaign on py-evm and on this
backend and requires identical outcomes, so a divergence between the two engines fails CI.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pyrevm
from boa.contracts.base_evm_contract import BoaError, StackTrace, _BaseEVMContract
from boa.environment import Env
from boa.util.abi import Address
from boa.vm.gas_meters import NoGasMeter
from eth._utils.address import generate_contract_address
from eth_abi import decode
from eth_utils import to_checksum_address

# pyrevm reports a failed call as RuntimeError("Revert { gas_used: N, output: 0x.. }").
_REVERT_OUTPUT = re.compile(r"^Revert \{ gas_used: \d+, output: 0x([0-9a-fA-F]*) \}$")
_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
GAS_LIMIT = 100_000_000  # titanoboa's default block gas limit
# revm hands code back padded for its jump analysis (33 zero bytes on legacy code), so the
# true length comes from EXTCODESIZE, asked of this helper: (address) -> extcodesize.
_CODESIZE_HELPER = "0x000000000000000000000000000000000000c0de"
_CODESIZE_RUNTIME = bytes.fromhex("6000353b60005260206000f3")
_ZERO = "0x0000000000000000000000000000000000000000"


def revert_reason(output: bytes) -> str:
    """The reason in a revert's return data: `Error(string)` decoded, else its hex."""
    if output[:4] == _ERROR_STRING:
        try:
            return decode(["string"], output[4:])[0]
        except Exception:  # malformed Error(string) payload: show it raw
            pass
    return f"revert data 0x{output.hex()}" if output else "revert without data"


class RevmTransactionError(RuntimeError):
    """revm refused the transaction itself (not a revert or a halt of the code), e.g. a
    sender that has code (EIP-3607, which pyrevm 0.3.7 cannot switch off)."""


class RevmComputation:
    """What titanoboa reads from a finished call: output, error, logs."""

    _gas_meter_class = NoGasMeter  # boa skips gas bookkeeping for this meter class
    beneficiaries = ()
    children = ()

    def __init__(self, to: Address, output: bytes, reason: str | None, logs=()):
        self.to = to
        self.output = output
        self.reason = reason  # the revert reason or halt description; None on success
        # titanoboa raises `computation.error` itself in a few places (raw_call, blueprints)
        self.error = None if reason is None else RevmRevert("contract", str(to), reason)
        self._logs = logs

    @property
    def is_error(self) -> bool:
        return self.error is not None

    def get_gas_used(self) -> int:
        return 0

    def get_raw_log_entries(self):
        """Logs in py-evm's shape: (log id, address bytes, topics as ints, data)."""
        entries = []
        for i, log in enumerate(self._logs):
            topics, data = log.data
            entries.append(
                (
                    i,
                    bytes.fromhex(log.address[2:]),
                    tuple(int.from_bytes(t, "big") for t in topics),
                    bytes(data),
                )
            )
        return tuple(entries)

    @property
    def _log_entries(self):
        return list(self.get_raw_log_entries())


class RevmRevert(BoaError):
    """A call on the revm backend failed: the reason is its decoded revert string."""

    def __init__(self, contract_name: str, address: str, reason: str):
        super().__init__(call_trace=None, stack_trace=StackTrace([reason]))
        self.reason = reason
        self.contract_name = contract_name
        self.address = address

    def __str__(self) -> str:
        return f"{self.contract_name} at {self.address} reverted:\n  {self.reason}"


_original_handle_error = _BaseEVMContract.handle_error


def _handle_error(self, computation):
    if isinstance(computation, RevmComputation):
        name = getattr(self, "contract_name", None) or type(self).__name__
        raise RevmRevert(name, str(computation.to), computation.reason)
    return _original_handle_error(self, computation)


class RevmPatch:
    """The block fields titanoboa patches (``env.evm.patch``): timestamp and number."""

    def __init__(self, timestamp: int, block_number: int, chain_id: int):
        self._timestamp = timestamp
        self._block_number = block_number
        self.chain_id = chain_id
        self.dirty = True

    @property
    def timestamp(self) -> int:
        return self._timestamp

    @timestamp.setter
    def timestamp(self, value: int) -> None:
        self._timestamp = int(value)
        self.dirty = True

    @property
    def block_number(self) -> int:
        return self._block_number

    @block_number.setter
    def block_number(self, value: int) -> None:
        self._block_number = int(value)
        self.dirty = True

    @contextlib.contextmanager
    def anchor(self):
        saved = self._timestamp, self._block_number
        try:
            yield
        finally:
            self.timestamp, self.block_number = saved


class RevmEVM:
    """``env.evm`` for titanoboa, on pyrevm. Build it with :func:`revm_env`."""

    def __init__(self, env: Env, timestamp: int, block_number: int, chain_id: int):
        self.env = env
        self.revm = pyrevm.EVM(
            env=pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=chain_id)),
            gas_limit=GAS_LIMIT,
            spec_id="CANCUN",
        )
        self.patch = RevmPatch(timestamp, block_number, chain_id)
        self._gas_meter_class: Any = NoGasMeter
        self.is_forked = False
        self._unpadded: dict[bytes, bytes] = {}  # code as revm returns it -> the code
        self._code_at: dict[str, bytes] = {}  # address -> the code get_code last returned
        # set_balance / set_code write revm's database, which its journal does not roll
        # back: (kind, address, previous value), undone by revert() past their snapshot.
        self._undo: list[tuple[str, str, Any]] = []
        self.revm.insert_account_info(
            _CODESIZE_HELPER, pyrevm.AccountInfo(nonce=1, code=_CODESIZE_RUNTIME)
        )

    # ------------------------------------------------------------------ boa's surface

    def enable_fast_mode(self, flag: bool = True) -> None:
        """revm needs no fast mode; accepted so titanoboa code runs unchanged."""

    def get_gas_meter_class(self):
        # Always "no meter": titanoboa then skips its per-computation gas bookkeeping
        # (gas profiling needs py-evm: RINGFENCE_FUZZ_EVM=pyevm).
        return NoGasMeter

    def set_gas_meter_class(self, cls) -> None:
        """Accepted for titanoboa's API; revm meters gas itself and boa never sees it."""

    def get_gas_limit(self) -> int:
        return GAS_LIMIT

    def reset_access_counters(self) -> None:
        """Warm/cold access sets only change gas, which this backend does not report."""

    def get_balance(self, address: Address) -> int:
        return self.revm.get_balance(str(address))

    def set_balance(self, address: Address, value: int) -> None:
        account = str(address)
        self._undo.append(("balance", account, self.revm.get_balance(account)))
        self.revm.set_balance(account, value)

    def get_code(self, address: Address) -> bytes:
        padded = bytes(self.revm.get_code(str(address)) or b"")
        if not padded:
            return padded
        code = self._unpadded.get(padded)
        if code is None:  # titanoboa asks on every call: ask revm once per code
            size = self.revm.message_call(
                _ZERO, _CODESIZE_HELPER, bytes(12) + bytes.fromhex(str(address)[2:]),
                is_static=True,
            )  # fmt: skip
            code = self._unpadded[padded] = padded[: int.from_bytes(bytes(size), "big")]
        self._code_at[str(address)] = code
        return code

    def set_code(self, address: Address, code: bytes) -> None:
        account = str(address)
        self._undo.append(("code", account, self.get_code(address)))
        self._put_code(account, bytes(code))

    def _put_code(self, account: str, code: bytes) -> None:
        info = self.revm.basic(account)
        self.revm.insert_account_info(account, pyrevm.AccountInfo(nonce=info.nonce, code=code))
        # pyrevm's AccountInfo takes no balance: put the account's balance back.
        self.revm.set_balance(account, info.balance)

    def get_storage(self, address: Address, slot: int) -> int:
        return self.revm.storage(str(address), slot)

    def get_storage_slot(self, address: Address, slot: int) -> bytes:
        """One storage word as 32 bytes (titanoboa's storage dump in a contract's repr)."""
        return self.get_storage(address, slot).to_bytes(32, "big")

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        self.revm.insert_account_storage(str(address), slot, value)

    def snapshot(self):
        return self.revm.snapshot(), len(self._undo)

    def revert(self, snapshot_id) -> None:
        checkpoint, undo_mark = snapshot_id
        self.revm.revert(checkpoint)
        while len(self._undo) > undo_mark:
            kind, account, previous = self._undo.pop()
            if kind == "balance":
                self.revm.set_balance(account, previous)
            else:
                self._put_code(account, previous)

    def generate_create_address(self, sender: Address) -> Address:
        # revm bumps the nonce itself when it deploys; only predict the address here.
        nonce = self.revm.basic(str(sender)).nonce
        return Address(generate_contract_address(sender.canonical_address, nonce))

    def _sync_block(self) -> None:
        if self.patch.dirty:
            self.revm.set_block_env(
                pyrevm.BlockEnv(
                    number=self.patch.block_number,
                    timestamp=self.patch.timestamp,
                    gas_limit=GAS_LIMIT,
                    basefee=0,
                )
            )
            self.patch.dirty = False

    def deploy_code(self, sender, origin, target_address, gas, gas_price, value, bytecode):
        self._sync_block()
        try:
            address = self.revm.deploy(
                str(sender), bytes(bytecode), value=value or None, gas=gas or GAS_LIMIT
            )
        except RuntimeError as exc:
            return RevmComputation(target_address, b"", _failure(exc))
        finally:
            self.revm.reset_transient_storage()
        if to_checksum_address(address) != str(target_address):
            raise RuntimeError(
                f"revm deployed at {address}, titanoboa expected {target_address}: "
                "override_address is not supported on the revm backend"
            )
        result = self.revm.result
        logs = result.logs if result else ()
        return RevmComputation(target_address, self.get_code(target_address), None, logs)

    def execute_code(
        self, sender, to, gas, gas_price, value, bytecode, data, is_static, fake_codesize,
        start_pc, ir_executor, contract,
    ):  # fmt: skip
        if ir_executor is not None or start_pc or fake_codesize is not None:
            raise NotImplementedError(
                "the revm backend runs deployed code only (no boa.eval / internal functions)"
            )
        # titanoboa passes the code it just read with get_code, unless it overrides it.
        if bytecode is not self._code_at.get(str(to)) and bytecode != self.get_code(to):
            raise NotImplementedError("the revm backend cannot run overridden bytecode")
        self._sync_block()
        try:
            output = self.revm.message_call(
                str(sender), str(to), bytes(data), value or None, gas, None, is_static
            )
        except RuntimeError as exc:
            return RevmComputation(to, b"", _failure(exc))
        finally:
            # One message call is one transaction: transient storage does not outlive it.
            self.revm.reset_transient_storage()
        result = self.revm.result
        return RevmComputation(to, bytes(output), None, result.logs if result else ())

    def __getattr__(self, name: str):
        # Only reached for what this backend lacks (forking, boa.deal's `vm`, tracing).
        raise AttributeError(
            f"the revm fuzz backend has no {name!r}; run with RINGFENCE_FUZZ_EVM=pyevm"
        )


def _failure(exc: RuntimeError) -> str:
    """The reason of a failed call: the revert string, or the halt; revm refusing the
    transaction itself is raised, never reported as if the contract had reverted."""
    message = str(exc)
    match = _REVERT_OUTPUT.match(message)
    if match is not None:
        return revert_reason(bytes.fromhex(match.group(1)))
    if message.startswith("Halt"):
        return f"halted: {message}"
    raise RevmTransactionError(f"revm refused the transaction: {message}") from exc


def revm_env(template: Env | None = None) -> Env:
    """A fresh titanoboa ``Env`` whose EVM is revm.

    Block time, number and chain id start where `template` (default: the current
    ``boa.env``) stands, so deployments see the same clock as on py-evm.
    """
    import boa

    template = template or boa.env
    # Env() builds a py-evm of its own (replaced below). Keep its side effects off the
    # other environments: it draws from titanoboa's one shared address generator and
    # wraps py-evm's shared opcode table (SHA3, SSTORE) in one more tracer layer.
    random_state = Env._random.getstate()
    table = getattr(getattr(template, "evm", None), "vm", None)
    table = table.state.computation_class.opcodes if table is not None else {}
    traced = {op: table[op] for op in (0x20, 0x55) if op in table}
    env = Env()
    table.update(traced)
    Env._random.setstate(random_state)
    env.evm = RevmEVM(
        env,
        timestamp=template.evm.patch.timestamp,
        block_number=template.evm.patch.block_number,
        chain_id=template.evm.patch.chain_id,
    )
    _BaseEVMContract.handle_error = _handle_error
    return env
