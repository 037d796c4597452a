"""`oracle`: the thin click shell over the pusher's modules.

Exit codes: 0 done; 2 configuration error (one line on stderr, no traceback: bad key or
password, unknown feed, wrong chain id, every RPC unreachable at start, bad YAML/CSV);
130 interrupted. Transient errors never end `oracle push`.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any, NoReturn

import click

from oracle.config import Config, load_config, reference
from oracle.errors import ConfigError, TransientError
from oracle.keystore import (
    DEFAULT_PASSWORD_ENV,
    list_keystores,
    new_keystore,
    read_password,
    read_private_key,
)
from ringfence import console

EXIT_CONFIG = 2


class OracleConfigError(click.ClickException):
    exit_code = EXIT_CONFIG

    def show(self, file: Any = None) -> None:
        click.echo(f"oracle: error: {self.message}", err=True)


def fail(exc: Exception) -> NoReturn:
    raise OracleConfigError(str(exc)) from None


PUSH_EPILOG = (
    "Configuration (YAML; relative paths resolve against the config file's folder; "
    "see docs/pusher.md and oracle/examples/local.yaml):\n\n\b\n" + reference()
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """Ringfence oracle pusher: signs spot and SVI-surface reports and submits them."""


def _account(cfg: Config, password_file: str | None) -> Any:
    from eth_account import Account

    from oracle.keystore import decrypt_keystore

    password = read_password(password_file or cfg.signer.password_file, cfg.signer.password_env)
    return Account.from_key(decrypt_keystore(cfg.signer.keystore, password))


def _chain(cfg: Config) -> Any:
    from oracle.contract import OracleChain, load_abi, read_deployment
    from ringfence.rpc import FailoverRpc

    rpc = FailoverRpc(
        cfg.rpc_urls,
        timeout=cfg.rpc_timeout,
        rounds=cfg.retry.rounds,
        backoff_base=cfg.retry.backoff_base,
        backoff_max=cfg.retry.backoff_max,
        logger=logging.getLogger("oracle.rpc"),  # the pusher's JSON log lines
    )
    rpc.connect(cfg.chain_id)
    address, abi = cfg.oracle.address, None
    if cfg.oracle.deployment:
        deployed, abi = read_deployment(cfg.oracle.deployment, chain_id=cfg.chain_id, node=rpc.url)
        address = address or deployed
    if cfg.oracle.abi_file or abi is None:
        abi = load_abi(cfg.oracle.abi_file)
    assert address is not None
    return OracleChain(rpc, address, abi)


@cli.command(epilog=PUSH_EPILOG)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="YAML configuration file (every option is listed below).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Do everything (observe, decide, sign, simulate with eth_call) but send.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=1, max=65_535),
    default=None,
    help="Serve Prometheus metrics on this port (1-65535, on 0.0.0.0). Default: no server.",
)
@click.option("--once", is_flag=True, help="Exit after one completed cycle.")
@click.option(
    "--max-cycles",
    type=click.IntRange(min=1),
    default=None,
    help="Exit after this many completed cycles.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the keystore password (overrides signer.password_file; "
    f"else ${DEFAULT_PASSWORD_ENV} or signer.password_env).",
)
def push(
    config_path: str,
    dry_run: bool,
    metrics_port: int | None,
    once: bool,
    max_cycles: int | None,
    password_file: str | None,
) -> None:
    """Observe the sources and push due reports to the Oracle, in one batch per cycle.

    Runs until interrupted (or --once / --max-cycles, or every replay source with
    on_end: stop has run out). JSON-lines logs go to stderr.
    """
    from oracle.service import build_source
    from ringfence.logs import setup_logging

    try:
        cfg = load_config(config_path)
        setup_logging(cfg.log_level)
        sources = {f.underlying: [build_source(f, s) for s in f.sources] for f in cfg.feeds}
        account = _account(cfg, password_file)
        chain = _chain(cfg)
        pusher = _pusher(cfg, chain, account, dry_run, metrics_port, sources)
        _start(pusher, cfg)
        pusher.run(max_cycles=1 if once else max_cycles)
    except ConfigError as exc:
        fail(exc)


def _pusher(
    cfg: Config, chain: Any, account: Any, dry_run: bool, metrics_port: int | None, sources: dict
) -> Any:
    from oracle.metrics import Metrics
    from oracle.sender import Sender
    from oracle.service import Pusher, make_clock
    from ringfence.fees import GWEI, FeePolicy

    metrics = Metrics()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        try:
            start_http_server(metrics_port, registry=metrics.registry)
        except OSError as exc:
            raise ConfigError(f"metrics port {metrics_port}: {exc.strerror or exc}") from None
        except OverflowError as exc:  # a port the socket layer refuses outright
            raise ConfigError(f"metrics port {metrics_port}: {exc}") from None
    s = cfg.sending
    policy = FeePolicy(
        priority_fee=int(s.priority_fee_gwei * GWEI),
        max_fee_ceiling=int(s.max_fee_ceiling_gwei * GWEI),
        base_fee_multiplier=s.base_fee_multiplier,
        replace_after_blocks=s.replace_after_blocks,
        replace_after_seconds=s.replace_after_seconds,
    )

    sender = Sender(
        chain.rpc,
        account,
        cfg.chain_id,
        policy,
        gas_limit=s.gas_limit,
        gas_multiplier=s.gas_multiplier,
        poll_interval=s.receipt_poll_interval,
        receipt_timeout=s.receipt_timeout,
    )
    return Pusher(
        cfg,
        chain,
        account,
        None if dry_run else sender,
        metrics,
        dry_run=dry_run,
        clock=make_clock(cfg.clock, chain.rpc),
        sources=sources,
    )


def _start(pusher: Any, cfg: Config) -> None:
    """Start-up checks; a transient RPC failure here is retried, never fatal."""
    delay = cfg.retry.backoff_base
    while True:
        try:
            pusher.start()
            return
        except TransientError as exc:
            logging.getLogger("oracle.cli").warning(
                "startup_retry", extra={"error": str(exc), "retry_in": delay}
            )
            time.sleep(delay)
            delay = min(delay * 2, cfg.retry.cycle_backoff_max)


@cli.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="YAML configuration file (uses chain_id, rpc_urls and oracle).",
)
def show(config_path: str) -> None:
    """Print the on-chain feeds as a table: value, age, signer count; a held spot breaker
    with the signers' median, and each fixed settlement price."""
    from rich.console import Console
    from rich.table import Table

    from oracle.units import WAD

    try:
        cfg = load_config(config_path)
        chain = _chain(cfg)
        now = int(
            chain.rpc.call(lambda w3: w3.eth.get_block("latest")["timestamp"], "eth_getBlock")
        )
        table = Table(title=f"Oracle {chain.address} (chain {cfg.chain_id}, block time {now})")
        for col in ("feed", "expiry", "value", "age (s)", "max age", "signers", "fresh"):
            table.add_column(col, justify="left" if col in ("feed", "expiry") else "right")
        for uid in chain.view("feed_ids"):
            name = bytes(uid).rstrip(b"\0").decode("ascii", "replace")
            listed, max_age, *_ = chain.view("feed", uid)
            price, observed_at, _ = chain.view("spot", uid)
            age = str(now - observed_at) if observed_at else "-"
            fresh = bool(observed_at) and now - observed_at <= max_age
            value = f"{price / WAD:,.4f}" if observed_at else "-"
            _anchor, _since, held, median = chain.view("breaker", uid)
            if held:
                # the published spot lags the signers: say so next to it (docs/oracle.md §5)
                value += f" (breaker held; signers' median {median / WAD:,.4f})"
            table.add_row(
                name,
                "spot",
                value,
                age,
                str(max_age),
                str(chain.view("fresh_report_count", uid, 0)),
                "yes" if fresh else "no",
            )
            for expiry in chain.view("expiries", uid):
                s = chain.view("surface", uid, expiry)
                observed = s[7]
                fresh = bool(observed) and now - observed <= max_age
                vol = f"{chain.view('atm_vol', uid, expiry) / WAD:.2%} atm" if fresh else "-"
                settled = chain.view("settlement_price", uid, expiry)
                if settled:
                    vol = f"settled at {settled / WAD:,.4f}"
                table.add_row(
                    name,
                    str(expiry),
                    vol,
                    str(now - observed) if observed else "-",
                    str(max_age),
                    str(chain.view("fresh_report_count", uid, expiry)),
                    "yes" if fresh else "no",
                )
        Console().print(table)
    except (ConfigError, TransientError) as exc:
        fail(exc)


@cli.group()
def keys() -> None:
    """Manage encrypted keystores (eth-account / Web3 Secret Storage JSON)."""


def _dir_option(help_text: str) -> Any:
    return click.option(
        "--dir", "directory", required=True, type=click.Path(file_okay=False), help=help_text
    )


def _password_options(fn: Any) -> Any:
    fn = click.option(
        "--password-env",
        default=DEFAULT_PASSWORD_ENV,
        show_default=True,
        help="Environment variable holding the password.",
    )(fn)
    return click.option(
        "--password-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File whose first line is the password (wins over the env var).",
    )(fn)


@keys.command("new")
@_dir_option("Keystore directory (created if missing).")
@_password_options
def keys_new(directory: str, password_file: str | None, password_env: str) -> None:
    """Create a new key, encrypted with the password; prints its address and file."""
    try:
        entry = new_keystore(directory, read_password(password_file, password_env))
    except ConfigError as exc:
        fail(exc)
    click.echo(f"{entry.address} {entry.path}")


@keys.command("import")
@_dir_option("Keystore directory (created if missing).")
@click.option(
    "--key-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="File whose first line is the hex private key (never pass a key as an argument).",
)
@_password_options
def keys_import(
    directory: str, key_file: str, password_file: str | None, password_env: str
) -> None:
    """Encrypt an existing private key (e.g. the signer a deployment registered) into a
    keystore; prints its address and file."""
    try:
        key = read_private_key(key_file)
        entry = new_keystore(directory, read_password(password_file, password_env), key)
    except ConfigError as exc:
        fail(exc)
    click.echo(f"{entry.address} {entry.path}")


@keys.command("list")
@_dir_option("Keystore directory.")
def keys_list(directory: str) -> None:
    """List the keystores in a directory (address and file), without decrypting."""
    try:
        entries = list_keystores(directory)
    except ConfigError as exc:
        fail(exc)
    for entry in entries:
        click.echo(f"{entry.address} {entry.path}")


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: SIGTERM and Ctrl-C end the service quietly (exit 130)."""
    signal.signal(signal.SIGTERM, _terminate)
    console.run(cli, "oracle")
