"""A polling runner for ``silverback run --runner keeper.silverback_runner:PollingRunner``.

Silverback 0.7.38's own ``PollingRunner`` iterates ``chain.blocks.poll_blocks()`` once; on a
development network Ape's poll raises ``ProviderError("Timed out waiting for next block.")``
after 10 s without a block (``ape_ethereum/provider.py``, ``poll_blocks``: ``10.0 if
self.network.is_dev``, not configurable), the runner does not catch it, its task group
aborts and the bot shuts down: on an automining anvil (a block per transaction) the block
handler never runs again. This one restarts the poll after a timeout, from the block after
the last one it delivered (``start_block`` front-loads any it missed), and polls with a short
timeout so that a shutdown is noticed within ``POLL_TIMEOUT`` seconds (the poll runs in a
thread that asyncio cannot cancel, and ``asyncio.run`` waits for it before the process exits).

The default runner for ``ethereum:local:foundry`` is the websocket one (ape-foundry always
offers a ``ws://`` URI), which has neither problem; use this only where websockets are not
available."""

from __future__ import annotations

from typing import Any

from ape import chain
from ape.exceptions import ProviderError
from silverback.runner import PollingRunner as _PollingRunner
from silverback.utils import async_wrap_iter

POLL_TIMEOUT = 2  # seconds without a block before the poll is restarted


class PollingRunner(_PollingRunner):
    async def _block_task(self, task_data: Any) -> None:
        next_block: int | None = None
        while not self.shutdown_event.is_set():
            blocks = chain.blocks.poll_blocks(
                start_block=next_block, new_block_timeout=POLL_TIMEOUT
            )
            try:
                async for block in async_wrap_iter(blocks):
                    self._runtime_task_group.create_task(self.run_task(task_data, block))
                    next_block = block.number + 1
                    if self.shutdown_event.is_set():
                        return
            except ProviderError as err:
                if "Timed out waiting for next block" not in str(err):
                    raise
