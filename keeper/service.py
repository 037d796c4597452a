"""The keeper as a long-running service: start-up checks, the block loop, backoff, metrics.

Shared by the ``keeper`` CLI (:mod:`keeper.cli`) and the Silverback bot (:mod:`keeper.bot`),
so both shells start the same way and fail the same way:

- **Start-up** (:func:`open_service`) reads the deployment file (the ``ClearingHouse``,
  ``Registry``, ``ClearingHouseView`` and ``Oracle`` addresses), connects to the node,
  checks the chain id against the deployment and that each of those addresses holds code,
  loads the signer, and builds :class:`keeper.scan.Keeper`. Every failure here is a
  :class:`ConfigError` with one readable line: the CLI prints it and exits 2.
- **Running** (:meth:`Service.run`) polls the head every ``poll_interval_s`` and scans once
  per new block. When the node turns out to be another chain (chain id or genesis hash
  changed, or the head below the last indexed block: a fresh anvil on the same port), it
  raises :class:`ChainReplaced` instead of scanning an empty book for ever. Any other error
  inside a scan (node down, timeout, a reverted read) is logged and retried with
  exponential backoff (``backoff_base_s`` doubling to ``backoff_max_s``); the
  loop never dies of a transient error and picks up where the index checkpoint left off.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from keeper.config import KeeperConfig
from keeper.sender import LocalSigner, Signer
from ringfence import keystore as shared_keystore
from ringfence import records
from ringfence.devchain import ANVIL_MNEMONIC
from ringfence.errors import ConfigError, short_error
from ringfence.network import NetworkError
from ringfence.network import resolve_rpc_url as network_url
from ringfence.rpc import Chain, RpcError, Web3Rpc

log = logging.getLogger("keeper.service")

DEV_CHAIN_IDS = (31_337, 1_337)
PASSWORD_ENV = "KEEPER_KEYSTORE_PASSWORD"
TEST_ACCOUNT = re.compile(r"^TEST::(\d+)$")
DEFAULT_TEST_ACCOUNTS = 10  # Ape's test.number_of_accounts default


class ChainReplaced(Exception):
    """The node now serves another chain than the one the keeper indexed (a new anvil on the
    same port, a reset devnet): one readable line; the loop stops instead of scanning an
    empty book for ever."""


# ------------------------------------------------------------------------------ deployment


@dataclass(frozen=True)
class Deployment:
    """What the keeper needs from ``deployments/<name>.json``."""

    path: Path
    chain_id: int | None
    clearing_house: str
    registry: str
    view: str
    oracle: str
    start_block: int
    pool: str = ""  # LiquidityPool: its mature LP requests are executed ("" in older records)


#: Record name -> Deployment field, for every contract the keeper talks to.
DEPLOYED = {
    "ClearingHouse": "clearing_house",
    "Registry": "registry",
    "ClearingHouseView": "view",
    "Oracle": "oracle",
}


def load_deployment(path: str | Path) -> Deployment:
    """Read a deployment record written by ``ringfence.deployer.write``.

    The index starts at the deployment block of the older of ``Registry`` and
    ``ClearingHouse`` (the registry is deployed, and its risk parameters set, first); when
    either has no block recorded, at the record's ``block`` (its oldest contract), else 0.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"deployment file {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise ConfigError(f"deployment file {path}: not JSON") from None
    unfinished = records.incomplete(doc, path)
    if unfinished:
        raise ConfigError(unfinished)
    contracts = doc.get("contracts") if isinstance(doc, Mapping) else None
    if not isinstance(contracts, Mapping):
        raise ConfigError(f"deployment file {path}: no 'contracts' table")
    try:
        entries = {name: contracts[name] for name in DEPLOYED}
        addresses = {name: str(entry["address"]) for name, entry in entries.items()}
    except (KeyError, TypeError):
        raise ConfigError(
            f"deployment file {path}: needs {', '.join(DEPLOYED)} addresses"
        ) from None
    for name, address in addresses.items():
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
            raise ConfigError(f"deployment file {path}: bad {name} address {address!r}")
    own = [entries[name].get("block") for name in ("Registry", "ClearingHouse")]
    if all(_is_block(b) for b in own):
        start = min(own)
    else:
        start = doc["block"] if _is_block(doc.get("block")) else 0
    chain_id = doc.get("chain_id")
    pool = contracts.get("LiquidityPool")
    pool_address = str(pool.get("address", "")) if isinstance(pool, Mapping) else ""
    if pool_address and not re.fullmatch(r"0x[0-9a-fA-F]{40}", pool_address):
        raise ConfigError(f"deployment file {path}: bad LiquidityPool address {pool_address!r}")
    return Deployment(
        path=path,
        chain_id=int(chain_id) if isinstance(chain_id, int) else None,
        start_block=start,
        pool=pool_address,
        **{field: addresses[name] for name, field in DEPLOYED.items()},
    )


def _is_block(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# ------------------------------------------------------------------------------ network


def resolve_rpc_url(network: str, ape_config: Path | None = None) -> str:
    """``ringfence.network.resolve_rpc_url`` with its error as a :class:`ConfigError`."""
    try:
        return network_url(network, ape_config)
    except NetworkError as exc:
        raise ConfigError(str(exc)) from None


def connect(url: str, timeout: float = 10.0) -> Chain:
    """A :class:`Chain` over web3.py's HTTP/WS provider for ``url``."""
    from web3 import HTTPProvider, Web3

    if url.startswith("ws"):
        from web3 import LegacyWebSocketProvider

        w3 = Web3(LegacyWebSocketProvider(url, websocket_timeout=timeout))
    else:
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
    return Chain(Web3Rpc(w3))


# ------------------------------------------------------------------------------ accounts


class NoSigner:
    """Dry-run identity: simulations are sent from this address; it never signs."""

    def __init__(self, address: str = "0x" + "00" * 19 + "01"):
        self.address = address

    def sign(self, tx: Mapping[str, Any]) -> tuple[bytes, str]:
        raise RuntimeError("keeper: no signer (dry run)")


def read_password(password_file: str | Path | None) -> str:
    """Keystore password: first line of ``password_file``, else ``$KEEPER_KEYSTORE_PASSWORD``."""
    try:
        return shared_keystore.read_password(password_file, PASSWORD_ENV)
    except shared_keystore.KeystoreError as exc:
        raise ConfigError(str(exc)) from None


def _ape_test_config(ape_config: Path | None) -> dict[str, Any]:
    path = ape_config or Path.cwd() / "ape-config.yaml"
    if path.exists():
        doc = yaml.safe_load(path.read_text()) or {}
        return doc.get("test") or {}
    return {}


def test_mnemonic(ape_config: Path | None = None) -> str:
    """The mnemonic of Ape's test accounts (``test.mnemonic`` in ``ape-config.yaml``)."""
    mnemonic = _ape_test_config(ape_config).get("mnemonic")
    return str(mnemonic) if mnemonic else ANVIL_MNEMONIC


def test_account_count(ape_config: Path | None = None) -> int:
    """How many test accounts Ape (and the node it launches) makes:
    ``test.number_of_accounts``, 10 by default."""
    return int(_ape_test_config(ape_config).get("number_of_accounts") or DEFAULT_TEST_ACCOUNTS)


def ape_accounts_folder() -> Path:
    """Where Ape keeps its named accounts: ``$APE_DATA_FOLDER/accounts`` or ``~/.ape/accounts``."""
    import os

    root = os.environ.get("APE_DATA_FOLDER")
    return (Path(root) if root else Path.home() / ".ape") / "accounts"


def keystore_of(account: str) -> Path:
    """The keystore file behind ``account``: a path to a keystore JSON, or the alias of an
    Ape account (``ape accounts import <alias>``: ``~/.ape/accounts/<alias>.json``)."""
    path = Path(account).expanduser()
    if path.is_file():
        return path
    alias = ape_accounts_folder() / f"{account}.json"
    if "/" not in account and alias.is_file():
        return alias
    raise ConfigError(
        f"account {account!r}: no keystore file of that name and no Ape account alias "
        f"{account!r} in {ape_accounts_folder()} (see `ape accounts list`)"
    )


def load_signer(
    account: str | None,
    chain_id: int,
    password_file: str | Path | None = None,
    ape_config: Path | None = None,
) -> Signer | None:
    """``TEST::n`` (dev chains only, n below the configured number of test accounts), an
    eth-account keystore file or an Ape account alias; None for no account."""
    from eth_account import Account

    if not account:
        return None
    test = TEST_ACCOUNT.match(account)
    if test:
        if chain_id not in DEV_CHAIN_IDS:
            raise ConfigError(
                f"account {account}: test accounts only on chain id 31337/1337, not {chain_id}"
            )
        count = test_account_count(ape_config)
        if int(test.group(1)) >= count:
            raise ConfigError(
                f"account {account}: the node has test accounts TEST::0 to TEST::{count - 1} "
                "(test.number_of_accounts in ape-config.yaml)"
            )
        Account.enable_unaudited_hdwallet_features()
        local = Account.from_mnemonic(
            test_mnemonic(ape_config), account_path=f"m/44'/60'/0'/0/{test.group(1)}"
        )
        return LocalSigner(local)
    path = keystore_of(account)
    password = read_password(password_file)
    try:
        key = shared_keystore.decrypt_keystore(path, password)
    except shared_keystore.KeystoreError as exc:
        raise ConfigError(str(exc)) from None
    return LocalSigner(Account.from_key(key))


# ------------------------------------------------------------------------------ service


def default_checkpoint(deployment: Deployment, chain_id: int, shard: int, shards: int) -> str:
    """One checkpoint per chain, clearing house and shard, under ``.keeper/``."""
    name = f"{chain_id}-{deployment.clearing_house.lower()}-{shard}of{shards}.json"
    return str(Path(".keeper") / name)


@dataclass
class Service:
    """The block loop around one :class:`keeper.scan.Keeper`."""

    keeper: Any  # keeper.scan.Keeper
    poll_interval_s: float = 2.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 5.0
    on_scan: Callable[[Any], None] | None = None

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.last_head = -1
        self.failures = 0
        self.polls = 0
        self.identity: tuple[int, str | None] | None = None  # (chain id, genesis hash)
        self.recheck = False  # verify the chain on the next poll (after a failed one)

    def _identity(self) -> tuple[int, str | None]:
        chain = self.keeper.chain
        return chain.chain_id(), chain.block_hash(0)

    def check_chain(self, head: int) -> None:
        """Raise :class:`ChainReplaced` when the node is no longer the indexed chain: its
        chain id or genesis hash changed, or its head is below the last indexed block.
        Checked on the first poll (to learn the chain), after a failed poll, and whenever
        the head is below the index; otherwise it costs nothing."""
        index = getattr(self.keeper, "index", None)
        indexed = getattr(index, "block", None)
        behind = isinstance(indexed, int) and head < indexed
        if self.identity is None:
            self.identity = self._identity()
            if not behind:
                return
        if not (behind or self.recheck):
            return
        self.recheck = False
        chain_id, genesis = self._identity()
        known_id, known_genesis = self.identity
        reasons = []
        if chain_id != known_id:
            reasons.append(f"chain id {known_id} is now {chain_id}")
        elif genesis != known_genesis:
            reasons.append("its genesis block changed")
        if behind:
            reasons.append(f"head {head} is below the indexed block {indexed}")
        if reasons:
            raise ChainReplaced(
                f"the node is no longer the chain this keeper indexed ({'; '.join(reasons)}): "
                "deploy again and point --deployment at the new record"
            )

    def step(self) -> bool:
        """One poll: scan when the head moved. True when a scan ran; errors propagate."""
        head = self.keeper.chain.block_number()
        self.check_chain(head)
        if head == self.last_head:
            return False
        result = self.keeper.scan()
        self.last_head = head
        m = self.keeper.metrics
        log.info(
            "scan",
            extra={
                "block": result.block,
                "head": head,
                "positions": m.positions_indexed,
                "candidates": m.candidates,
                "confirmed": m.confirmed,
                "settleable": m.settleable,
                "ms": round(result.seconds * 1_000, 1),
            },
        )
        if self.on_scan is not None:
            self.on_scan(result)
        return True

    def run(self, max_scans: int | None = None) -> int:
        """Poll until :attr:`stop` is set, or until ``max_scans`` polls answered (a poll that
        finds the head unchanged counts, so an idle chain ends the run too; a failed poll
        does not). Returns the scans run; :attr:`polls` holds the answered polls."""
        scans = 0
        self.polls = 0
        delay = self.backoff_base_s
        while not self.stop.is_set():
            try:
                if self.step():
                    scans += 1
                self.polls += 1
                if self.failures:
                    log.info("recovered", extra={"after_failures": self.failures})
                self.failures = 0
                delay = self.backoff_base_s
                wait = self.poll_interval_s
            except ChainReplaced:
                raise
            except Exception as exc:  # transient by design: the next poll decides again
                self.recheck = True
                self.failures += 1
                log.warning(
                    "scan_failed",
                    extra={"error": _one_line(exc), "failures": self.failures, "retry_in": delay},
                )
                wait = delay
                delay = min(delay * 2, self.backoff_max_s)
            if max_scans is not None and self.polls >= max_scans:
                break
            self.stop.wait(wait)
        return scans


def _one_line(exc: BaseException) -> str:
    return short_error(exc)


@dataclass
class Opened:
    service: Service
    config: KeeperConfig
    chain_id: int
    signer_address: str | None


def open_service(
    network: str,
    deployment_path: str | Path,
    account: str | None,
    password_file: str | Path | None = None,
    config: KeeperConfig | None = None,
    ape_config: Path | None = None,
    rpc_timeout: float = 10.0,
    backoff_max_s: float = 5.0,
) -> Opened:
    """Every start-up check, then a ready :class:`Service` (raises :class:`ConfigError`)."""
    from keeper.scan import Keeper

    config = config or KeeperConfig()
    deployment = load_deployment(deployment_path)
    url = resolve_rpc_url(network, ape_config)
    chain = connect(url, rpc_timeout)
    try:
        chain_id = chain.chain_id()
    except (RpcError, OSError, ValueError) as exc:
        raise ConfigError(f"RPC {url} unreachable: {_one_line(exc)}") from None
    except Exception as exc:
        raise ConfigError(f"RPC {url} unreachable: {_one_line(exc)}") from None
    mismatch = records.chain_mismatch(
        {"chain_id": deployment.chain_id}, deployment.path, chain_id, url
    )
    if mismatch:
        raise ConfigError(mismatch)
    signer = load_signer(account, chain_id, password_file, ape_config)
    if signer is not None and not config.dry_run:
        try:
            balance = chain.balance(signer.address)
        except Exception as exc:
            raise ConfigError(f"RPC {url} unreachable: {_one_line(exc)}") from None
        if balance == 0:
            raise ConfigError(
                f"signer {signer.address} has no ETH on chain id {chain_id}: it could not pay "
                "for a liquidation (fund it, or run with --dry-run)"
            )
    checked = dict(DEPLOYED, **({"LiquidityPool": "pool"} if deployment.pool else {}))
    for name, field in checked.items():
        address = getattr(deployment, field)
        try:
            code = chain.rpc.request("eth_getCode", [address, "latest"])
        except Exception as exc:
            raise ConfigError(f"RPC {url} unreachable: {_one_line(exc)}") from None
        if not code or code in ("0x", "0x0"):
            raise ConfigError(
                f"no {name} code at {address} on chain id {chain_id}: "
                "is the deployment file for this node?"
            )
    updates: dict[str, Any] = {field: getattr(deployment, field) for field in checked.values()}
    updates["start_block"] = deployment.start_block
    if signer is None:
        updates["dry_run"] = True
    if not config.checkpoint or config.checkpoint == KeeperConfig().checkpoint:
        updates["checkpoint"] = default_checkpoint(
            deployment, chain_id, config.shard, config.shards
        )
    config = replace(config, **updates)
    try:
        keeper = Keeper(config, chain, signer or NoSigner())
    except ValueError as exc:  # e.g. a checkpoint of another clearing house
        raise ConfigError(str(exc)) from None
    except Exception as exc:
        raise ConfigError(f"start-up failed: {_one_line(exc)}") from None
    service = Service(keeper, poll_interval_s=config.poll_interval_s, backoff_max_s=backoff_max_s)
    return Opened(service, config, chain_id, signer.address if signer else None)
