"""Errors as the command lines show them: one readable line.

- :class:`ConfigError`, the one error type for "the operator must fix something" (a
  parameter, a key, a deployment record, a node setting; retrying cannot help). The deploy
  config, the keeper and the oracle pusher raise it (re-exported where their callers look:
  ``ringfence.deploy_config``, ``keeper.service``, ``oracle.errors``); each CLI prints its
  message alone and exits 2. It is a ``ValueError``, so a bad value caught as one stays
  caught.
- :func:`short_error`, one short line for a failed request: what went wrong, not the
  urllib3 chain. ``requests.ConnectionError(MaxRetryError(NewConnectionError(
  ConnectionRefusedError)))`` prints as 290 characters of pool and retry details;
  :func:`short_error` says ``connection refused``.
"""

from __future__ import annotations

import socket

#: Root causes, most specific first, with what an operator needs to read.
_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host not found"),
    (TimeoutError, "timed out"),
)
_MARKERS = (
    ("timed out", "timed out"),
    ("Read timed out", "timed out"),
    ("Name or service not known", "host not found"),
    ("Connection refused", "connection refused"),
)
LIMIT = 160


class ConfigError(ValueError):
    """A mistake in configuration or environment that retrying cannot fix."""


class TransientError(Exception):
    """A failure worth retrying later (network, rate limit, node hiccup)."""


def _chain(exc: BaseException):
    """``exc`` and every exception it wraps (cause, context, ``reason``, exception args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]


def short_error(exc: BaseException) -> str:
    """A short line: the root cause of a network failure, else ``Type: first line``."""
    chain = list(_chain(exc))
    for kind, text in _CAUSES:
        if any(isinstance(e, kind) for e in chain):
            return text
    for marker, text in _MARKERS:
        if any(marker in str(e) for e in chain):
            return text
    lines = str(exc).strip().splitlines()
    line = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return line if len(line) <= LIMIT else line[: LIMIT - 1] + "…"
