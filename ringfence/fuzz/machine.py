"""The liquidation-invariant state machine: Ringfence on titanoboa against a Python model.

One :class:`RingfenceMachine` run deploys nothing: the protocol is deployed once per token
kind (:func:`deployment`) and every run works inside a ``boa.env.anchor()`` that rolls it
back. Rules drive every user action, oracle moves, time warps, governance and the guardian;
``@invariant()`` methods check SPEC §4 after every step.

The model (:class:`Model`) is the accounting in plain Python integers: free balances, wallet
balances, vault collateral and legs, pool cash and shares, the insurance fund, and the pool's
book per series. Every rule first *predicts* the outcome from the model and the margin
engine's valuation (``MarginEngine.evaluate``, which the clearing house itself calls), then
acts, then compares. Predictions are exact to the wei; an action either succeeds as
predicted or reverts with one of the messages predicted for it — any other revert fails the
run (an unexpected revert of ``liquidate`` on an unhealthy vault is an invariant-3 breach).
"""

from __future__ import annotations

import collections
import copy
import functools
import os
import re
import sys
from dataclasses import dataclass, field

import boa
from boa.contracts.base_evm_contract import BoaError
from boa.util.abi import Address
from eth.vm.gas_meter import GasMeter
from eth_abi import decode as abi_decode
from eth_hash.auto import keccak
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ringfence.fuzz.revm_evm import revm_env
from ringfence.paths import contract_path
from ringfence.risk_table import (
    DAY,
    DEFAULT_PARAMS,
    ETH,
    WAD,
    clearing_house_deployer,
    engine_deployer,
    params_tuple,
    pool_deployer,
    registry_deployer,
    view_deployer,
)
from ringfence.scenario_loss import ScenarioLeg, ScenarioParams, worst_loss
from ringfence.spread import spread_per_unit

ZERO = "0x0000000000000000000000000000000000000000"
MAX_AGE = 3_600
PARAMS_DELAY = 86_400  # Registry.RISK_PARAMS_DELAY
PARAMS_WINDOW = 7 * 86_400  # Registry.RISK_PARAMS_WINDOW: applied later, a change lapses
LIQUIDATION_DEPOSIT = 0  # base units taken at open, paid to the liquidator (or settler)
STRIKES = (1600, 1800, 2000, 2200, 2400)
TENORS_DAYS = (7, 30)
SPOT0 = 2000 * WAD
VOL0 = 8 * 10**17
POOL_CASH_UNITS = 2_000_000
TRADER_CASH_UNITS = 200_000
OI_CAP = 500 * WAD
MAX_UTILISATION = 5 * WAD
# What a campaign fuzzes: ringfence.risk_table.DEFAULT_PARAMS and MAX_UTILISATION unless
# `use_parameters` (campaign.py --params FILE) replaced them before the first deployment.
FUZZED: dict = {
    "params": dict(DEFAULT_PARAMS),
    "max_utilisation": MAX_UTILISATION,
    "source": "ringfence.risk_table.DEFAULT_PARAMS",
}


def use_parameters(params: dict[str, int], max_utilisation: int, source: str) -> None:
    """Fuzz `params` (RiskParams fields, contract units) and `max_utilisation` (WAD)
    instead of the defaults; only before the first deployment of the process."""
    if _DEPLOYMENTS:
        raise RuntimeError("fuzz parameters must be set before the first deployment")
    if set(params) != set(DEFAULT_PARAMS):
        raise ValueError(f"risk parameters must be exactly {sorted(DEFAULT_PARAMS)}")
    FUZZED.update(params=dict(params), max_utilisation=max_utilisation, source=source)


PPM = 10**12
# Spot may leave the exact Black-Scholes domain of every listed strike (K/S in [1/100, 100]):
# the engine's extension beyond it must value, margin and liquidate there (SPEC 4.3). From
# 2,000: down 99.95 % to 1, up x1,000 to 2,000,000; vols up to 12.5 (a wing vol past the
# library's 10.0).
MIN_SPOT = 1 * WAD
MAX_SPOT = 2_000_000 * WAD
MIN_VOL = 5 * 10**16
MAX_VOL = 125 * WAD // 10
TRADERS = ("trader", "other_trader", "third_trader")
# The EVM the machine runs on: "revm" (pyrevm behind titanoboa, the default: ~50x faster
# per call) or "pyevm" (titanoboa's own py-evm). tests/fuzz/test_revm_evm.py runs the
# same seeded campaign on both and requires identical outcomes.
EVMS = ("revm", "pyevm")
DEFAULT_EVM = os.environ.get("RINGFENCE_FUZZ_EVM", "revm")
GENESIS_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z: the fuzz chains' starting clock
LIQUIDATION_REASONS = {"clearing: healthy position", "clearing: no position", "oracle: stale price"}

INVARIANTS = (
    "isolation",
    "conservation",
    "liquidatable_iff_below_mm",
    "partial_liquidation_leaves_im",
    "loss_bounded_by_collateral",
    "open_and_remove_leave_im",
    "stale_oracle_blocks_risk",
    "settlement_pays_payoff",
    "margin_covers_full_revaluation",
    "model_matches_contracts",
    "no_reentrancy",
)


# ------------------------------------------------------------------------ helpers


def tdiv(a: int, b: int) -> int:
    """Vyper's signed ``//``: the quotient truncated towards zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def payoff(is_call: bool, spot: int, strike: int) -> int:
    return max(spot - strike, 0) if is_call else max(strike - spot, 0)


_REASON = re.compile(r"^\s*([a-z0-9_]+: [^\n<>]+?)\s*$", re.M)


def revert_reasons(error: BoaError) -> set[str]:
    """Every module-prefixed revert message in a boa error's trace.

    titanoboa 0.2.8 on py-evm can fail to render the call trace of a revert that follows a
    successful call returning a dynamic array of structs (the pool's NAV reads the
    registry's `terms_many`, then the engine reverts on a stale oracle): ``str(error)``
    then raises while decoding that frame's output. The stack trace alone still names the
    reason, so it is used instead.
    """
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - any failure of titanoboa's trace formatter
        text = "\n".join(_frame_reasons(error))
    return {m.group(1) for m in _REASON.finditer(text)}


def _frame_reasons(error: BoaError) -> list[str]:
    """The `Error(string)` payload of every reverting frame of a boa error."""
    out = []
    for frame in getattr(error, "stack_trace", None) or []:
        payload = (getattr(getattr(frame, "vm_error", None), "args", None) or ("",))[0]
        if isinstance(payload, bytes) and payload[:4] == bytes.fromhex("08c379a0"):
            (payload,) = abi_decode(["string"], payload[4:])
        out.append(str(payload))
    return out


def spend_reasons(amount: int, free: int) -> set[str]:
    """The revert expected when an account spends `amount` of its free balance `free`
    (withdraw, fund_insurance, add_collateral), or none."""
    if amount == 0:
        return {"clearing: zero amount"}
    if amount > free:
        return {"clearing: insufficient free balance"}
    return set()


# (rule, outcome) -> count: "ok" or the expected revert message; the campaign prints it.
OUTCOMES: collections.Counter = collections.Counter()


class UnexpectedOutcome(AssertionError):
    """The contract did not do what the model predicted."""


def attempt(expected: set[str], call, rule: str | None = None):
    """Run `call`; succeed iff `expected` is empty, else revert with one of `expected`.

    Returns the call's result, or None when it reverted as expected. The outcome is
    counted under `rule` (default: the calling function's name).
    """
    caller = rule or sys._getframe(1).f_code.co_name
    try:
        result = call()
    except BoaError as error:
        reasons = revert_reasons(error)
        OUTCOMES[caller, min(reasons & expected) if reasons & expected else "?"] += 1
        if not expected:
            raise UnexpectedOutcome(f"unexpected revert {sorted(reasons)}\n{error}") from None
        if not reasons & expected:
            raise UnexpectedOutcome(
                f"reverted with {sorted(reasons)}, expected one of {sorted(expected)}"
            ) from None
        return None
    if expected:
        raise UnexpectedOutcome(f"succeeded, expected a revert with one of {sorted(expected)}")
    OUTCOMES[caller, "ok"] += 1
    return result


# ----------------------------------------------------------------- raw storage words


class UncountedGasMeter(GasMeter):
    """py-evm's gas meter without the per-opcode bookkeeping: every call keeps its full
    gas allowance. Nothing the machine checks depends on gas, and py-evm's meter costs a
    Python call per opcode. (boa's own ``NoGasMeter`` cannot be used: nested calls read
    ``gas_remaining``, which it lacks.) Installed only while a machine runs."""

    def consume_gas(self, amount: int, reason: str) -> None:
        pass

    def return_gas(self, amount: int) -> None:
        pass

    def refund_gas(self, amount: int) -> None:
        pass


def _layout_slot(contract, *path: str) -> int:
    """The storage slot of a (module) variable, from the compiler's storage layout."""
    entry = contract.compiler_data.storage_layout["storage_layout"]
    for name in path:
        entry = entry[name]
    return entry["slot"]


def _map_slot(var_slot: int, key: int) -> int:
    """Vyper's HashMap slot: keccak256(slot ++ key), both 32-byte words."""
    return int.from_bytes(keccak(var_slot.to_bytes(32, "big") + key.to_bytes(32, "big")), "big")


def _signed(word: int) -> int:
    return word - (1 << 256) if word >> 255 else word


@dataclass
class Books:
    """The figures `model_matches_contracts` and `conservation` compare after every step."""

    free: list[int]
    wallets: list[int]
    insurance: int
    next_id: int
    locked: int
    paused: bool
    house_cash: int
    pool_cash: int
    lp_shares: int
    supply: int
    probe_successes: int
    owed: int
    claim_head: int
    claim_tail: int


class Storage:
    """Reads the protocol's storage words directly from the EVM state (plain dictionary
    reads, no EVM call), at the slots the compiler's storage layout gives.

    Only variables whose view is a bare getter are read this way (`free_balance` returns
    `_free[account]`, `balanceOf` is the ERC-20 mapping, the series books are `public`),
    and :meth:`RingfenceMachine.check_storage_reads` checks, once per deployment, that
    every figure read here equals its view. Vault words are the packed `position_store`
    slots: they are only compared for equality with themselves (isolation), never
    decoded; a touched vault is read through the `position` view.
    """

    def __init__(self, d: Deployment):
        ch, token, pool, registry = d.ch, d.token, d.pool, d.registry
        self._evm = d.env.evm
        # An account as each engine's storage read wants it: a hex string for revm,
        # the 20 bytes for py-evm.
        key = str if d.evm == "revm" else (lambda address: address.canonical_address)
        self._ch = key(ch.address)
        self._token = key(token.address)
        self._pool = key(pool.address)
        self._registry = key(registry.address)
        self._free = _layout_slot(ch, "_free")
        self._insurance = _layout_slot(ch, "_insurance")
        self._next_id = _layout_slot(ch, "position_store", "next_id")
        self._locked = _layout_slot(pool, "locked_notional")
        self._owed = _layout_slot(pool, "owed")
        self._claim_head = _layout_slot(pool, "claim_head")
        self._claim_tail = _layout_slot(pool, "claim_tail")
        # the registry's config word: max_utilisation | paused << 255
        self._config = _layout_slot(registry, "_config")
        self._balance = _layout_slot(token, "erc20", "balanceOf")
        self._supply = _layout_slot(token, "erc20", "totalSupply")
        self._shares = _layout_slot(pool, "erc4626", "erc20", "balanceOf")
        self._successes = _layout_slot(token, "successes") if d.reentrant else None
        self._house_key = int(ch.address, 16)
        self._pool_key = int(pool.address, 16)
        self._vault_map = _layout_slot(ch, "position_store", "_vault")
        self._legs_map = _layout_slot(ch, "position_store", "_legs")
        self._series_maps = tuple(
            _layout_slot(pool, name)
            for name in ("series_net_size", "series_size_entry", "series_open_legs")
        )
        self._slots: dict[tuple, int] = {}
        self.checked = False  # RingfenceMachine.check_storage_reads has passed
        self._vault_slots: dict[int, tuple[int, ...]] = {}
        self._series_slots: dict[int, tuple[int, ...]] = {}

    def _getter(self):
        """The engine's raw storage read, (account, slot) -> word."""
        if hasattr(self._evm, "revm"):
            return self._evm.revm.storage
        return self._evm.vm.state.get_storage

    def _map(self, var_slot: int, key: int) -> int:
        slot = self._slots.get((var_slot, key))
        if slot is None:
            slot = self._slots[var_slot, key] = _map_slot(var_slot, key)
        return slot

    def books(self, accounts, lp: str) -> Books:
        get = self._getter()
        ch, token = self._ch, self._token
        keys = [int(a, 16) for a in accounts]
        return Books(
            free=[get(ch, self._map(self._free, k)) for k in keys],
            wallets=[get(token, self._map(self._balance, k)) for k in keys],
            insurance=get(ch, self._insurance),
            next_id=get(ch, self._next_id),
            locked=get(self._pool, self._locked),
            paused=bool(get(self._registry, self._config) >> 255),
            house_cash=get(token, self._map(self._balance, self._house_key)),
            pool_cash=get(token, self._map(self._balance, self._pool_key)),
            lp_shares=get(self._pool, self._map(self._shares, int(lp, 16))),
            supply=get(token, self._supply),
            probe_successes=0 if self._successes is None else get(token, self._successes),
            owed=get(self._pool, self._owed),
            claim_head=get(self._pool, self._claim_head),
            claim_tail=get(self._pool, self._claim_tail),
        )

    def vault(self, pid: int) -> tuple[int, ...]:
        """The raw words of vault `pid` (owner | legs | collateral, 4 packed legs)."""
        slots = self._vault_slots.get(pid)
        if slots is None:
            legs = _map_slot(self._legs_map, pid)
            slots = (_map_slot(self._vault_map, pid),)
            slots += tuple(legs + i for i in range(4))
            self._vault_slots[pid] = slots
        get = self._getter()
        return tuple(get(self._ch, slot) for slot in slots)

    def series(self, sid: int) -> tuple[int, int, int]:
        """(series_net_size, series_size_entry, series_open_legs) of `sid`."""
        slots = self._series_slots.get(sid)
        if slots is None:
            slots = self._series_slots[sid] = tuple(_map_slot(m, sid) for m in self._series_maps)
        get = self._getter()
        net, size_entry, open_legs = (get(self._pool, slot) for slot in slots)
        return _signed(net), _signed(size_entry), open_legs


# ---------------------------------------------------------------------- deployment


@functools.cache
def _partial(relative: str):
    return boa.load_partial(str(contract_path(relative)))


@dataclass
class Deployment:
    token: object
    oracle: object
    engine: object
    registry: object
    ch: object
    view: object
    pool: object
    decimals: int
    reentrant: bool
    governance: str
    guardian: str
    lp: str
    liquidator: str
    keeper: str
    traders: tuple[str, ...]
    series: dict[int, tuple[int, int, bool]]  # id -> (strike, expiry, is_call)
    expiries: tuple[int, ...]
    start: int
    env: boa.Env
    evm: str  # "revm" or "pyevm"
    storage: Storage | None = None  # direct storage reads, set once deployed

    @property
    def scale(self) -> int:
        return 10 ** (18 - self.decimals)

    def units(self, amount: int) -> int:
        return amount * 10**self.decimals


def fuzz_env(evm: str | None = None) -> boa.Env:
    """The titanoboa environment the machines run in, one per engine (default
    :data:`DEFAULT_EVM`), apart from ``boa.env`` so the unit tests' state and the
    campaign's never mix."""
    return _fuzz_env(evm or DEFAULT_EVM)


@functools.cache
def _fuzz_env(evm: str) -> boa.Env:
    if evm not in EVMS:
        raise ValueError(f"unknown fuzz EVM {evm!r}: expected one of {', '.join(EVMS)}")
    if evm == "revm":
        env = revm_env()
    else:
        env = boa.Env()
        env.enable_fast_mode()
    # A fixed clock: a seed replays the same campaign whenever and on whichever engine.
    env.evm.patch.timestamp = GENESIS_TIME
    env.evm.patch.block_number = 1
    return env


_DEPLOYMENTS: dict[tuple[int, bool, str], Deployment] = {}


def deployment(decimals: int = 6, reentrant: bool = False, evm: str | None = None):
    """The protocol on the aging oracle mock, deployed once per (decimals, token kind,
    engine) in that engine's :func:`fuzz_env`.

    Deployed again if an enclosing snapshot has rolled the cached one back (boa's pytest
    plugin anchors every test, so a deployment made inside a test is gone after it).
    """
    key = (decimals, reentrant, evm or DEFAULT_EVM)
    d = _DEPLOYMENTS.get(key)
    if d is None or not d.env.get_code(d.pool.address):
        with boa.swap_env(fuzz_env(key[2])):
            d = _DEPLOYMENTS[key] = _deploy(*key)
    return d


def _deploy(decimals: int, reentrant: bool, evm: str) -> Deployment:
    def role(name: str) -> str:
        # The same account on every engine and in every process (titanoboa's
        # generate_address draws from one generator shared by all environments).
        account = Address(keccak(f"ringfence fuzz {name}".encode())[-20:])
        boa.env.alias(account, name)
        return account

    governance, guardian, lp = role("governance"), role("guardian"), role("lp")
    liquidator, keeper = role("liquidator"), role("keeper")
    traders = tuple(role(name) for name in TRADERS)
    with boa.env.prank(governance):
        if reentrant:
            token = _partial("mocks/reentrant_token_mock.vy").deploy("Evil USD", "eUSD", decimals)
        else:
            token = _partial("mocks/MockToken.vy").deploy("Mock USD", "mUSD", decimals)
        oracle = _partial("mocks/aging_oracle_mock.vy").deploy(MAX_AGE)
        engine = engine_deployer().deploy(oracle.address)
        registry = registry_deployer().deploy(guardian, FUZZED["max_utilisation"])
        ch = clearing_house_deployer().deploy(
            token.address, engine.address, registry.address, LIQUIDATION_DEPOSIT
        )
        view = view_deployer().deploy(ch.address, registry.address)
        pool = pool_deployer().deploy(
            token.address, ch.address, registry.address, engine.address, "Ringfence LP", "rfLP"
        )
        ch.set_pool(pool.address)
        registry.set_risk_params(ETH, params_tuple(FUZZED["params"]))
        now = boa.env.evm.patch.timestamp
        oracle.set_price(ETH, SPOT0)
        expiries = tuple(now + days * DAY for days in TENORS_DAYS)
        series = {}
        for expiry in expiries:
            oracle.set_vol(ETH, expiry, VOL0)
            for strike in STRIKES:
                for is_call in (True, False):
                    sid = registry.list_series(ETH, strike * WAD, expiry, is_call, OI_CAP)
                    series[sid] = (strike * WAD, expiry, is_call)
    d = Deployment(
        token, oracle, engine, registry, ch, view, pool, decimals, reentrant, governance,
        guardian, lp,
        liquidator, keeper, traders, series, expiries, now, boa.env, evm,
    )  # fmt: skip
    d.storage = Storage(d)
    cash = d.units(POOL_CASH_UNITS)
    token.mint(lp, 2 * cash)
    with boa.env.prank(lp):
        token.approve(pool.address, 2**256 - 1)
        pool.deposit(cash, lp)
    for account in (*traders, liquidator, keeper):
        token.mint(account, d.units(TRADER_CASH_UNITS))
        with boa.env.prank(account):
            token.approve(ch.address, 2**256 - 1)
    if reentrant:
        # Every token movement the clearing house makes calls back into it with a call
        # that succeeds whenever the clearing house is not locked: liquidate_many([]).
        probe = ch.liquidate_many.prepare_calldata([])
        token.arm(ch.address, ch.address, probe)
    return d


# --------------------------------------------------------------------------- model


@dataclass
class Vault:
    owner: str
    collateral: int
    legs: list[list]  # [series_id, size, entry]


@dataclass
class Model:
    """The accounting, in base units of the quote token (book sizes and entries in WAD)."""

    wallet: dict[str, int] = field(default_factory=dict)
    free: dict[str, int] = field(default_factory=dict)
    vaults: dict[int, Vault] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    next_id: int = 1
    insurance: int = 0
    pool_cash: int = 0
    shares: dict[str, int] = field(default_factory=dict)
    net: dict[int, int] = field(default_factory=dict)
    size_entry: dict[int, int] = field(default_factory=dict)
    open_legs: dict[int, int] = field(default_factory=dict)
    locked: int = 0
    params: dict[str, int] = field(default_factory=lambda: dict(FUZZED["params"]))
    max_utilisation: int = field(default_factory=lambda: FUZZED["max_utilisation"])
    paused: bool = False
    spot: int = SPOT0
    updated: int = 0
    settlement: dict[int, int] = field(default_factory=dict)
    # The pool's claims: gains it could not pay when realised, owed in FIFO order.
    owed: int = 0
    claims: list[list] = field(default_factory=list)  # unpaid [account, amount], oldest first
    claim_tail: int = 0
    # A queued risk-parameter change (params, effective_at) or None; the spot breaker.
    pending: tuple[dict, int] | None = None
    held: bool = False
    # The LP's requests not yet executed: id -> LpRequest (kind, amount, quoted, mature);
    # `pool_cash` excludes the assets of pending deposits, `pending_assets` totals them.
    lp_requests: dict[int, LpRequest] = field(default_factory=dict)
    pending_assets: int = 0
    reserved: int = 0  # LiquidityPool.reserved_assets: set aside for pending redemptions


@dataclass
class LpRequest:
    """An LP's deposit or redemption request as the model tracks it."""

    is_deposit: bool
    amount: int  # assets (deposit) or shares (redemption)
    quoted: int  # shares (deposit) or assets (redemption) at the request
    mature: int
    reserved: int = 0  # a redemption's share of the pool's reserved_assets


@dataclass
class Flow:
    """The outcome of `_wind_down` as the model computes it."""

    returned: int = 0
    shortfall: int = 0
    reward: int = 0
    fee: int = 0
    pool_out: int = 0
    pool_in: int = 0


# ------------------------------------------------------------------------- machine


class RingfenceMachine(RuleBasedStateMachine):
    """Every user action, oracle move and governance change; SPEC §4 after every step."""

    DECIMALS = 6
    REENTRANT = False
    EVM: str | None = None  # None: DEFAULT_EVM

    def __init__(self):
        super().__init__()
        self.d = deployment(self.DECIMALS, self.REENTRANT, self.EVM)
        # Every rule says `boa.env`: point it at the deployment's environment for the run.
        self._outer_env = boa.env
        boa.set_env(self.d.env)
        # boa's anchor by hand (a generator held across steps would be closed by the GC at
        # a random time): the EVM journal snapshot plus the block patch (timestamp).
        self._snapshot = boa.env.evm.snapshot()
        self._timestamp = boa.env.evm.patch.timestamp
        self._block = boa.env.evm.patch.block_number
        d = self.d
        self.scale = d.scale
        m = self.m = Model()
        m.pool_cash = d.units(POOL_CASH_UNITS)
        m.shares[d.lp] = d.pool.balanceOf(d.lp)
        m.updated = d.oracle.last_update(ETH)
        self.actors = (*d.traders, d.liquidator, d.keeper, d.lp, d.governance, d.guardian)
        for a in self.actors:
            m.wallet[a] = d.token.balanceOf(a)
            m.free[a] = 0
        # The vaults the current step touched: read through the `position` view and
        # compared to the model; every other vault must be bit-for-bit unchanged.
        self.dirty_vaults: set[int] = set()
        # vault id -> its raw storage words when last compared through the view.
        self._vault_words: dict[int, tuple] = {}
        self.steps = 0
        self.stale_attempts = 0
        # Bumped by every oracle write (spot, vol, smile, settlement price).
        self.oracle_version = 0
        # This step's storage reads (every invariant shares them); None = not read yet.
        self._reads = None
        # vault id -> the inputs of its last `liquidatable_iff_below_mm` check.
        self._liquidatable_checked: dict[int, tuple] = {}
        self._margin_checked: dict[int, tuple] = {}
        # vault id -> (valuation_key, health) of its last `health` read.
        self._health: dict[int, tuple] = {}
        self._gas_meter_class = boa.env.get_gas_meter_class()
        boa.env.set_gas_meter_class(UncountedGasMeter)
        if not d.storage.checked:
            try:
                self.check_storage_reads()
            except BaseException:
                # hypothesis does not tear down a machine whose __init__ failed
                self.teardown()
                raise
            d.storage.checked = True

    def teardown(self):
        boa.env.set_gas_meter_class(self._gas_meter_class)
        boa.env.evm.revert(self._snapshot)
        boa.env.evm.patch.timestamp = self._timestamp
        boa.env.evm.patch.block_number = self._block
        boa.set_env(self._outer_env)

    # ------------------------------------------------------------- views of the model

    def now(self) -> int:
        return boa.env.evm.patch.timestamp

    def fresh(self) -> bool:
        return self.now() <= self.m.updated + MAX_AGE

    def params(self) -> tuple:
        """The registry's risk parameters of ETH, as `MarginEngine.evaluate` takes them."""
        return self.d.registry.risk_params(ETH)

    def evaluate(self, legs):
        """The engine's valuation of legs [(series_id, size)], or None when stale."""
        if not self.fresh():
            return None
        priced = [(self.d.series[sid], size) for sid, size in legs]
        return self.d.engine.evaluate(ETH, priced, self.params())

    def valuation_key(self, pid: int) -> tuple:
        """Everything `health(pid)` and `is_liquidatable(pid)` depend on: the vault (which
        `model_matches_contracts` ties to storage every step), the oracle (every write bumps
        `oracle_version`), the risk parameters, and the block time (and so staleness)."""
        m = self.m
        v = m.vaults.get(pid)
        vault = None if v is None else (v.owner, v.collateral, tuple(map(tuple, v.legs)))
        params = tuple(sorted(m.params.items()))
        return (self.fresh(), self.now(), self.oracle_version, params, vault)

    def health(self, pid: int) -> tuple[int, int, int]:
        """`ClearingHouse.health(pid)`, re-read only when `valuation_key(pid)` changed."""
        key = self.valuation_key(pid)
        cached = self._health.get(pid)
        if cached is None or cached[0] != key:
            cached = self._health[pid] = (key, tuple(self.d.ch.health(pid)))
        return cached[1]

    def pnl_at(self, legs, marks) -> int:
        return sum((size * (marks[i] - entry)) // WAD for i, (_, size, entry) in enumerate(legs))

    def book_active(self) -> bool:
        """Whether the pool's book has an open leg (its NAV then reads the oracle)."""
        return any(self.m.open_legs.values())

    def solvent(self) -> bool:
        """`LiquidityPool._solvent`: a positive NAV, or a fresh pool (no share, no cash, no
        claim, no open leg). Reads the NAV: only with a fresh oracle or an empty book."""
        if self.d.pool.totalAssets() > 0:
            return True
        m = self.m
        fresh = m.pool_cash == 0 and m.owed == 0 and not self.book_active()
        return self.d.pool.totalSupply() == 0 and fresh

    def unreserved(self) -> int:
        """The pool's cash above the outstanding claims (`LiquidityPool.available_cash`)."""
        return max(self.m.pool_cash - self.m.owed, 0)

    def pay_gain(self, gain: int, owner: str) -> int:
        """`LiquidityPool.book`'s payment: the pool pays what its cash above older claims
        allows, the rest is queued as `owner`'s claim. Returns what was paid now."""
        m = self.m
        paid = min(gain, self.unreserved())
        m.pool_cash -= paid
        if paid < gain:
            m.owed += gain - paid
            m.claims.append([owner, gain - paid])
            m.claim_tail += 1
            OUTCOMES["(pool)", "claim queued"] += 1
        return paid

    def gain_tokens(self, pnl: int) -> int:
        return pnl // self.scale if pnl > 0 else 0

    def loss_tokens(self, pnl: int) -> int:
        return -(pnl // self.scale) if pnl < 0 else 0  # ceil(-pnl / scale)

    # ------------------------------------------------------------- book bookkeeping

    def _book_set(self, sid: int, old_net: int, new_net: int, delta: int) -> None:
        strike = self.d.series[sid][0]
        self.m.net[sid] = new_net
        self.m.size_entry[sid] = self.m.size_entry.get(sid, 0) + delta
        self.m.locked += abs(new_net) * strike // WAD - abs(old_net) * strike // WAD

    def book_add(self, sid: int, size: int, entry: int) -> None:
        old = self.m.net.get(sid, 0)
        self._book_set(sid, old, old + size, tdiv(size * entry, WAD))
        self.m.open_legs[sid] = self.m.open_legs.get(sid, 0) + 1

    def book_remove(self, sid: int, size: int, entry: int) -> None:
        old = self.m.net.get(sid, 0)
        self._book_set(sid, old, old - size, -tdiv(size * entry, WAD))
        self.m.open_legs[sid] -= 1

    def book_resize(self, sid: int, old_size: int, new_size: int, entry: int) -> None:
        old = self.m.net.get(sid, 0)
        delta = tdiv(new_size * entry, WAD) - tdiv(old_size * entry, WAD)
        self._book_set(sid, old, old - old_size + new_size, delta)

    def wind_down(self, owner, collateral, pnl, reward, fee, liquidator) -> Flow:
        """`ClearingHouse._wind_down`, step by step, applied to the model."""
        m = self.m
        f = Flow()
        cash = collateral
        to_pool = debt = 0
        gain = self.gain_tokens(pnl)
        if gain:
            paid = self.pay_gain(gain, owner)
            f.pool_out += paid
            cash += paid
        loss = self.loss_tokens(pnl)
        if loss:
            to_pool = min(cash, loss)
            cash -= to_pool
            debt = loss - to_pool
        # reward and fee only out of what the vault still holds (never bad debt)
        f.reward = min(cash, reward)
        cash -= f.reward
        f.fee = min(cash, fee)
        cash -= f.fee
        f.shortfall = debt
        insurance = m.insurance + f.fee
        cover = min(insurance, debt)
        m.insurance = insurance - cover
        to_pool += cover
        if to_pool:
            m.pool_cash += to_pool
            f.pool_in += to_pool
        if f.reward:
            m.free[liquidator] += f.reward
        f.returned = cash
        m.free[owner] += cash
        return f

    def drop_vault(self, pid: int) -> Vault:
        self.dirty_vaults.add(pid)
        v = self.m.vaults.pop(pid)
        self.m.gone.add(pid)
        return v

    # ------------------------------------------------------------------ strategies

    def pick_vault(self, data):
        if not self.m.vaults:
            return None
        pid = data.draw(st.sampled_from(sorted(self.m.vaults)), label="position_id")
        self.dirty_vaults.add(pid)
        return pid

    # ====================================================================== rules

    @initialize(
        seeds=st.lists(st.integers(0, TRADER_CASH_UNITS // 2), min_size=3, max_size=3),
    )
    def seed_free_balances(self, seeds):
        """Each trader starts with a free balance (whole units), so most opens can happen."""
        for trader, amount in zip(self.d.traders, seeds, strict=True):
            if amount:
                self._deposit(trader, self.d.units(amount))

    def _deposit(self, actor: str, amount: int) -> None:
        expected = set()
        if amount == 0:
            expected.add("clearing: zero amount")
        if amount > self.m.wallet[actor]:
            expected.add("erc20: transfer amount exceeds balance")
        with boa.env.prank(actor):
            done = attempt(expected, lambda: self.d.ch.deposit(amount))
        if not expected:
            self.m.wallet[actor] -= amount
            self.m.free[actor] += amount
        return done

    @rule(data=st.data(), amount=st.one_of(st.just(0), st.just(1), st.integers(0, 10**12)))
    def deposit(self, data, amount):
        actor = data.draw(st.sampled_from((*self.d.traders, self.d.liquidator)), label="actor")
        self._deposit(actor, amount)

    @rule(data=st.data(), mode=st.sampled_from(["zero", "one", "all", "all+1", "some"]))
    def withdraw(self, data, mode):
        actor = data.draw(st.sampled_from(self.actors), label="actor")
        free = self.m.free[actor]
        amount = {"zero": 0, "one": 1, "all": free, "all+1": free + 1}.get(mode)
        if amount is None:
            amount = data.draw(st.integers(0, max(free, 1)), label="amount")
        expected = spend_reasons(amount, free)
        with boa.env.prank(actor):
            attempt(expected, lambda: self.d.ch.withdraw(amount))
        if not expected:
            self.m.free[actor] -= amount
            self.m.wallet[actor] += amount

    @rule(data=st.data())
    def fund_insurance(self, data):
        funded = [t for t in self.d.traders if self.m.free[t]] or list(self.d.traders)
        actor = data.draw(st.sampled_from(funded), label="actor")
        free = self.m.free[actor]
        amount = data.draw(st.integers(0, min(free, self.d.units(1_000)) + 1), label="amount")
        expected = spend_reasons(amount, free)
        with boa.env.prank(actor):
            attempt(expected, lambda: self.d.ch.fund_insurance(amount))
        if not expected:
            self.m.free[actor] -= amount
            self.m.insurance += amount

    # ---------------------------------------------------------------- positions

    def _draw_size(self, data, tradeable: bool = False) -> int:
        min_size = self.m.params["min_size"]
        # Mostly tradeable sizes; dust, sub-minimum and cap-sized ones a fifth of the time.
        kinds = ["normal"] * 8 + ["small"] * 2 + ["dust", "below_min", "cap"]
        if tradeable:
            kinds = ["normal"] * 3 + ["small"]
        kind = data.draw(st.sampled_from(kinds))
        if kind == "dust":
            size = min_size
        elif kind == "below_min":
            size = data.draw(st.integers(1, max(min_size - 1, 1)))
        elif kind == "small":
            size = data.draw(st.integers(min_size, 10 * min_size))
        elif kind == "normal":
            size = data.draw(st.integers(10**16, 20 * WAD))
        else:
            size = data.draw(st.sampled_from([OI_CAP, OI_CAP + 1, OI_CAP // 2]))
        return size if data.draw(st.booleans(), label="long") else -size

    @rule(data=st.data())
    def open_position(self, data):
        """Any open: sizes from below the minimum to the cap, collateral from 1 wei to
        rich, any listed series (expired too), any max_cost."""
        self._open(data, tradeable=False)

    @rule(data=st.data())
    def open_tradeable_position(self, data):
        """The open a trader would send: live series (any listed series once every expiry
        has passed, and then it is refused), tradeable sizes, collateral at or
        above IM (deposited first if the free balance is short), max_cost at least the
        cost. It can still be refused (pause, stale oracle, caps, utilisation); what it
        adds is a steady supply of vaults for the liquidation, close and settle rules."""
        self._open(data, tradeable=True)

    @rule(data=st.data())
    def open_pod_near_expiry_long(self, data):
        """A pod of a long in the nearest live expiry beside 1-3 shorts: the vault whose
        margin a Greek expansion let a near-expiry long's gamma cancel."""
        self._open(data, tradeable=True, pod=True)

    @initialize(data=st.data(), count=st.integers(1, 3))
    def open_initial_book(self, data, count):
        """Every run starts with one to three tradeable vaults."""
        for _ in range(count):
            self._open(data, tradeable=True)

    def _open(self, data, tradeable: bool, pod: bool = False):
        d, m = self.d, self.m
        now = self.now()
        owner = data.draw(st.sampled_from(d.traders), label="owner")
        n = data.draw(st.integers(1, 4), label="n_legs")
        listed = sorted(d.series)
        if tradeable:
            listed = [sid for sid in listed if d.series[sid][1] > now] or listed
            n = min(n, len(listed))
        sids = data.draw(
            st.lists(st.sampled_from(listed), min_size=n, max_size=n, unique=True),
            label="series",
        )
        legs = [(sid, self._draw_size(data, tradeable)) for sid in sids]
        if pod and len(legs) > 1:
            # the margin attack: a small long in the nearest expiry beside larger shorts
            nearest = min(d.series[sid][1] for sid in listed)
            near = [sid for sid in listed if d.series[sid][1] == nearest and sid not in sids]
            if near:
                long_sid = data.draw(st.sampled_from(near), label="near_long")
                legs = [(long_sid, abs(legs[0][1]))] + [(sid, -abs(sz)) for sid, sz in legs[1:]]
        expected = set()
        if m.paused:
            expected.add("clearing: paused")
        if m.held:
            expected.add("clearing: breaker held")
        for _, size in legs:
            if abs(size) < m.params["min_size"]:
                expected.add("clearing: size below minimum")
        for sid, _ in legs:
            if d.series[sid][1] <= now:
                expected.add("clearing: series expired")
        pr = None
        if not expected:
            pr = self.evaluate(legs)
            if pr is None:
                expected.add("oracle: stale price")
        cost = 0
        entries = []
        if pr is not None:
            spread_vol = m.params["spread_vol"]
            for i, (_, size) in enumerate(legs):
                spread = spread_per_unit(spread_vol, pr.vegas[i], pr.deltas[i], pr.spot)
                mark = pr.marks[i]
                entry = mark + spread if size > 0 else mark - min(spread, mark)
                entries.append(entry)
                cost += abs(size) * abs(entry - mark) // WAD
        cost_tokens = -(-cost // self.scale)
        need = -(-(cost + (pr.initial if pr else 0)) // self.scale)
        modes = ["rich"] * 4 + ["im+1", "im"] * 2 + ["one_wei", "im-1", "all_free"]
        if tradeable:
            modes = ["rich", "rich", "im", "im+1"]
        mode = data.draw(st.sampled_from(modes), label="collateral")
        collateral = {
            "one_wei": 1,
            "im-1": max(need - 1, 0),
            "im": need,
            "im+1": need + 1,
            "rich": 3 * need + d.units(10),
            "all_free": m.free[owner],
        }[mode]
        max_costs = [2**256 - 1] * 4 + [cost_tokens] * 2 + [max(cost_tokens - 1, 0)]
        if tradeable:
            max_costs = [2**256 - 1, cost_tokens]
        max_cost = data.draw(st.sampled_from(max_costs), label="max_cost")
        if tradeable and collateral > m.free[owner]:
            # Deposit the difference first, as a trader would (if the wallet has it).
            self._deposit(owner, min(collateral - m.free[owner], m.wallet[owner]))
        if pr is not None:
            if cost_tokens > max_cost:
                expected.add("clearing: cost above max")
            # equity at mark as `health` computes it: each leg's spread rounded down
            opened = [(s, size, e) for (s, size), e in zip(legs, entries, strict=True)]
            if collateral * self.scale + self.pnl_at(opened, pr.marks) < pr.initial:
                expected.add("clearing: collateral below initial margin")
            locked = m.locked
            nets = dict(m.net)
            for sid, size in legs:
                old = nets.get(sid, 0)
                new = old + size
                if abs(new) > abs(old) and abs(new) > OI_CAP:
                    expected.add("pool: open interest cap")
                strike = d.series[sid][0]
                locked += abs(new) * strike // WAD - abs(old) * strike // WAD
                nets[sid] = new
            # the cash claims and pending redemptions reserve backs no new exposure
            cash = max(m.pool_cash - m.owed - m.reserved, 0)
            if locked > m.locked and locked > cash * self.scale * m.max_utilisation // WAD:
                expected.add("pool: utilisation")
            if collateral > m.free[owner]:
                expected.add("clearing: insufficient free balance")
            if collateral == 0:
                # Every vault holds collateral: even when its IM rounds to 0 base units
                # (a dust long far out of the money), open takes a non-zero amount.
                # Found by `campaign.py --seed 2026` (regressions/..._standard6_2026.py).
                expected.add("clearing: zero amount")
        with boa.env.prank(owner):
            pid = attempt(
                expected,
                lambda: d.ch.open_position(list(legs), collateral, max_cost),
                "open_tradeable_position" if tradeable else "open_position",
            )
        if expected:
            return
        assert pid == m.next_id, "position ids must be sequential and never reused"
        m.next_id += 1
        m.free[owner] -= collateral
        vault_legs = []
        for (sid, size), entry in zip(legs, entries, strict=True):
            self.book_add(sid, size, entry)
            vault_legs.append([sid, size, entry])
        m.vaults[pid] = Vault(owner, collateral, vault_legs)
        self.dirty_vaults.add(pid)
        # SPEC 4.6: the opened vault has equity >= IM.
        equity, initial, _ = self.health(pid)
        assert equity >= initial, f"open left equity {equity} < IM {initial}"

    @rule(data=st.data(), mode=st.sampled_from(["one_wei", "some", "all_free", "zero"]))
    def add_collateral(self, data, mode):
        pid = self.pick_vault(data)
        if pid is None:
            return
        d, m = self.d, self.m
        v = m.vaults[pid]
        caller = data.draw(st.sampled_from([v.owner, v.owner, d.liquidator]), label="caller")
        free = m.free[caller]
        amount = {"one_wei": 1, "all_free": free, "zero": 0}.get(mode)
        if amount is None:
            amount = data.draw(st.integers(1, max(free, 1)), label="amount")
        expected = {"clearing: not owner"} if caller != v.owner else spend_reasons(amount, free)
        with boa.env.prank(caller):
            attempt(expected, lambda: d.ch.add_collateral(pid, amount))
        if not expected:
            m.free[caller] -= amount
            v.collateral += amount

    @rule(data=st.data(), offset=st.sampled_from([-1, 0, 1]))
    def top_up_to_maintenance(self, data, offset):
        """Adversarial: bring an unhealthy vault to equity == MM (+- one base unit)."""
        pid = self.pick_vault(data)
        if pid is None or not self.fresh():
            return
        d, m = self.d, self.m
        v = m.vaults[pid]
        equity, _, mm = self.health(pid)
        if equity >= mm:
            return
        amount = -(-(mm - equity) // self.scale) + offset
        if amount <= 0 or amount > m.free[v.owner]:
            return
        with boa.env.prank(v.owner):
            d.ch.add_collateral(pid, amount)
        m.free[v.owner] -= amount
        v.collateral += amount

    @rule(data=st.data(), mode=st.sampled_from(["one_wei", "to_im", "to_im+1", "some", "all"]))
    def remove_collateral(self, data, mode):
        pid = self.pick_vault(data)
        if pid is None:
            return
        d, m = self.d, self.m
        v = m.vaults[pid]
        caller = data.draw(st.sampled_from([v.owner, v.owner, d.keeper]), label="caller")
        legs = [(sid, size) for sid, size, _ in v.legs]
        pr = self.evaluate(legs)
        pnl = self.pnl_at(v.legs, pr.marks) if pr is not None else 0
        room = 0
        if pr is not None:
            room = max((v.collateral * self.scale + pnl - pr.initial) // self.scale, 0)
        amount = {
            "one_wei": 1,
            "to_im": room,
            "to_im+1": room + 1,
            "all": v.collateral,
        }.get(mode)
        if amount is None:
            amount = data.draw(st.integers(0, max(v.collateral, 1)), label="amount")
        expected = set()
        # the order of the clearing house's checks: the caller and the amount first, then
        # the pause flag (read with the vault's listing), the breaker, the oracle, IM
        if caller != v.owner:
            expected.add("clearing: not owner")
        elif amount == 0:
            expected.add("clearing: zero amount")
        elif amount > v.collateral:
            expected.add("clearing: above collateral")
        elif m.paused:
            expected.add("clearing: paused")
        elif m.held:
            expected.add("clearing: breaker held")
        elif pr is None:
            expected.add("oracle: stale price")
            self.stale_attempts += 1
        elif (v.collateral - amount) * self.scale + pnl < pr.initial:
            expected.add("clearing: below initial margin")
        with boa.env.prank(caller):
            attempt(expected, lambda: d.ch.remove_collateral(pid, amount))
        if expected:
            return
        v.collateral -= amount
        m.free[caller] += amount
        equity, initial, _ = self.health(pid)
        assert equity >= initial, f"remove_collateral left equity {equity} < IM {initial}"

    @rule(data=st.data(), tight=st.booleans())
    def close_position(self, data, tight):
        pid = self.pick_vault(data)
        if pid is None:
            return
        d, m = self.d, self.m
        v = m.vaults[pid]
        caller = data.draw(st.sampled_from([v.owner, v.owner, d.liquidator]), label="caller")
        pr = self.evaluate([(sid, size) for sid, size, _ in v.legs])
        expected = set()
        pnl = cost = 0
        if caller != v.owner:
            expected.add("clearing: not owner")
        elif m.held:
            expected.add("clearing: breaker held")
        elif pr is None:
            expected.add("oracle: stale price")
        else:
            spread_vol = m.params["spread_vol"]
            for i, (_, size, entry) in enumerate(v.legs):
                spread = spread_per_unit(spread_vol, pr.vegas[i], pr.deltas[i], pr.spot)
                mark = pr.marks[i]
                exit_ = mark - min(spread, mark) if size > 0 else mark + spread
                cost += abs(size) * abs(mark - exit_) // WAD
                pnl += (size * (exit_ - entry)) // WAD  # floored, as payoff._pnl
        cost_tokens = -(-cost // self.scale)
        max_cost = max(cost_tokens - 1, 0) if tight else cost_tokens
        if not expected and cost_tokens > max_cost:
            expected.add("clearing: cost above max")
        owner_free = m.free[v.owner]
        with boa.env.prank(caller):
            got = attempt(expected, lambda: d.ch.close_position(pid, max_cost))
        if expected:
            return
        assert got == pnl, f"close pnl {got} != model {pnl}"
        for sid, size, entry in v.legs:
            self.book_remove(sid, size, entry)
        self.drop_vault(pid)
        flow = self.wind_down(v.owner, v.collateral, pnl, 0, 0, ZERO)
        # SPEC 4.5: the owner's free balance is never debited by a vault's loss.
        assert m.free[v.owner] >= owner_free
        assert flow.returned <= v.collateral + self.gain_tokens(pnl)

    def _predict_liquidation(self, pid: int):
        """(expected reasons, fraction, plan) for liquidating `pid` now."""
        m = self.m
        if pid not in m.vaults:
            return {"clearing: no position"}, 0, None
        v = m.vaults[pid]
        pr = self.evaluate([(sid, size) for sid, size, _ in v.legs])
        if pr is None:
            return {"oracle: stale price"}, 0, None
        pnl = self.pnl_at(v.legs, pr.marks)
        equity = v.collateral * self.scale + pnl
        if equity >= pr.maintenance:
            return {"clearing: healthy position"}, 0, None
        p = m.params
        reward_rate = p["liquidation_reward"] // PPM * PPM
        fee_rate = p["insurance_fee"] // PPM * PPM
        buffer = 4 * self.scale + pr.initial // 10**6
        base = pr.maintenance * (reward_rate + fee_rate) // WAD
        if pr.initial <= base or equity <= 0:
            fraction = WAD
        else:
            need = pr.initial + buffer - equity
            fraction = 0 if need <= 0 else min(-(-need * WAD // (pr.initial - base)), WAD)
        assert fraction != 0, "an unhealthy vault must need some liquidation"
        if fraction < WAD:
            closed = []
            ok = True
            part_pnl = 0
            for i, (_, size, entry) in enumerate(v.legs):
                part = -(-abs(size) * fraction // WAD)
                if abs(size) - part < p["min_size"]:
                    ok = False
                    break
                c = part if size > 0 else -part
                closed.append(c)
                part_pnl += (c * (pr.marks[i] - entry)) // WAD
            if ok:
                charged = pr.maintenance * fraction // WAD
                reward = charged * reward_rate // WAD // self.scale
                fee = charged * fee_rate // WAD // self.scale
                gain, loss = self.gain_tokens(part_pnl), self.loss_tokens(part_pnl)
                # the closed part's gain must be paid now (else the whole vault goes)
                if v.collateral + gain >= loss + reward + fee and gain <= self.unreserved():
                    plan = ("partial", closed, part_pnl, reward, fee, gain, loss)
                    return set(), fraction, plan
        reward = pr.maintenance * reward_rate // WAD // self.scale
        fee = pr.maintenance * fee_rate // WAD // self.scale
        return set(), WAD, ("full", pnl, reward, fee)

    def _apply_liquidation(self, pid: int, plan, liquidator: str) -> None:
        m = self.m
        self.dirty_vaults.add(pid)
        v = m.vaults[pid]
        owner_free = m.free[v.owner]
        if plan[0] == "partial":
            _, closed, part_pnl, reward, fee, gain, loss = plan
            for leg, c in zip(v.legs, closed, strict=True):
                sid, size, entry = leg
                self.book_resize(sid, size, size - c, entry)
                leg[1] = size - c
            v.collateral = v.collateral + gain - loss - reward - fee
            m.pool_cash += loss - gain
            m.free[liquidator] += reward
            m.insurance += fee
            # SPEC 4.4: the rest of the vault has equity >= IM.
            equity, initial, _ = self.health(pid)
            assert equity >= initial, f"partial liquidation left equity {equity} < IM {initial}"
        else:
            _, pnl, reward, fee = plan
            for sid, size, entry in v.legs:
                self.book_remove(sid, size, entry)
            self.drop_vault(pid)
            self.wind_down(v.owner, v.collateral, pnl, reward, fee, liquidator)
        if liquidator != v.owner:
            assert m.free[v.owner] >= owner_free, "SPEC 4.5: owner's free balance debited"

    @rule(data=st.data(), any_id=st.sampled_from([False, False, False, True]))
    def liquidate(self, data, any_id):
        d = self.d
        if any_id or not self.m.vaults:
            pid = data.draw(st.integers(0, self.m.next_id + 1), label="position_id")
        else:
            pid = self.pick_vault(data)
        caller = data.draw(st.sampled_from(self.actors), label="liquidator")
        expected, fraction, plan = self._predict_liquidation(pid)
        if expected == {"oracle: stale price"}:
            self.stale_attempts += 1
        with boa.env.prank(caller):
            got = attempt(expected, lambda: d.ch.liquidate(pid))
        if expected:
            return
        assert got == fraction, f"liquidated fraction {got} != model {fraction}"
        self._apply_liquidation(pid, plan, caller)

    @rule(data=st.data())
    def liquidate_many(self, data):
        """A keeper's batch: every id on its own (SPEC 4.3). An id that is not open or is
        healthy is passed over; one that cannot be valued (a stale oracle) is skipped with
        `BatchSkipped`; the others are liquidated in list order, whatever that order is."""
        d, m = self.d, self.m
        ids = data.draw(
            st.lists(st.integers(0, m.next_id), max_size=6, unique=True), label="position_ids"
        )
        live = [pid for pid in ids if pid in m.vaults]
        with boa.env.prank(d.keeper):
            got = attempt(set(), lambda: d.ch.liquidate_many(ids))
        skipped = self._skipped(d.ch)
        done = 0
        stale = []
        # Vaults are independent (SPEC 4.1): each is predicted from its own pre-state,
        # in list order, with the pool's cash and claims threaded through the model.
        for pid in live:
            reasons, _, plan = self._predict_liquidation(pid)
            if reasons == {"oracle: stale price"}:
                stale.append(pid)
                self.stale_attempts += 1
            elif not reasons:
                self._apply_liquidation(pid, plan, d.keeper)
                done += 1
        assert got == done, f"liquidate_many liquidated {got}, model {done}"
        assert skipped == stale, f"skipped {skipped}, model {stale}"

    @staticmethod
    def _skipped(ch) -> list[int]:
        """The ids the last batch call logged as `BatchSkipped`, in order."""
        return [e.position_id for e in ch.get_logs() if type(e).__name__ == "BatchSkipped"]

    def _settle_pnl(self, v: Vault):
        """(reasons, pnl) of settling `v` now."""
        pnl = 0
        for sid, size, entry in v.legs:
            strike, expiry, is_call = self.d.series[sid]
            if expiry > self.now():
                return {"clearing: not expired"}, 0
            price = self.m.settlement.get(expiry, 0)
            if price == 0:
                return {"clearing: no settlement price"}, 0
            pnl += (size * (payoff(is_call, price, strike) - entry)) // WAD
        return set(), pnl

    @rule(data=st.data())
    def settle(self, data):
        d, m = self.d, self.m
        pid = self.pick_vault(data)
        if pid is None:
            pid = data.draw(st.integers(0, m.next_id), label="position_id")
        caller = data.draw(st.sampled_from(self.actors), label="caller")
        if pid not in m.vaults:
            expected, pnl = {"clearing: no position"}, 0
        else:
            expected, pnl = self._settle_pnl(m.vaults[pid])
        with boa.env.prank(caller):
            got = attempt(expected, lambda: d.ch.settle(pid))
        if expected:
            return
        # SPEC 4.8: settlement pays exactly the payoff at the settlement price.
        assert got == pnl, f"settle pnl {got} != payoff model {pnl}"
        v = self.drop_vault(pid)
        for sid, size, entry in v.legs:
            self.book_remove(sid, size, entry)
        self.wind_down(v.owner, v.collateral, pnl, 0, 0, ZERO)
        assert len(d.view.position(pid).legs) == 0, "SPEC 4.8: a settled vault is empty"

    @precondition(lambda self: bool(self.m.vaults))
    @rule(data=st.data())
    def settle_many(self, data):
        """Settle a batch of open vaults in a drawn order: a winner before a loser settles
        as well as after (the pool's cash and claims are threaded in list order)."""
        d, m = self.d, self.m
        ids = data.draw(st.permutations(sorted(m.vaults)[:50]), label="order")
        with boa.env.prank(d.keeper):
            got = attempt(set(), lambda: d.ch.settle_many(ids))
        assert self._skipped(d.ch) == [], "settle_many skipped an id"
        done = 0
        for pid in ids:
            reasons, pnl = self._settle_pnl(m.vaults[pid])
            if reasons:
                continue
            v = self.drop_vault(pid)
            for sid, size, entry in v.legs:
                self.book_remove(sid, size, entry)
            self.wind_down(v.owner, v.collateral, pnl, 0, 0, ZERO)
            done += 1
        assert got == done, f"settle_many settled {got}, model {done}"

    @rule(data=st.data(), max_claims=st.sampled_from([0, 1, 2, 50]))
    def pay_claims(self, data, max_claims):
        """Anyone pays the oldest claims, in order, as far as the pool's cash goes."""
        d, m = self.d, self.m
        caller = data.draw(st.sampled_from(self.actors), label="caller")
        with boa.env.prank(caller):
            got = attempt(set(), lambda: d.ch.pay_claims(max_claims))
        cash = m.pool_cash
        total = 0
        for _ in range(min(max_claims, 50)):
            if not m.claims or cash == 0:
                break
            claim = m.claims[0]
            paid = min(claim[1], cash)
            cash -= paid
            total += paid
            m.free[claim[0]] += paid
            claim[1] -= paid
            if claim[1]:
                break
            m.claims.pop(0)
        m.pool_cash -= total
        m.owed -= total
        assert got == total, f"pay_claims credited {got}, model {total}"

    # --------------------------------------------------------------- oracle and time

    @rule(factor=st.sampled_from([1, 10, 100, 10_000, 100_000, 1_000_000]))
    def crash_or_melt_up(self, factor):
        """Spot moves by `factor` / 1,000 in one update: -99.9 %, -99 %, -90 %, x10, x100,
        x1,000 (clamped to [MIN_SPOT, MAX_SPOT]): outside the exact Black-Scholes domain
        of every listed strike, where nothing on the risk path may revert."""
        m = self.m
        m.spot = min(max(m.spot * factor // 1_000, MIN_SPOT), MAX_SPOT)
        self.d.oracle.set_price(ETH, m.spot)
        self.oracle_version += 1
        m.updated = self.now()

    @rule(move=st.one_of(st.integers(-60, 60), st.sampled_from([-60, -30, -10, 10, 30, 60])))
    def move_spot(self, move):
        """Spot jumps by `move` percent (clamped to the listed strikes' BS domain)."""
        m = self.m
        m.spot = min(max(m.spot * (100 + move) // 100, MIN_SPOT), MAX_SPOT)
        self.d.oracle.set_price(ETH, m.spot)
        self.oracle_version += 1
        m.updated = self.now()

    @rule(data=st.data(), factor=st.integers(30, 400))
    def move_vol(self, data, factor):
        """The ATM vol of one expiry is multiplied by `factor` / 100 (x0.3 to x4)."""
        d = self.d
        expiry = data.draw(st.sampled_from(d.expiries), label="expiry")
        vol = d.oracle.vol(ETH, 0, expiry) if self.fresh() else VOL0
        vol = min(max(vol * factor // 100, MIN_VOL), MAX_VOL)
        d.oracle.set_vol(ETH, expiry, vol)
        self.oracle_version += 1

    @rule(data=st.data(), factor=st.integers(50, 250))
    def move_smile(self, data, factor):
        """One strike's vol moves away from the ATM vol (a smile or skew change)."""
        d = self.d
        sid = data.draw(st.sampled_from(sorted(d.series)), label="series")
        strike, expiry, _ = d.series[sid]
        atm = d.oracle.vol(ETH, 0, expiry) if self.fresh() else VOL0
        vol = min(max(atm * factor // 100, MIN_VOL), MAX_VOL)
        d.oracle.set_strike_vol(ETH, expiry, strike, vol)
        self.oracle_version += 1

    @rule(
        kind=st.sampled_from(
            [
                "small",
                "to_max_age",
                "past_max_age",
                "near_expiry",
                "to_expiry",
                "past_expiry",
                "to_param_change",
                "to_lp_request",
            ]
        ),
        seconds=st.integers(1, 1_800),
    )
    def warp(self, kind, seconds):
        """Time passes: a little, to exactly the oracle's max_age, past it, or across an expiry."""
        m = self.m
        now = self.now()
        if kind == "small":
            target = now + seconds
        elif kind == "to_max_age":
            target = max(m.updated + MAX_AGE, now)
        elif kind == "past_max_age":
            target = max(m.updated + MAX_AGE + 1, now)
        elif kind == "to_param_change":
            target = m.pending[1] if m.pending else now + seconds
        elif kind == "to_lp_request":
            matures = [r.mature for r in m.lp_requests.values()]
            target = min(matures) if matures else now + seconds
        else:
            upcoming = [e for e in self.d.expiries if e >= now]
            if not upcoming:
                target = now + seconds
            elif kind == "near_expiry":
                # within the hour before the next expiry: near-expiry legs, huge gamma
                target = max(upcoming[0] - seconds, now)
            else:
                target = upcoming[0] if kind == "to_expiry" else upcoming[0] + seconds
        if target > now:
            boa.env.time_travel(seconds=target - now)

    @precondition(lambda self: any(e <= self.now() for e in self.d.expiries))
    @rule()
    def fix_settlement_prices(self):
        """The oracle fixes the settlement price of every expired expiry at the current spot."""
        for expiry in self.d.expiries:
            if expiry <= self.now() and expiry not in self.m.settlement:
                self.d.oracle.set_settlement_price(ETH, expiry, self.m.spot)
                self.m.settlement[expiry] = self.m.spot
                self.oracle_version += 1

    # -------------------------------------------------------------------- pool (LPs)

    @rule(units=st.one_of(st.just(0), st.integers(1, 100_000)))
    def lp_deposit(self, units):
        d, m = self.d, self.m
        assets = min(d.units(units), m.wallet[d.lp])
        preview, expected = self._expect_nav(d.pool.previewDeposit, assets)
        if self.book_active():
            expected = {"pool: book open, use a request"}  # checked first
        elif not expected and not self.solvent():
            # claims and traders' gains take all its cash: new money would only pay them
            expected.add("pool: insolvent")
        elif preview == 0:
            expected.add("pool: zero shares")
        with boa.env.prank(d.lp):
            shares = attempt(expected, lambda: d.pool.deposit(assets, d.lp))
        if expected:
            return
        assert shares == preview
        m.wallet[d.lp] -= assets
        m.pool_cash += assets
        m.shares[d.lp] += shares

    @rule(fraction=st.integers(0, 100))
    def lp_redeem(self, fraction):
        d, m = self.d, self.m
        shares = m.shares[d.lp] * fraction // 100
        assets, expected = self._expect_nav(d.pool.previewRedeem, shares)
        if self.book_active():
            expected = {"pool: book open, use a request"}  # checked first
        elif assets is not None:
            if assets == 0:
                expected.add("pool: zero assets")
            elif assets > d.pool.free_cash():
                expected.add("pool: utilisation")
        with boa.env.prank(d.lp):
            got = attempt(expected, lambda: d.pool.redeem(shares, d.lp, d.lp))
        if expected:
            return
        assert got == assets
        m.wallet[d.lp] += assets
        m.pool_cash -= assets
        m.shares[d.lp] -= shares

    def _expect_nav(self, preview, *args):
        """The NAV-priced `preview(*args)`, or None with the expected reverts (a stale
        oracle: the NAV reads it while the book is open, SPEC 4.7)."""
        try:
            return preview(*args), set()
        except BoaError as error:
            expected = revert_reasons(error)
            assert "oracle: stale price" in expected and not self.fresh(), str(error)
            return None, expected

    @rule(units=st.one_of(st.just(0), st.integers(1, 100_000)))
    def lp_request_deposit(self, units):
        """The LP asks to deposit: the assets leave its wallet now, outside the pool's
        cash until the request is executed (docs/solvency.md, "LP flows")."""
        d, m = self.d, self.m
        assets = min(d.units(units), m.wallet[d.lp])
        shares, expected = self._expect_nav(d.pool.previewDeposit, assets)
        if self.book_active() and m.held:
            expected = {"pool: breaker held"}  # checked before the NAV is read
        elif not expected and not self.solvent():
            expected.add("pool: insolvent")
        elif shares == 0:
            expected.add("pool: zero shares")
        call = lambda: d.pool.request_deposit(assets, d.lp)  # noqa: E731
        if self._record_request(expected, "lp_request_deposit", call, True, assets, shares):
            m.wallet[d.lp] -= assets
            m.pending_assets += assets

    @rule(fraction=st.integers(0, 100))
    def lp_request_redeem(self, fraction):
        """The LP asks to redeem: its shares move to the pool now, priced at execution."""
        d, m = self.d, self.m
        shares = m.shares[d.lp] * fraction // 100
        assets, expected = self._expect_nav(d.pool.previewRedeem, shares)
        if self.book_active() and m.held:
            expected = {"pool: breaker held"}  # checked first
        elif assets == 0:
            expected.add("pool: zero assets")
        call = lambda: d.pool.request_redeem(shares, d.lp)  # noqa: E731
        reserve = min(assets or 0, d.pool.free_cash()) if not expected else 0
        if self._record_request(expected, "lp_request_redeem", call, False, shares, assets):
            m.shares[d.lp] -= shares
            m.reserved += reserve
            m.lp_requests[d.pool.request_count() - 1].reserved = reserve
            assert d.pool.requests(d.pool.request_count() - 1).reserved == reserve

    def _record_request(self, expected, rule, call, is_deposit, amount, quoted) -> bool:
        """Make the LP's request `call` (`expected`: its reverts); on success file it in the
        model, mature LP_DELAY from now, and return True."""
        d = self.d
        request_id = d.pool.request_count()
        with boa.env.prank(d.lp):
            got = attempt(expected, call, rule)
        if expected:
            return False
        assert got == request_id
        mature = self.now() + d.pool.LP_DELAY()
        self.m.lp_requests[request_id] = LpRequest(is_deposit, amount, quoted, mature)
        return True

    @precondition(lambda self: self.m.lp_requests)
    @rule(pick=st.integers(0, 2**16), who=st.sampled_from(["lp", "stranger"]), wait=st.booleans())
    def lp_execute(self, pick, who, wait):
        """Anyone executes a request (`wait`: at its maturity): not before; at the current
        price but never for more than the quote, the rest returned; an insolvent pool, a
        deposit buying nothing or a redemption worth nothing returns it whole."""
        d, m = self.d, self.m
        ids = sorted(m.lp_requests)
        request_id = ids[pick % len(ids)]
        r = m.lp_requests[request_id]
        if wait and self.now() < r.mature:
            boa.env.time_travel(seconds=r.mature - self.now())
        expected = set()
        out = used = returned = 0
        if self.now() < r.mature:
            expected.add("pool: request not mature")
        elif self.book_active() and m.held:
            expected.add("pool: breaker held")
        elif r.is_deposit:
            _, expected = self._expect_nav(d.pool.totalAssets)
            if not expected and self.solvent():
                bought = d.pool.previewDeposit(r.amount)
                out = min(r.quoted, bought)
                used = r.amount if out == bought else min(d.pool.previewMint(out), r.amount)
            if out == 0:
                used = 0
            returned = r.amount - used
        else:
            worth, expected = self._expect_nav(d.pool.previewRedeem, r.amount)
            if not expected:
                # never waits: what the free cash allows now (its own reservation
                # released first), the rest returned
                others = d.pool.reserved_assets() - r.reserved
                free = max(d.pool.cash() - d.pool.required_cash() - others, 0)
                out = min(r.quoted, worth, free)
                burnt = 0
                if out:
                    burnt = r.amount if out == worth else min(d.pool.previewWithdraw(out), r.amount)
                returned = r.amount - burnt
        caller = d.lp if who == "lp" else self.actors[-1]
        with boa.env.prank(caller):
            got = attempt(expected, lambda: d.pool.execute_request(request_id))
        if expected:
            return
        assert got == out
        (event,) = [e for e in d.pool.get_logs() if type(e).__name__ == "LpExecuted"]
        assert (event.paid, event.returned) == (out, returned)
        del m.lp_requests[request_id]
        if returned == r.amount:
            OUTCOMES["(pool)", "request returned whole"] += 1
        elif returned:
            OUTCOMES["(pool)", "request returned in part"] += 1
        if r.is_deposit:
            m.pending_assets -= r.amount
            m.pool_cash += used
            m.wallet[d.lp] += returned
            m.shares[d.lp] += out
        else:
            m.pool_cash -= out
            m.wallet[d.lp] += out
            m.shares[d.lp] += returned
            m.reserved -= r.reserved
        assert d.pool.reserved_assets() == m.reserved

    # ------------------------------------------------------------ governance, guardian

    @rule(
        spot_shock=st.integers(10_000, 500_000),
        spot_sigmas=st.integers(0, 8_000_000),
        crash_factor=st.integers(1_000_000, 3_000_000),
        vol_up=st.integers(0, 4_000_000),
        vol_down=st.integers(0, 900_000),
        vol_tenor_cap=st.integers(1_000_000, 4_000_000),
        horizon=st.sampled_from([60, 3_600, 86_400, 7 * 86_400]),
        im_factor=st.integers(1_050_000, 3_000_000),
        min_short_margin=st.integers(0, 500_000),
        liquidation_reward=st.integers(0, 200_000),
        insurance_fee=st.integers(0, 200_000),
        spread_vol=st.integers(0, 100_000),
        rate=st.integers(-100_000, 200_000),
        min_size=st.sampled_from([10**12, 10**15, 10**16]),
        out_of_bounds=st.booleans(),
    )
    def set_risk_params(self, out_of_bounds, **ppm):
        """Governance moves every parameter within (or, rejected, just outside) its bounds."""
        params = {k: v * PPM for k, v in ppm.items() if k not in ("min_size", "horizon")}
        params["min_size"] = ppm["min_size"]
        params["horizon"] = ppm["horizon"]
        expected = set()
        if out_of_bounds:
            params["spot_shock"] = 500_001 * PPM
            expected.add("risk_params: spot_shock")
        with boa.env.prank(self.d.governance):
            attempt(expected, lambda: self.d.registry.set_risk_params(ETH, params_tuple(params)))
        if not expected:
            self.m.pending = (params, self.now() + PARAMS_DELAY)  # queued, not applied

    @rule(stress=st.sampled_from([(500_000, 3_000_000, 4_000_000, 500_000),
                                  (300_000, 2_000_000, 1_000_000, 200_000)]))  # fmt: skip
    def tighten_margin(self, stress):
        """Governance raises the stresses to (or near) their hard limits: open vaults fall
        below their new MM, so liquidations (partial, whole, bad debt) get exercised."""
        spot_shock, crash, vol_up, min_short = stress
        params = dict(self.m.params)
        params.update(
            spot_shock=spot_shock * PPM,
            crash_factor=crash * PPM,
            vol_up=vol_up * PPM,
            min_short_margin=min_short * PPM,
        )
        with boa.env.prank(self.d.governance):
            self.d.registry.set_risk_params(ETH, params_tuple(params))
        self.m.pending = (params, self.now() + PARAMS_DELAY)

    @rule(data=st.data())
    def apply_risk_params(self, data):
        """Anyone applies the queued change once its day has passed (SPEC 4.3: a vault
        healthy before a change is not liquidated by it at once: its owner had the day)."""
        m = self.m
        caller = data.draw(st.sampled_from(self.actors), label="caller")
        expected = set()
        if m.pending is None:
            expected.add("registry: nothing queued")
        elif self.now() < m.pending[1]:
            expected.add("registry: change not due")
        elif self.now() > m.pending[1] + PARAMS_WINDOW:
            expected.add("registry: change lapsed")
        with boa.env.prank(caller):
            attempt(expected, lambda: self.d.registry.apply_risk_params(ETH))
        if not expected:
            m.params, m.pending = m.pending[0], None

    @rule(on=st.booleans())
    def hold_breaker(self, on):
        """The oracle's spot breaker holds (or releases): new risk, withdrawals, closes and
        LP flows stop; liquidation, top-ups and settlement go on."""
        self.d.oracle.set_breaker_held(ETH, on)
        self.m.held = on

    @rule(value=st.one_of(st.integers(WAD, 20 * WAD), st.integers(1, 20 * WAD)))
    def set_max_utilisation(self, value):
        with boa.env.prank(self.d.governance):
            self.d.registry.set_max_utilisation(value)
        self.m.max_utilisation = value

    @rule(data=st.data(), paused=st.sampled_from([True, False, False]))
    def pause(self, data, paused):
        d = self.d
        callers = [d.guardian, d.governance, d.governance, d.traders[0]]
        caller = data.draw(st.sampled_from(callers), label="by")
        expected = set()
        if paused and caller not in (d.guardian, d.governance):
            expected.add("registry: not guardian")
        if not paused and caller != d.governance:
            expected.add("ownable: caller is not the owner")
        with boa.env.prank(caller):
            attempt(expected, lambda: d.registry.set_paused(paused))
        if not expected:
            self.m.paused = paused

    # ================================================================== invariants

    def check_invariants(self, settings, output, runtimes):
        """Hypothesis' after-step hook: drop the previous step's reads, then check all."""
        self._reads = None
        super().check_invariants(settings, output, runtimes)

    def check_storage_reads(self) -> None:
        """The direct storage reads equal the contracts' own views (once per deployment:
        the slots depend only on the compiled layout)."""
        d = self.d
        books = d.storage.books(self.actors, d.lp)
        assert books.free == [d.ch.free_balance(a) for a in self.actors]
        assert books.wallets == [d.token.balanceOf(a) for a in self.actors]
        assert books.insurance == d.ch.insurance_fund()
        assert books.next_id == d.ch.next_position_id()
        assert books.locked == d.pool.locked_notional()
        assert books.owed == d.pool.owed()
        assert (books.claim_head, books.claim_tail) == (d.pool.claim_head(), d.pool.claim_tail())
        assert books.paused == d.registry.paused()
        assert books.house_cash == d.token.balanceOf(d.ch.address)
        assert books.pool_cash == d.token.balanceOf(d.pool.address)
        assert books.lp_shares == d.pool.balanceOf(d.lp)
        assert books.supply == d.token.totalSupply()
        if d.reentrant:
            assert books.probe_successes == d.token.successes()
        for sid in d.series:
            views = (d.pool.series_net_size, d.pool.series_size_entry, d.pool.series_open_legs)
            assert d.storage.series(sid) == tuple(view(sid) for view in views)

    def reads(self) -> Books:
        """This step's books, read from storage once and shared by every invariant;
        `check_invariants` and `replay` drop them after each step."""
        if self._reads is None:
            self._reads = self.d.storage.books(self.actors, self.d.lp)
        return self._reads

    @invariant()
    def model_matches_contracts(self):
        """Every balance, vault and book entry equals the model, to the wei (SPEC 4.1).

        After every step: every free balance and wallet, the insurance fund, pool cash and
        shares, the next id, the locked notional, the pause state and every series book.
        The vaults the step touched are read through the `position` view and compared to
        the model; every other vault (open or closed) must be bit-for-bit unchanged in
        storage since it was last compared (isolation). So an action that changed
        anything it did not touch fails in the step that did it.
        """
        d, m, storage = self.d, self.m, self.d.storage
        self.steps += 1
        books = self.reads()
        for a, free, wallet in zip(self.actors, books.free, books.wallets, strict=True):
            assert free == m.free[a], f"free balance of {a}"
            assert wallet == m.wallet[a], f"wallet of {a}"
        assert books.insurance == m.insurance, "insurance fund"
        assert books.pool_cash == m.pool_cash + m.pending_assets, "pool cash"
        assert books.lp_shares == m.shares[d.lp], "LP shares"
        assert books.next_id == m.next_id
        assert books.locked == m.locked, "locked notional"
        assert books.paused == m.paused
        assert books.owed == m.owed, "the pool's claims outstanding"
        assert books.claim_tail == m.claim_tail, "claims queued"
        assert books.claim_head == m.claim_tail - len(m.claims), "claims paid in full"
        if m.claims:
            head = d.pool.claims(books.claim_head)
            assert (head.account, head.amount) == tuple(m.claims[0]), "the oldest claim"
        for pid in sorted(self.dirty_vaults):
            p = d.view.position(pid)
            v = m.vaults.get(pid)
            if v is None:
                assert p.collateral == 0 and len(p.legs) == 0, f"closed vault {pid} not empty"
            else:
                assert p.owner == v.owner and p.collateral == v.collateral, f"vault {pid}"
                legs = [tuple(leg) for leg in v.legs]
                assert [tuple(leg) for leg in p.legs] == legs, f"legs {pid}"
            self._vault_words[pid] = storage.vault(pid)
        # Isolation: opening marks a vault touched, so every id ever opened has been
        # compared through the view; each one not touched now must hold the same words.
        assert self._vault_words.keys() == set(m.vaults) | m.gone, "a vault was never compared"
        for pid, before in self._vault_words.items():
            if pid not in self.dirty_vaults:
                assert storage.vault(pid) == before, f"vault {pid} changed, untouched by the step"
        for sid in m.open_legs:
            book = (m.net[sid], m.size_entry[sid], m.open_legs[sid])
            assert storage.series(sid) == book, f"book (net, size*entry, legs) of series {sid}"
        self.dirty_vaults.clear()

    @invariant()
    def conservation(self):
        """SPEC 4.2: the clearing house holds exactly free + vaults + insurance (as the model
        counts them, which the previous invariant ties to the contract); no token is created
        or lost anywhere (wallets + clearing house + pool = supply)."""
        m = self.m
        books = self.reads()
        held = books.house_cash
        in_books = sum(m.free.values()) + m.insurance
        in_books += sum(v.collateral for v in m.vaults.values())
        assert held == in_books, f"clearing house holds {held}, books say {in_books}"
        outside = sum(m.wallet.values()) + m.pool_cash + m.pending_assets
        assert books.supply == outside + held

    @invariant()
    def liquidatable_iff_below_mm(self):
        """SPEC 4.3 / 4.7 (views): is_liquidatable == (equity < MM); stale reads revert.

        Checked on the newest vault whenever its valuation inputs (`valuation_key`) changed
        since it was last checked; when none changed, both views would return what they
        returned then, so the two Black-Scholes valuations are not re-run.
        """
        m = self.m
        if not m.vaults:
            return
        pid = max(m.vaults)
        key = self.valuation_key(pid)
        if self._liquidatable_checked.get(pid) == key:
            return
        if not key[0]:
            try:
                self.d.view.is_liquidatable(pid)
            except BoaError as error:
                assert "oracle: stale price" in revert_reasons(error)
                self._liquidatable_checked[pid] = key
                return
            raise AssertionError("is_liquidatable read a stale oracle")
        equity, _, mm = self.health(pid)
        assert self.d.view.is_liquidatable(pid) == (equity < mm)
        self._liquidatable_checked[pid] = key

    @invariant()
    def margin_covers_full_revaluation(self):
        """SPEC 4.9: MM >= the vault's full-revaluation loss over its own scenarios (every
        leg repriced in float64 on a spot grid, both vol states, three times across the
        horizon; `ringfence.scenario_loss`), on every open vault whose valuation inputs
        changed since it was last checked, at a fresh oracle."""
        if not self.fresh():
            return
        d, m = self.d, self.m
        params = ScenarioParams.from_wad(m.params)
        spot = m.spot / WAD
        now = self.now()
        for pid in sorted(m.vaults):
            key = self.valuation_key(pid)
            if self._margin_checked.get(pid) == key:
                continue
            legs = []
            for sid, size, _ in m.vaults[pid].legs:
                strike, expiry, is_call = d.series[sid]
                if expiry <= now and expiry in m.settlement:
                    continue  # settled price: its value no longer moves
                vol = d.oracle.vol(ETH, strike, expiry) / WAD if expiry > now else 0.0
                tau = max(expiry - now, 0)
                legs.append(ScenarioLeg(is_call, strike / WAD, tau, vol, size / WAD))
            _, _, mm = self.health(pid)
            loss = worst_loss(legs, spot, params, spot_points=201, time_points=3)
            assert loss <= mm / WAD * (1 + 1e-12) + 1e-9, f"vault {pid}: loss {loss} > MM {mm}"
            self._margin_checked[pid] = key

    @invariant()
    def no_reentrancy(self):
        """No callback from the token into the clearing house ever got in."""
        if self.d.reentrant:
            assert self.reads().probe_successes == 0, "a reentrant call succeeded"


# -------------------------------------------------------------------- record / replay


class RecordingData:
    """Stands in for hypothesis' ``st.data()`` and records every value drawn; an account
    is recorded by its role (``("actor", index)``), since addresses differ between runs."""

    def __init__(self, data, log: list, actors):
        self._data = data
        self._log = log
        self._actors = actors

    def draw(self, strategy, label=None):
        value = self._data.draw(strategy, label=label)
        self._log.append(("actor", self._actors.index(value)) if value in self._actors else value)
        return value


class ReplayData:
    """Returns recorded draws in order: replays a step without hypothesis."""

    def __init__(self, values: list, actors):
        self._values = list(values)
        self._actors = actors

    def draw(self, strategy, label=None):
        value = self._values.pop(0)
        if isinstance(value, tuple) and value[:1] == ("actor",):
            return self._actors[value[1]]
        return value


INVARIANT_NAMES = (
    "model_matches_contracts",
    "conservation",
    "liquidatable_iff_below_mm",
    "no_reentrancy",
)


def instrument(machine_cls, counts, runs: list) -> None:
    """Wrap every rule of `machine_cls` to count it and record its arguments (and draws).

    `runs[-1]` is the step list of the latest run: after a failure hypothesis re-runs the
    shrunk example last, so it is the minimal failing sequence.
    """
    original_init = machine_cls.__init__

    def init(self):
        runs.append([])
        original_init(self)

    machine_cls.__init__ = init
    state = machine_cls.setup_state()
    for rules in (state.rules, state.initializers):
        rules[:] = [_counted(copy.copy(r), counts, runs) for r in rules]


def _counted(r, counts, runs):
    """A copy of rule `r` whose function counts and records its calls."""
    function = r.function

    def wrapped(self, **kwargs):
        record = {}
        for key, value in kwargs.items():
            if key == "data":
                draws: list = []
                kwargs[key] = RecordingData(value, draws, list(self.actors))
                record[key] = draws
            else:
                record[key] = value
        runs[-1].append((function.__name__, record))
        counts[function.__name__] += 1
        return function(self, **kwargs)

    object.__setattr__(r, "function", wrapped)
    return r


def replay(machine_cls, steps) -> None:
    """Run recorded `steps` [(rule, kwargs)] on a fresh machine, checking every invariant."""
    machine = machine_cls()
    try:
        machine._reads = None
        for name in INVARIANT_NAMES:
            getattr(machine, name)()
        for rule_name, kwargs in steps:
            actors = list(machine.actors)
            call = {k: ReplayData(v, actors) if k == "data" else v for k, v in kwargs.items()}
            getattr(machine, rule_name)(**call)
            machine._reads = None
            for name in INVARIANT_NAMES:
                getattr(machine, name)()
    finally:
        machine.teardown()
