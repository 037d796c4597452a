"""``ape run demo`` — the same as ``make demo`` / ``python -m ringfence.demo``.

    ape run demo run --scenario crash

The demo starts its own anvil on a free loopback port (it needs no ``--network``); the logic
lives in ``ringfence/demo/`` and this file is only the command line.
"""

import click


@click.group()
def cli():
    """The whole Ringfence stack on a local anvil through a market scenario."""


@cli.command()
@click.option("--scenario", default="crash", show_default=True, help="a file in scenarios/")
@click.option("--traders", default=300, show_default=True, help="number of demo traders")
@click.option("--seed", default=0, show_default=True, help="seed of the book builder")
def run(scenario, traders, seed):
    """Run the demo and write reports/demo/ (summary.json, charts)."""
    from ringfence.demo.__main__ import main

    code = main(["--scenario", scenario, "--traders", str(traders), "--seed", str(seed)])
    if code:
        raise SystemExit(code)
