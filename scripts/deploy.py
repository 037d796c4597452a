"""``ape run deploy`` — deploy Ringfence to a network from a YAML parameter file.

    ape run deploy contracts --network ethereum:local:foundry --account TEST::0 \\
        --params deploy/local.yaml
    ape run deploy contracts --network ethereum:sepolia:node --account ringfence-deployer \\
        --params deploy/sepolia.yaml
    ape run deploy show --network ethereum:local:foundry

Every parameter is checked against the contracts' limits and the chain before the first
transaction. On anything but a local network the plan is printed and confirmed before a
transaction is broadcast (``--yes`` skips the prompt for automation); ``--dry-run`` checks
and prints the plan on any network and sends nothing. The logic lives in
``ringfence/deployer.py``; this file is only the command line.
"""

import json

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context

from ringfence import deployer as deployment
from ringfence.deploy_config import ConfigError, load


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
def contracts(cli_ctx, network, account, params_path, yes, dry_run):
    """Deploy and wire every contract; writes deployments/<network>.json."""
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
    try:
        record = deployment.deploy(
            project, chain, accounts, account, config, network_name, log=click.echo
        )
    except (ValueError, ConfigError) as error:
        cli_ctx.abort(str(error))
    path = deployment.write(record, network_name)
    click.echo(f"deployment written to {path}")


@cli.command(cls=ConnectedProviderCommand)
@ape_cli_context()
def show(cli_ctx, network):
    """Print the addresses recorded for this network."""
    path = deployment.DEPLOYMENTS / f"{network.name}.json"
    if not path.is_file():
        cli_ctx.abort(f"no deployment recorded at {path}")
    record = json.loads(path.read_text())
    for name, entry in record["contracts"].items():
        click.echo(f"{name:24} {entry['address']}  (block {entry['block']})")
