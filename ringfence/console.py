"""The console-script body shared by the ``oracle`` and ``keeper`` commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def run(cli: click.Command, name: str) -> NoReturn:
    """Run the click command `cli` and exit with its code.

    A usage or configuration error prints click's one readable line and exits with its
    code (2 for usage); Ctrl-C (and SIGTERM, where the caller maps it to
    KeyboardInterrupt) prints "<name>: interrupted" and exits 130.
    """
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        click.echo(f"{name}: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
