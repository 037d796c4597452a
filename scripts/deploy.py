"""``ape run deploy`` — deploy Ringfence to a network from a YAML parameter file.

    ape run deploy contracts --network ethereum:local:foundry --account TEST::0 \\
        --params deploy/local.yaml
    ape run deploy contracts --network ethereum:sepolia:node --account ringfence-deployer \\
        --params deploy/sepolia.yaml
    ape run deploy show --network ethereum:local:foundry

On anything but a local network the plan is printed and confirmed before a transaction is
broadcast (``--yes`` skips the prompt for automation). The logic lives in
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
def contracts(cli_ctx, network, account, params_path, yes):
    """Deploy and wire every contract; writes deployments/<network>.json."""
    try:
        config = load(params_path)
    except ConfigError as error:
        cli_ctx.abort(str(error))
    network_name = network.name
    local = deployment.is_local(network_name)
    if not local:
        click.echo(
            f"About to deploy Ringfence to {network.ecosystem.name}:{network_name} "
            f"(chain id {network.chain_id}) from {account.address} with {params_path}: "
            f"{len(config.feeds)} feed(s), {len(config.series)} series group(s)."
        )
        if not yes and not click.confirm("Broadcast these transactions?", default=False):
            cli_ctx.abort("deployment cancelled; nothing was sent")
    from ape import accounts, chain, project

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
