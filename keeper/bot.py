"""The keeper as a Silverback bot: one :meth:`keeper.scan.Keeper.scan` per new block.

Run it with Silverback's own runner (``silverback run keeper.bot:bot --network
ethereum:local:foundry``); Silverback connects the Ape provider and delivers new blocks,
this module only builds the same :class:`keeper.service.Service` the ``keeper`` CLI uses
(same start-up checks, same signer rules, same checkpoint) and scans on each block.

Settings come from the environment (Silverback has no options of its own for a bot):

=============================== ==========================================================
``KEEPER_DEPLOYMENT``           deployment file (default ``deployments/local-31337.json``): the
                                ``ClearingHouse``, ``Registry``, ``ClearingHouseView`` and
                                ``Oracle`` addresses, chain id and deployment blocks
``KEEPER_ACCOUNT``              ``TEST::n`` (chain id 31337/1337 only), a keystore path
                                or an Ape account alias; unset = dry run
``KEEPER_PASSWORD_FILE``        keystore password file (else ``$KEEPER_KEYSTORE_PASSWORD``)
``KEEPER_CONFIG``               optional YAML of :class:`keeper.config.KeeperConfig` fields
``KEEPER_RPC_URL``              the node the core talks to (default: the Ape provider's URI)
``KEEPER_LOG_LEVEL``            level of the keeper's own JSON log lines on stderr (default
                                ``info``: every submitted, mined and lost transaction)
=============================== ==========================================================

At start-up the bot logs ``started`` with its signer, or a warning that it runs as a dry
run (no ``KEEPER_ACCOUNT``): it then sends nothing and says what it would have sent.

``bot`` is created on first access (``keeper.bot.bot``), so importing this module never
connects anywhere; :func:`wire` registers the handlers on any Silverback-like object and
is what the unit tests exercise.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keeper.config import KeeperConfig
from keeper.service import Opened, open_service

log = logging.getLogger("keeper.bot")


class KeeperTasks:
    """The bot's handlers as plain methods over a lazily opened service."""

    def __init__(self, opener: Callable[[], Opened]):
        self._opener = opener
        self.opened: Opened | None = None

    def startup(self, *_: Any) -> dict[str, Any]:
        """Open the service; returns what Silverback records as metrics — numbers only (a
        string datapoint is a 13-line pydantic warning per field in Silverback 0.7.38): the
        block the index resumed from and whether it is a dry run. The signer and the
        contracts go to the ``started`` log line."""
        self.opened = self._opener()
        keeper = self.opened.service.keeper
        cfg = self.opened.config
        if self.opened.signer_address is None or cfg.dry_run:
            log.warning(
                "dry run: %s; the bot sends nothing and logs what it would send",
                "KEEPER_ACCOUNT is not set" if self.opened.signer_address is None else "dry_run",
            )
        log.info(
            "started",
            extra={
                "signer": self.opened.signer_address,
                "dry_run": cfg.dry_run,
                "clearing_house": cfg.clearing_house,
                "registry": cfg.registry,
                "view": cfg.view,
                "oracle": cfg.oracle,
                "index_block": keeper.index.block,
            },
        )
        return {
            "index_block": keeper.index.block,
            "dry_run": cfg.dry_run or self.opened.signer_address is None,
        }

    def on_block(self, block: Any) -> dict[str, Any]:
        """Scan once; returns the figures Silverback records for the task."""
        if self.opened is None:
            self.startup()
        assert self.opened is not None
        keeper = self.opened.service.keeper
        result = keeper.scan()
        m = keeper.metrics
        return {
            "block": result.block,
            "positions": m.positions_indexed,
            "candidates": m.candidates,
            "confirmed": m.confirmed,
            "settleable": m.settleable,
            "scan_ms": round(result.seconds * 1_000, 1),
        }


def wire(bot: Any, blocks: Any, tasks: KeeperTasks) -> Any:
    """Register ``tasks`` on a SilverbackBot: start-up and one scan per block of ``blocks``
    (``chain.blocks``)."""

    # plain functions: taskiq renames the handlers it wraps, which bound methods refuse
    def keeper_startup(startup_state: Any) -> dict[str, Any]:
        return tasks.startup()

    def keeper_scan(block: Any) -> dict[str, Any]:
        return tasks.on_block(block)

    bot.on_startup()(keeper_startup)
    bot.on_(blocks)(keeper_scan)
    return bot


async def wake_loop_on_signals(startup_state: Any = None) -> None:
    """Make SIGTERM/SIGINT wake Silverback's event loop at once.

    Silverback 0.7.38 (``silverback/runner.py``, ``BaseRunner.run``) installs its handlers
    with plain ``signal.signal``: the handler only sets an ``asyncio.Event``, and nothing
    wakes the loop out of its ``epoll_wait``, so it noticed the signal at the next timer or
    socket event (a new block, or the cron task's sleep to the next minute boundary): 0 to
    60 s. ``loop.add_signal_handler`` points the C-level wake-up fd at the loop's self-pipe;
    the Python-level handler is put back, so Silverback's own handler (installed after
    start-up) still does the shutdown. Async on purpose: it runs on the runner's loop, in
    the main thread, where ``add_signal_handler`` is allowed; returns nothing (no metrics)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        try:
            loop.add_signal_handler(sig, lambda: None)
        except (RuntimeError, ValueError):  # not the main thread / not a Unix loop
            return
        signal.signal(sig, previous)


def opener_from_env(
    network_uri: Callable[[], str], env: dict[str, str] | None = None
) -> Callable[[], Opened]:
    """Start-up from ``KEEPER_*`` environment variables (module docstring)."""
    env = dict(os.environ if env is None else env)

    def open_() -> Opened:
        from keeper.cli import setup_logging

        # Silverback leaves non-silverback loggers at WARNING: without this the bot would
        # not show a single transaction it sends
        setup_logging(env.get("KEEPER_LOG_LEVEL") or "info")
        config_file = env.get("KEEPER_CONFIG")
        config = KeeperConfig.from_yaml(config_file) if config_file else KeeperConfig()
        return open_service(
            env.get("KEEPER_RPC_URL") or network_uri(),
            env.get("KEEPER_DEPLOYMENT", "deployments/local-31337.json"),
            env.get("KEEPER_ACCOUNT") or None,
            env.get("KEEPER_PASSWORD_FILE") or None,
            config,
            ape_config=Path.cwd() / "ape-config.yaml",
        )

    return open_


def exit_on_config_error(opener: Callable[[], Opened]) -> Callable[[], Opened]:
    """``opener``, but a configuration mistake (a missing deployment file, a wrong account,
    a record of another chain, a bad ``KEEPER_CONFIG``) ends the process with one line on
    stderr and exit code 2, as the ``keeper`` CLI does, instead of Silverback's 40-line
    traceback and a worker that keeps running without a keeper. ``os._exit``: Silverback
    catches ``SystemExit`` in a task; nothing has been sent or opened that needs closing."""

    def open_() -> Opened:
        try:
            return opener()
        except (ValueError, OSError) as exc:  # ConfigError is a ValueError
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            sys.stderr.write(f"keeper bot: error: {message}\n")
            sys.stderr.flush()
            os._exit(2)

    return open_


def create_bot() -> Any:
    """A connected SilverbackBot running the keeper (needs Silverback's network settings)."""
    from ape import chain
    from silverback import SilverbackBot

    bot = SilverbackBot()

    def provider_uri() -> str:
        provider = bot.provider
        return str(getattr(provider, "http_uri", None) or getattr(provider, "uri", ""))

    bot.on_startup()(wake_loop_on_signals)
    opener = exit_on_config_error(opener_from_env(provider_uri))
    return wire(bot, chain.blocks, KeeperTasks(opener))


_BOT: Any = None


def __getattr__(name: str) -> Any:
    global _BOT
    if name == "bot":
        if _BOT is None:
            _BOT = create_bot()
        return _BOT
    raise AttributeError(name)
