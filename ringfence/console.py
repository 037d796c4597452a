"""The console-script body shared by the ``oracle`` and ``keeper`` commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def run(cli: click.Command, name: str) -> NoReturn:
    """Run the click command `cli` and exit with its code.

    A usage error (bad option value, missing option) prints ONE line,
    ``<name>: error: <click's message> (see '<command> --help')``, and exits 2; a
    configuration error prints its own one line and exits with its code; Ctrl-C (and
    SIGTERM, where the caller maps it to KeyboardInterrupt) prints "<name>: interrupted"
    and exits 130.
    """
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as exc:  # one line, not click's usage block
        where = exc.ctx.command_path if exc.ctx is not None else name
        click.echo(f"{name}: error: {exc.format_message()} (see '{where} --help')", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        click.echo(f"{name}: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
