"""Deploy Ringfence onto the demo's anvil with the project's own deploy code.

Run as a child process by the demo (``python -m ringfence.demo.deploy_step --rpc URL``):
Ape connects to the already running anvil through ``APE_FOUNDRY_HOST`` (it never starts its
own node), ``ringfence.deployer.deploy`` deploys and wires every contract exactly as
``ape run deploy`` does, and the record is written to ``deployments/demo.json`` so a
developer's ``deployments/local-31337.json`` is left alone.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ringfence.demo.deploy_step")
    parser.add_argument("--rpc", required=True, help="loopback anvil URL")
    parser.add_argument("--params", default="deploy/demo.yaml", help="deploy parameter file")
    parser.add_argument("--name", default="demo", help="deployments/<name>.json")
    args = parser.parse_args(argv)
    os.environ["APE_FOUNDRY_HOST"] = args.rpc

    from ape import accounts, chain, networks, project

    from ringfence import deployer
    from ringfence.deploy_config import ConfigError, load

    try:
        config = load(args.params)
    except ConfigError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 2
    with networks.parse_network_choice("ethereum:local:foundry"):
        account = accounts.test_accounts[config.local_roles.get("deployer", 0)]
        record = deployer.deploy(
            project, chain, accounts, account, config, "local", log=lambda *_: None
        )
        path = deployer.write(record, deployer.DEPLOYMENTS / f"{args.name}.json")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
