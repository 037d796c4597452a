"""``ape run deploy`` — deploy Ringfence to a network from a YAML parameter file.

    ape run deploy contracts --network ethereum:local:foundry --account TEST::0 \\
        --params deploy/local.yaml
    ape run deploy contracts --network ethereum:sepolia:node --account ringfence-deployer \\
        --params deploy/sepolia.yaml
    ape run deploy show --network ethereum:local:foundry

The record is ``deployments/<network>-<chain id>.json`` (``deployments/local-31337.json`` on
anvil), written after every contract deployed and marked complete at the end; an earlier
record at that path is archived with a timestamp, never overwritten.

Every parameter is checked against the contracts' limits and the chain before the first
transaction. On anything but a local network the plan is printed and confirmed before a
transaction is broadcast (``--yes`` skips the prompt for automation); ``--dry-run`` checks
and prints the plan on any network and sends nothing. The logic lives in
``ringfence/deployer.py``; this file is only the command line.
"""

import json
import signal
import sys
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context

from ringfence import deployer as deployment
from ringfence import records
from ringfence.deploy_config import ConfigError, load

DEPLOYMENTS_OPTION = click.option(
    "--deployments",
    "deployments_dir",
    type=click.Path(file_okay=False),
    default=str(records.DEPLOYMENTS),
    show_default=True,
    help="Folder of the records, one per chain: <network>-<chain id>.json.",
)


@click.group()
def cli():
    """Deploy Ringfence and inspect deployments."""


@cli.command(cls=ConnectedProviderCommand)
@ape_cli_context()
@account_option()
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    default="deploy/local.yaml",
    show_default=True,
    help="YAML parameter file (see deploy/local.yaml and deploy/sepolia.yaml).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on non-local networks.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the parameter file against the contracts' limits and this chain (its clock, "
    "the accounts), print the plan, and send nothing.",
)
@DEPLOYMENTS_OPTION
def contracts(cli_ctx, network, account, params_path, yes, dry_run, deployments_dir):
    """Deploy and wire every contract; writes deployments/<network>-<chain id>.json after
    every contract (an earlier record there is archived first)."""
    from ape import accounts, chain, project

    network_name = network.name
    try:
        config = load(params_path)
        the_plan = deployment.make_plan(chain, accounts, account, config, network_name)
    except ConfigError as error:
        cli_ctx.abort(str(error))
    if dry_run or not the_plan.local:
        click.echo(
            f"Plan: Ringfence on {network.ecosystem.name}:{network_name} "
            f"(chain id {network.chain_id}) from {account.address} with {params_path}:"
        )
        for step in the_plan.steps():
            click.echo(f"  {step}")
    if dry_run:
        click.echo("dry run: parameters valid; nothing was sent")
        return
    confirmed = the_plan.local or yes
    if not confirmed and not click.confirm("Broadcast these transactions?", default=False):
        cli_ctx.abort("deployment cancelled; nothing was sent")
    path = records.record_path(network_name, network.chain_id, Path(deployments_dir))
    archived = records.archive(path)
    if archived is not None:
        click.echo(f"previous record archived to {archived}")
    latest: dict = {}

    def save(doc: dict) -> None:
        latest.update(doc)
        records.write(doc, path)

    # Ape turns SIGINT into sys.exit(130); here Ctrl-C and SIGTERM raise KeyboardInterrupt
    # instead, so the record of what already exists is marked before the exit.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        record = deployment.deploy(
            project, chain, accounts, account, config, network_name,
            log=click.echo, on_record=save,
        )  # fmt: skip
    except KeyboardInterrupt:
        _stopped(latest, path, "interrupted")
        click.echo(f"interrupted: {_partial(latest, path)}", err=True)
        sys.exit(130)
    except Exception as error:  # one line for any failure, with what exists on chain
        reason = _short(error)
        _stopped(latest, path, reason)
        cli_ctx.abort(f"deployment failed: {reason}; {_partial(latest, path)}")
    records.write(record, path)
    click.echo(f"deployment written to {path}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:200]


def _stopped(latest: dict, path, reason: str) -> None:
    if latest:
        records.write({**latest, "complete": False, "error": reason}, path)


def _partial(latest: dict, path) -> str:
    if not latest:
        return "no contract was deployed"
    return f"{len(latest['contracts'])} contract(s) deployed, recorded (incomplete) in {path}"


@cli.command(cls=ConnectedProviderCommand)
@ape_cli_context()
@DEPLOYMENTS_OPTION
def show(cli_ctx, network, deployments_dir):
    """Print the addresses recorded for this network and chain id
    (deployments/<network>-<chain id>.json); refuses a record of another chain."""
    from ape import chain

    path = records.record_path(network.name, network.chain_id, Path(deployments_dir))
    if not path.is_file():
        cli_ctx.abort(f"no deployment recorded at {path}")
    try:
        record = json.loads(path.read_text())
    except ValueError:
        cli_ctx.abort(f"deployment file {path}: not JSON")
    mismatch = records.chain_mismatch(record, path, chain.chain_id, network.name)
    if mismatch:
        cli_ctx.abort(mismatch)
    contracts = record.get("contracts") or {}
    code = {name: chain.provider.get_code(e["address"]) for name, e in contracts.items()}
    if contracts and not any(len(c) for c in code.values()):
        cli_ctx.abort(
            f"deployment {path}: none of its {len(contracts)} contracts has code on this node "
            "(a fresh chain with the same chain id?)"
        )
    note = records.incomplete(record, path)
    if note:
        click.echo(f"WARNING: {note}")
    for name, entry in contracts.items():
        missing = "" if len(code[name]) else "  NO CODE on this node"
        click.echo(f"{name:24} {entry['address']}  (block {entry['block']}){missing}")
