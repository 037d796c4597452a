"""``ringfence``: the manual path, one transaction per command, against a deployment record.

Every command reads the contracts from a deployment record (``--deployment``, default
``deployments/local-31337.json``), talks to ``--network`` (an RPC URL or an Ape network
choice such as ``ethereum:local:foundry``) and signs with ``--account`` — the keeper's
account rules: ``TEST::n`` (development chains), a keystore file or an Ape account alias,
the password from ``--password-file`` or ``$KEEPER_KEYSTORE_PASSWORD``. Amounts are whole
quote tokens (decimals allowed, converted exactly to base units); a leg is
``SIZE@SERIES`` (``-2@5`` = short 2 units of series 5; ``ringfence series`` lists them).

Errors are one line and a non-zero exit: 2 for bad input or configuration, 1 when a
transaction reverts (with the contract's reason, from a replay of the call).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from ringfence.fees import FeePolicy

WAD = 10**18
DEFAULT_DEPLOYMENT = "deployments/local-31337.json"
GAS_MULTIPLIER = 1.3


class CliError(Exception):
    """A one-line error; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


@dataclass
class Session:
    w3: Any
    chain_id: int
    contracts: dict[str, Any]
    signer: Any  # keeper.sender.LocalSigner or None
    decimals: int
    fees: FeePolicy

    def c(self, name: str) -> Any:
        if name not in self.contracts:
            raise CliError(f"the deployment record has no {name}")
        return self.contracts[name]

    def units(self, amount: str) -> int:
        """Whole tokens (a decimal string) to base units, exactly."""
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise CliError(f"amount {amount!r}: not a number") from None
        base = value * 10**self.decimals
        if value <= 0 or base != base.to_integral_value():
            raise CliError(f"amount {amount!r}: must be > 0 with at most {self.decimals} decimals")
        return int(base)

    def tokens(self, base_units: int) -> str:
        return f"{Decimal(base_units) / 10**self.decimals:,.{min(self.decimals, 6)}f}"

    def account(self, what: str) -> str:
        if self.signer is None:
            raise CliError(f"{what}: needs --account (TEST::n, a keystore file or an Ape alias)")
        return self.signer.address

    def send(self, fn: Any, what: str) -> dict[str, Any]:
        """Sign, send and wait for one transaction; a revert is a CliError with its reason."""
        sender = self.account(what)
        try:
            gas = int(fn.estimate_gas({"from": sender}) * GAS_MULTIPLIER)
        except Exception as exc:  # the call would revert: say why, send nothing
            raise CliError(f"{what}: {_reason(exc)}", 1) from None
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        fees = self.fees.initial(base_fee)
        if fees is None:
            raise CliError(f"{what}: base fee {base_fee} wei above the fee ceiling", 1)
        tx = fn.build_transaction(
            {
                "from": sender,
                "nonce": self.w3.eth.get_transaction_count(sender, "pending"),
                "gas": gas,
                "maxFeePerGas": fees.max_fee,
                "maxPriorityFeePerGas": fees.priority_fee,
                "chainId": self.chain_id,
            }
        )
        raw, _ = self.signer.sign(tx)
        tx_hash = self.w3.eth.send_raw_transaction(raw)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise CliError(f"{what}: reverted in block {receipt['blockNumber']}", 1)
        return receipt


def _events(contract: Any, name: str, receipt: dict[str, Any]) -> list[Any]:
    """The receipt's `name` events of `contract` (other contracts' logs skipped quietly)."""
    from web3.logs import DISCARD

    return list(getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD))


def _reason(exc: Exception) -> str:
    text = str(exc.args[0] if getattr(exc, "args", None) else exc)
    text = text.replace("execution reverted: ", "").replace("execution reverted", "reverted")
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _open_session(ctx: click.Context) -> Session:
    from web3 import Web3

    from keeper.service import ConfigError, load_signer, resolve_rpc_url

    o = ctx.obj
    path = Path(o["deployment"])
    try:
        doc = json.loads(path.read_text())
        entries = doc["contracts"]
    except OSError as exc:
        raise CliError(f"deployment file {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError):
        raise CliError(f"deployment file {path}: not a deployment record") from None
    try:
        url = resolve_rpc_url(o["network"])
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        chain_id = w3.eth.chain_id
    except Exception:
        raise CliError(f"RPC {url} unreachable") from None
    if doc.get("chain_id") not in (None, chain_id):
        raise CliError(
            f"deployment {path} is for chain id {doc['chain_id']}, the node at {url} is {chain_id}"
        )
    contracts = {
        name: w3.eth.contract(address=e["address"], abi=e["abi"])
        for name, e in entries.items()
        if isinstance(e, dict) and "abi" in e and "address" in e
    }
    if "ClearingHouse" not in contracts:
        raise CliError(f"deployment file {path}: no ClearingHouse with its ABI")
    try:
        signer = load_signer(o["account"], chain_id, o["password_file"])
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    token = contracts.get("MockToken")
    decimals = 6
    if token is not None:
        decimals = token.functions.decimals().call()
    else:  # any ERC-20: read the decimals through a minimal ABI
        address = contracts["ClearingHouse"].functions.TOKEN().call()
        erc20 = [{"name": "decimals", "type": "function", "stateMutability": "view",
                  "inputs": [], "outputs": [{"name": "", "type": "uint8"}]}]  # fmt: skip
        decimals = w3.eth.contract(address=address, abi=erc20).functions.decimals().call()
    fees = FeePolicy(max_fee_ceiling=o["max_fee_gwei"] * 10**9)
    return Session(w3, chain_id, contracts, signer, decimals, fees)


def _token(s: Session) -> Any:
    """The quote token, with an ERC-20 ABI (the record's MockToken, or a minimal one)."""
    if "MockToken" in s.contracts:
        return s.contracts["MockToken"]
    address = s.c("ClearingHouse").functions.TOKEN().call()
    erc20 = [
        {"name": "approve", "type": "function", "stateMutability": "nonpayable",
         "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
         "outputs": [{"name": "", "type": "bool"}]},
        {"name": "allowance", "type": "function", "stateMutability": "view",
         "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
         "outputs": [{"name": "", "type": "uint256"}]},
    ]  # fmt: skip
    return s.w3.eth.contract(address=address, abi=erc20)


def _legs(spec: tuple[str, ...]) -> list[tuple[int, int]]:
    """``SIZE@SERIES`` strings to (series id, signed size WAD)."""
    if not spec:
        raise CliError("give at least one leg SIZE@SERIES (e.g. -2@5 for short 2 of series 5)")
    out = []
    for item in spec:
        size_text, sep, series_text = item.partition("@")
        try:
            size = Decimal(size_text)
            series_id = int(series_text)
        except (InvalidOperation, ValueError):
            raise CliError(f"leg {item!r}: expected SIZE@SERIES, e.g. -2@5") from None
        wad = size * WAD
        if not sep or size == 0 or wad != wad.to_integral_value():
            raise CliError(f"leg {item!r}: expected SIZE@SERIES with a non-zero size, e.g. -2@5")
        out.append((series_id, int(wad)))
    return out


# (flag, click.option keywords) of the options every command shares, in --help order
GLOBAL_OPTIONS = (
    ("--network", {"default": "ethereum:local:foundry", "show_default": True,
                   "help": "RPC URL, or an Ape network choice "
                           "(…:local:foundry reads foundry.host)."}),
    ("--deployment", {"default": DEFAULT_DEPLOYMENT, "show_default": True,
                      "help": "Deployment record (contracts, ABIs, chain id) "
                              "written by the deploy."}),
    ("--account", {"default": None, "help": "Signer: TEST::n (development chains), a keystore "
                   "file or an Ape account alias."}),
    ("--password-file", {"type": click.Path(dir_okay=False), "default": None,
                         "help": "First line: the keystore password "
                                 "(else $KEEPER_KEYSTORE_PASSWORD)."}),
    ("--max-fee-gwei", {"type": click.IntRange(1), "default": 200, "show_default": True,
                        "help": "No transaction offers more per gas (ringfence.fees)."}),
)  # fmt: skip


def _global_options(fn: Any) -> Any:
    for flag, keywords in reversed(GLOBAL_OPTIONS):
        fn = click.option(flag, **keywords)(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@_global_options
@click.pass_context
def cli(ctx, network, deployment, account, password_file, max_fee_gwei):
    """Ringfence by hand: deposit, open at a margin ratio, manage and close vaults, list
    them with their health, provide liquidity to the pool, and the oracle's signers."""
    ctx.obj = {
        "network": network,
        "deployment": deployment,
        "account": account,
        "password_file": password_file,
        "max_fee_gwei": max_fee_gwei,
    }


@cli.command()
@click.pass_context
def series(ctx):
    """List the series: id, underlying, strike, expiry, call/put."""
    s = _open_session(ctx)
    registry = s.c("Registry")
    for sid in range(1, registry.functions.series_count().call() + 1):
        info = registry.functions.series(sid).call()
        underlying = bytes(info[0]).rstrip(b"\0").decode(errors="replace")
        kind = "call" if info[3] else "put"
        click.echo(f"{sid:4d}  {underlying:5s} {info[1] / WAD:>12,.2f}  expiry {info[2]}  {kind}")


def _free_balance_command(name: str, help_text: str) -> Any:
    @cli.command(name, help=help_text)
    @click.argument("amount")
    @click.pass_context
    def command(ctx, amount):
        s = _open_session(ctx)
        value = s.units(amount)
        me = s.account(name)
        ch = s.c("ClearingHouse")
        if name == "deposit":
            token = _token(s)
            if token.functions.allowance(me, ch.address).call() < value:
                s.send(token.functions.approve(ch.address, value), "approve")
        s.send(getattr(ch.functions, name)(value), name)
        done = "deposited" if name == "deposit" else "withdrew"
        free = ch.functions.free_balance(me).call()
        click.echo(f"{done} {s.tokens(value)}; free balance {s.tokens(free)}")

    return command


deposit = _free_balance_command(
    "deposit", "Move AMOUNT quote tokens from the account into its free balance (approves first)."
)
withdraw = _free_balance_command("withdraw", "Send AMOUNT of the free balance back to the account.")


@cli.command("open", context_settings={"ignore_unknown_options": True})
@click.argument("legs", nargs=-1, required=True)
@click.option(
    "--margin-ratio",
    type=float,
    required=True,
    help="Collateral so that equity = this x initial margin at open (>= 1).",
)
@click.pass_context
def open_(ctx, legs, margin_ratio):
    """Open a vault of LEGS (SIZE@SERIES ..., e.g. -2@5 1@7) at a target margin ratio."""
    from ringfence.spread import opening_cost

    if margin_ratio < 1:
        raise CliError(
            f"--margin-ratio {margin_ratio}: below 1 the opening would revert (equity < IM)"
        )
    s = _open_session(ctx)
    parsed = _legs(legs)
    registry, engine, ch = s.c("Registry"), s.c("MarginEngine"), s.c("ClearingHouse")
    infos = [registry.functions.series(sid).call() for sid, _ in parsed]
    for (sid, _), info in zip(parsed, infos, strict=True):
        if info[1] == 0:
            raise CliError(f"series {sid} is not listed (see `ringfence series`)")
    underlying = infos[0][0]
    params = registry.functions.risk_params(underlying).call()
    priced = [
        ((info[1], info[2], info[3]), size) for (_, size), info in zip(parsed, infos, strict=True)
    ]
    try:
        spot, _marks, vegas, deltas, _mm, initial = engine.functions.evaluate(
            underlying, priced, params
        ).call()
    except Exception as exc:
        raise CliError(f"pricing the legs: {_reason(exc)}", 1) from None
    from ringfence.deploy_config import RISK_KEYS

    cost = opening_cost(
        params[RISK_KEYS.index("spread_vol")], [z for _, z in parsed], vegas, deltas, spot
    )
    scale = ch.functions.SCALE().call()
    # one ppm above R: the block that mines the opening is later than the one priced here,
    # and a second of time decay moves IM by about 1e-9 (a fresh-clone run saw 1.999999998)
    wad = -(-initial * (int(round(margin_ratio * 10**6)) + 1) // 10**6) + cost
    collateral = -(-wad // scale) + 1
    receipt = s.send(ch.functions.open_position(parsed, collateral, 2**255), "open_position")
    (event,) = _events(ch, "PositionOpened", receipt)
    pid = event["args"]["position_id"]
    equity, im, mm = ch.functions.health(pid).call()
    click.echo(
        f"opened position {pid}: collateral {s.tokens(collateral)}, spread cost "
        f"{s.tokens(event['args']['cost'])}; equity / IM {equity / im:.4f}, "
        f"equity / MM {equity / mm:.4f}"
    )


def _collateral_command(name: str, fn_name: str, help_text: str):
    @cli.command(name, help=help_text)
    @click.argument("position_id", type=int)
    @click.argument("amount")
    @click.pass_context
    def command(ctx, position_id, amount):
        s = _open_session(ctx)
        ch = s.c("ClearingHouse")
        value = s.units(amount)
        s.send(getattr(ch.functions, fn_name)(position_id, value), fn_name)
        _show(s, [position_id])

    return command


add_collateral = _collateral_command(
    "add-collateral", "add_collateral", "Move AMOUNT tokens from the free balance into the vault."
)
remove_collateral = _collateral_command(
    "remove-collateral",
    "remove_collateral",
    "Move AMOUNT tokens from the vault to the free balance (equity stays >= IM).",
)


@cli.command()
@click.argument("position_id", type=int)
@click.pass_context
def close(ctx, position_id):
    """Close every leg of the vault; what is left goes to the free balance."""
    s = _open_session(ctx)
    ch = s.c("ClearingHouse")
    receipt = s.send(ch.functions.close_position(position_id, 2**255), "close_position")
    (event,) = _events(ch, "PositionClosed", receipt)
    a = event["args"]
    click.echo(
        f"closed position {position_id}: P&L {a['pnl'] / WAD:,.4f}, "
        f"returned {s.tokens(a['returned'])}"
    )


def _show(s: Session, ids: list[int]) -> None:
    view, ch = s.c("ClearingHouseView"), s.c("ClearingHouse")
    for pid in ids:
        owner, _underlying, collateral, legs = view.functions.position(pid).call()
        if not legs:
            continue
        try:
            equity, im, mm = ch.functions.health(pid).call()
            ratio = f"{equity / mm:.3f}" if mm else "inf"
            health = (
                f"equity {equity / WAD:,.2f}  IM {im / WAD:,.2f}  MM {mm / WAD:,.2f}  "
                f"equity/MM {ratio}"
            )
        except Exception as exc:
            health = f"health unreadable: {_reason(exc)}"
        desc = " ".join(f"{leg[1] / WAD:+g}@{leg[0]}" for leg in legs)
        click.echo(
            f"{pid:5d}  owner {owner}  collateral {s.tokens(collateral)}  legs {desc}  {health}"
        )


@cli.command()
@click.option("--owner", default=None, help="Only this owner's vaults (default: the --account's).")
@click.option("--all", "show_all", is_flag=True, help="Every open vault.")
@click.pass_context
def positions(ctx, owner, show_all):
    """List open vaults with their health."""
    s = _open_session(ctx)
    ch, view = s.c("ClearingHouse"), s.c("ClearingHouseView")
    owner = owner or (s.signer.address if s.signer and not show_all else None)
    ids = []
    for pid in range(1, ch.functions.next_position_id().call()):
        who, _underlying, _collateral, legs = view.functions.position(pid).call()
        if legs and (owner is None or who.lower() == owner.lower()):
            ids.append(pid)
    if not ids:
        click.echo("no open vaults" + (f" of {owner}" if owner else ""))
    _show(s, ids)


@cli.group()
def signer():
    """The oracle's signers, through its OracleGovernor (changes wait a day once the oracle
    has a price; `apply` makes a due one take effect)."""


def _signer_change(name: str, fn_name: str, pending: str, help_text: str) -> Any:
    @signer.command(name, help=help_text)
    @click.argument("address")
    @click.pass_context
    def command(ctx, address):
        _governor_call(ctx, fn_name, pending, address)

    return command


signer_add = _signer_change(
    "add", "add_signer", "pending_signer", "Register ADDRESS (queued a day on a priced oracle)."
)
signer_remove = _signer_change(
    "remove", "remove_signer", "pending_removal", "Deregister ADDRESS (queued a day likewise)."
)


@signer.command("apply")
@click.argument("address")
@click.option("--removal", is_flag=True, help="Apply a queued removal (default: an addition).")
@click.pass_context
def signer_apply(ctx, address, removal):
    """Make a due queued change of ADDRESS take effect (anyone may)."""
    s = _open_session(ctx)
    governor = s.c("OracleGovernor")
    fn = governor.functions.apply_removal if removal else governor.functions.apply_signer
    s.send(fn(_address(address)), "apply_removal" if removal else "apply_signer")
    oracle = s.c("Oracle")
    state = "registered" if oracle.functions.is_signer(_address(address)).call() else "not a signer"
    click.echo(f"{address}: {state}")


def _address(text: str) -> str:
    from web3 import Web3

    if not Web3.is_address(text):
        raise CliError(f"{text!r} is not an address")
    return Web3.to_checksum_address(text)


def _governor_call(ctx, fn_name: str, pending: str, address: str) -> None:
    s = _open_session(ctx)
    governor = s.c("OracleGovernor")
    target = _address(address)
    s.send(getattr(governor.functions, fn_name)(target), fn_name)
    due = getattr(governor.functions, pending)(target).call()
    if due:
        click.echo(
            f"{fn_name} {target}: queued; anyone may apply it from unix time {due} "
            "(`ringfence signer apply`)"
        )
    else:
        click.echo(f"{fn_name} {target}: done")


@cli.group()
def lp():
    """The liquidity pool: deposit and redeem (at once while the traders' book is empty,
    by a request executed an hour later while it is open), execute mature requests, show
    the pool and the account's stake."""


def _pool(s: Session) -> Any:
    return s.c("LiquidityPool")


def _book_open(pool: Any) -> bool:
    return bool(pool.functions.active_series().call())


def _requested(s: Session, receipt: dict[str, Any], what: str) -> None:
    pool = _pool(s)
    (event,) = _events(pool, "LpRequested", receipt)
    a = event["args"]
    quoted = (
        f"{a['quoted'] / 10 ** pool.functions.decimals().call():,.6f} shares"
        if a["is_deposit"]
        else s.tokens(a["quoted"])
    )
    click.echo(
        f"{what}: the book is open, so request {a['id']} was queued (quoted {quoted}); "
        f"anyone may execute it from unix time {a['mature']} (`ringfence lp execute {a['id']}`)"
    )


@lp.command("show")
@click.pass_context
def lp_show(ctx):
    """The pool's NAV, share price, cash and claims, and the account's shares and value."""
    s = _open_session(ctx)
    pool = _pool(s)
    f = pool.functions
    supply, nav = f.totalSupply().call(), f.totalAssets().call()
    share_decimals = f.decimals().call()
    click.echo(
        f"NAV {s.tokens(nav)}  supply {supply / 10**share_decimals:,.6f} shares "
        f"({share_decimals} decimals)  book {'open' if _book_open(pool) else 'empty'}"
    )
    click.echo(
        f"cash {s.tokens(f.cash().call())}  free {s.tokens(f.free_cash().call())}  "
        f"required {s.tokens(f.required_cash().call())}  owed claims {s.tokens(f.owed().call())}"
        f"  pending deposits {s.tokens(f.pending_assets().call())}  reserved for redemptions "
        f"{s.tokens(f.reserved_assets().call())}"
    )
    one_share = f.convertToAssets(10**share_decimals).call()
    click.echo(f"one share is worth {s.tokens(one_share)}")
    if s.signer is not None:
        me = s.signer.address
        shares = f.balanceOf(me).call()
        worth = s.tokens(f.convertToAssets(shares).call())
        claims = s.tokens(f.claims_of(me).call())
        click.echo(
            f"{me}: {shares / 10**share_decimals:,.6f} shares worth {worth}; claims {claims}"
        )


@lp.command("deposit")
@click.argument("amount")
@click.pass_context
def lp_deposit(ctx, amount):
    """Deposit AMOUNT quote tokens from the account (approves first): shares at once while
    the book is empty, else a request executed LP_DELAY later at the price then."""
    s = _open_session(ctx)
    pool = _pool(s)
    value = s.units(amount)
    me = s.account("lp deposit")
    token = _token(s)
    if token.functions.allowance(me, pool.address).call() < value:
        s.send(token.functions.approve(pool.address, value), "approve")
    if _book_open(pool):
        _requested(
            s, s.send(pool.functions.request_deposit(value, me), "request_deposit"), "lp deposit"
        )
        return
    s.send(pool.functions.deposit(value, me), "deposit")
    shares = pool.functions.balanceOf(me).call()
    click.echo(
        f"deposited {s.tokens(value)}; the account holds shares worth "
        f"{s.tokens(pool.functions.convertToAssets(shares).call())}"
    )


@lp.command("redeem")
@click.argument("amount")
@click.pass_context
def lp_redeem(ctx, amount):
    """Redeem shares worth AMOUNT quote tokens (`all`: every share): paid at once while the
    book is empty, else a request executed LP_DELAY later, capped by the quote and the
    free cash then (the rest of the shares returned)."""
    s = _open_session(ctx)
    pool = _pool(s)
    me = s.account("lp redeem")
    held = pool.functions.balanceOf(me).call()
    shares = held if amount == "all" else pool.functions.previewWithdraw(s.units(amount)).call()
    if shares == 0 or shares > held:
        worth = s.tokens(pool.functions.convertToAssets(held).call())
        raise CliError(f"lp redeem {amount}: the account's shares are worth {worth}")
    if _book_open(pool):
        _requested(
            s, s.send(pool.functions.request_redeem(shares, me), "request_redeem"), "lp redeem"
        )
        return
    receipt = s.send(pool.functions.redeem(shares, me, me), "redeem")
    (event,) = _events(pool, "Withdraw", receipt)
    click.echo(f"redeemed: paid {s.tokens(event['args']['assets'])}")


@lp.command("execute")
@click.argument("request_id", type=int)
@click.pass_context
def lp_execute(ctx, request_id):
    """Execute mature request REQUEST_ID (anyone may)."""
    s = _open_session(ctx)
    pool = _pool(s)
    receipt = s.send(pool.functions.execute_request(request_id), "execute_request")
    (event,) = _events(pool, "LpExecuted", receipt)
    a = event["args"]
    if a["is_deposit"]:
        decimals = pool.functions.decimals().call()
        click.echo(
            f"request {request_id} (deposit): minted {a['paid'] / 10**decimals:,.6f} shares, "
            f"returned {s.tokens(a['returned'])}"
        )
    else:
        click.echo(
            f"request {request_id} (redemption): paid {s.tokens(a['paid'])}, "
            f"returned {a['returned'] / 10 ** pool.functions.decimals().call():,.6f} shares"
        )


@lp.command("requests")
@click.option(
    "--all", "show_all", is_flag=True, help="Every pending request (default: the account's)."
)
@click.pass_context
def lp_requests(ctx, show_all):
    """List pending LP requests: id, kind, amount, quote, when it may be executed."""
    s = _open_session(ctx)
    pool = _pool(s)
    me = None if show_all or s.signer is None else s.signer.address.lower()
    decimals = pool.functions.decimals().call()
    now = s.w3.eth.get_block("latest")["timestamp"]
    shown = 0
    for rid in range(pool.functions.request_count().call()):
        owner, receiver, is_deposit, amount, quoted, mature, _ = pool.functions.requests(rid).call()
        if mature == 0 or (me is not None and me not in (owner.lower(), receiver.lower())):
            continue
        shown += 1
        if is_deposit:
            what = f"deposit {s.tokens(amount)} for {quoted / 10**decimals:,.6f} shares"
        else:
            what = f"redeem {amount / 10**decimals:,.6f} shares for {s.tokens(quoted)}"
        due = "mature" if now >= mature else f"mature in {mature - now} s"
        click.echo(f"{rid:5d}  {what}  owner {owner}  {due} (unix {mature})")
    if not shown:
        click.echo("no pending requests" + (f" of {s.signer.address}" if me else ""))


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, standalone_mode=False)
    except CliError as exc:
        click.echo(f"ringfence: error: {exc}", err=True)
        return exc.code
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:
        click.echo(f"ringfence: error: {exc.format_message()}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
