"""`keeper`: the thin click shell over :mod:`keeper.service`.

``keeper run --network URL|CHOICE --deployment deployments/<network>-<chain id>.json --account …``
runs until SIGTERM/SIGINT, logging JSON lines on stderr (one ``submitted`` and one ``mined``
line per liquidation/settlement transaction, with position ids, tx hash and block).

Exit codes: 0 stopped by a signal after a clean shutdown; 2 configuration error (one line
on stderr, no traceback: bad deployment file, wrong chain, bad key or password, RPC
unreachable at start, or the node replaced by another chain while running). Transient RPC
errors after start never end it.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
from pathlib import Path
from typing import Any, NoReturn

import click

from keeper.config import KeeperConfig
from keeper.service import PASSWORD_ENV, ChainReplaced, ConfigError, open_service
from ringfence import console

EXIT_CONFIG = 2
HELP = KeeperConfig.help()


class KeeperConfigError(click.ClickException):
    exit_code = EXIT_CONFIG

    def show(self, file: Any = None) -> None:
        click.echo(f"keeper: error: {self.message}", err=True)


def fail(message: str) -> NoReturn:
    raise KeeperConfigError(message)


def parse_shard(value: str) -> tuple[int, int]:
    """``"k/N"`` -> (k, N) with 0 <= k < N."""
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {value!r}: expected k/N, e.g. 0/2") from None
    if not 0 <= k < n:
        raise ConfigError(f"--shard {value!r}: need 0 <= k < N")
    return k, n


def setup_logging(level: str = "info") -> None:
    """JSON lines on stderr for every ``keeper.*`` logger."""
    from ringfence.logs import setup_logging as setup

    setup(level, service="keeper")


def build_config(config_file: str | None, overrides: dict[str, Any]) -> KeeperConfig:
    """YAML file (optional) then command-line overrides, validated by KeeperConfig."""
    try:
        base = KeeperConfig.from_yaml(config_file) if config_file else KeeperConfig()
        values = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(base, **values)
    except (ValueError, TypeError, OSError) as exc:
        raise ConfigError(str(exc).splitlines()[0]) from None


CONFIG_EPILOG = (
    "Every KeeperConfig field may be set in the --config YAML file (keys = names below):\n\n\b\n"
    + "\n".join(f"{name}: {text}" for name, text in HELP.items())
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """Ringfence keeper: liquidates exactly the vaults below maintenance, settles expired ones."""


@cli.command(epilog=CONFIG_EPILOG)
@click.option(
    "--network",
    required=True,
    help="Node: an http(s)/ws(s) RPC URL, or an Ape network choice (ethereum:local:foundry).",
)
@click.option(
    "--deployment",
    required=True,
    type=click.Path(dir_okay=False),
    help="deployments/<network>-<chain id>.json written by `ape run deploy` (addresses, chain "
    "id, block); refused when its chain id is not the node's or it is incomplete.",
)
@click.option(
    "--account",
    default=None,
    help="Signer: TEST::n (Ape test account n, chain id 31337/1337 only), an eth-account "
    "keystore file, or an Ape account alias (~/.ape/accounts/<alias>.json). Without one the "
    "keeper runs as --dry-run.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"File whose first line is the keystore password (else ${PASSWORD_ENV}).",
)
@click.option("--dry-run", is_flag=True, default=None, help=HELP["dry_run"])
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    help="k/N: this instance handles vault ids with id % N == k.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65_535),
    default=None,
    help="Serve Prometheus /metrics on this port (0-65535, on 0.0.0.0); 0 or absent = no server.",
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False),
    default=None,
    help="Index checkpoint file (default .keeper/<chain id>-<clearing house>-<k>of<N>.json).",
)
@click.option("--poll-interval", type=float, default=None, help=HELP["poll_interval_s"])
@click.option("--max-candidates", type=int, default=None, help=HELP["max_candidates"])
@click.option("--max-fee-ceiling-gwei", type=float, default=None, help=HELP["max_fee_ceiling_gwei"])
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML file with any KeeperConfig fields (listed below); options override it.",
)
@click.option(
    "--rpc-timeout", type=float, default=10.0, show_default=True, help="Seconds per RPC request."
)
@click.option(
    "--backoff-max",
    type=float,
    default=5.0,
    show_default=True,
    help="Longest wait between retries after a failed scan, seconds.",
)
@click.option(
    "--max-scans",
    type=click.IntRange(min=1),
    default=None,
    help="Exit after this many polls (tests, cron use); a poll that finds no new block "
    "counts, so an idle chain ends too. Default: run until a signal.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Log level of the JSON lines on stderr.",
)
def run(
    network: str,
    deployment: str,
    account: str | None,
    password_file: str | None,
    dry_run: bool | None,
    shard: str,
    metrics_port: int | None,
    checkpoint: str | None,
    poll_interval: float | None,
    max_candidates: int | None,
    max_fee_ceiling_gwei: float | None,
    config_file: str | None,
    rpc_timeout: float,
    backoff_max: float,
    max_scans: int | None,
    log_level: str,
) -> None:
    """Run the keeper until SIGTERM/SIGINT: one scan per new block."""
    setup_logging(log_level)
    log = logging.getLogger("keeper.cli")
    try:
        k, n = parse_shard(shard)
        config = build_config(
            config_file,
            {
                "dry_run": dry_run,
                "shard": k,
                "shards": n,
                # no server unless asked for (two keepers on one host must not collide)
                "metrics_port": metrics_port if metrics_port is not None or config_file else 0,
                "checkpoint": checkpoint,
                "poll_interval_s": poll_interval,
                "max_candidates": max_candidates,
                "max_fee_ceiling_gwei": max_fee_ceiling_gwei,
            },
        )
        opened = open_service(
            network,
            deployment,
            account,
            password_file,
            config,
            ape_config=Path.cwd() / "ape-config.yaml",
            rpc_timeout=rpc_timeout,
            backoff_max_s=backoff_max,
        )
    except ConfigError as exc:
        fail(str(exc))
    cfg = opened.config
    if cfg.metrics_port:
        from prometheus_client import start_http_server

        from keeper.metrics import register

        registry = register(opened.service.keeper.metrics)
        try:
            start_http_server(cfg.metrics_port, registry=registry)
        except OSError as exc:
            fail(f"metrics port {cfg.metrics_port}: {exc.strerror or exc}")
        except OverflowError as exc:  # a port the socket layer refuses outright
            fail(f"metrics port {cfg.metrics_port}: {exc}")
    stop = opened.service.stop

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info(
        "started",
        extra={
            "chain_id": opened.chain_id,
            "clearing_house": cfg.clearing_house,
            "registry": cfg.registry,
            "view": cfg.view,
            "oracle": cfg.oracle,
            "signer": opened.signer_address,
            "dry_run": cfg.dry_run,
            "shard": f"{cfg.shard}/{cfg.shards}",
            "checkpoint": cfg.checkpoint,
            "start_block": cfg.start_block,
            "index_block": opened.service.keeper.index.block,
            "metrics_port": cfg.metrics_port or None,
        },
    )
    try:
        scans = opened.service.run(max_scans=max_scans)
    except ChainReplaced as exc:
        log.error("chain_replaced", extra={"error": str(exc)})
        fail(str(exc))
    log.info("stopped", extra={"scans": scans, "polls": opened.service.polls})


@cli.command()
def options() -> None:
    """Print every KeeperConfig field with its help text."""
    for name, text in HELP.items():
        click.echo(f"{name}: {text}")


def main() -> None:
    """Console-script entry point."""
    console.run(cli, "keeper")


if __name__ == "__main__":
    main()
