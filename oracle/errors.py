"""The two kinds of failure the pusher distinguishes.

- `ConfigError`: the operator must fix something (bad key or password, unknown feed, wrong
  chain id, every RPC unreachable at start). The CLI prints ONE line and exits 2.
- `TransientError`: the world is temporarily unhelpful (RPC down, HTTP timeout, source
  glitch). The service logs it, backs off and carries on; it never exits on one.

`ConfigError` and `TransientError` are the project's (``ringfence.errors``), re-exported here.
"""

from ringfence.errors import ConfigError, TransientError

__all__ = ["ConfigError", "SourceError", "TransientError"]


class SourceError(TransientError):
    """A price source could not produce an observation this cycle."""


class SourceExhausted(Exception):
    """A finite source (a replay file with ``on_end: stop``) has no more rows."""
