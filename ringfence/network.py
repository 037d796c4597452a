"""One node setting for every tool: a ``--network`` / ``rpc_urls`` entry is an RPC URL, or
an Ape network choice (``ecosystem:network:provider``) resolved as Ape resolves it.

``…:local:foundry`` (and ``…:local``) is the local anvil: ``$APE_FOUNDRY_HOST`` when set
(Ape's own environment override of ``foundry.host``, which ``ape run deploy``, ``ape
console`` and ``silverback run`` honour too), else ``foundry.host`` of ``ape-config.yaml``,
else ``http://127.0.0.1:8545`` — read without importing Ape. Any other choice asks Ape for
the provider's configured URI. So pointing every tool at a node on another port is one
setting: ``export APE_FOUNDRY_HOST=http://127.0.0.1:23545`` (or ``foundry.host`` in the
config file), then ``--network ethereum:local:foundry`` everywhere (docs/deploy.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

DEFAULT_LOCAL = "http://127.0.0.1:8545"
HOST_ENV = "APE_FOUNDRY_HOST"


class NetworkError(ValueError):
    """A network that names no RPC URL; the message is one line."""


def local_host(ape_config: Path | None = None) -> str:
    """The local anvil's URL: ``$APE_FOUNDRY_HOST``, else ``foundry.host``, else 8545."""
    if os.environ.get(HOST_ENV):
        return os.environ[HOST_ENV]
    path = ape_config or Path.cwd() / "ape-config.yaml"
    if path.exists():
        doc = yaml.safe_load(path.read_text()) or {}
        host = (doc.get("foundry") or {}).get("host")
        if host:
            return str(host)
    return DEFAULT_LOCAL


def resolve_rpc_url(network: str, ape_config: Path | None = None) -> str:
    """An ``http(s)://`` / ``ws(s)://`` URL as given; an Ape network choice resolved to
    its RPC URL (module doc)."""
    if re.match(r"^(https?|wss?)://", network):
        return network
    parts = network.split(":")
    if len(parts) < 2 or len(parts) > 3:
        raise NetworkError(f"network {network!r}: give an RPC URL or ecosystem:network:provider")
    if parts[1] == "local" and (len(parts) == 2 or parts[2] in ("", "foundry")):
        return local_host(ape_config)
    try:  # pragma: no cover - needs a configured remote network
        from ape import networks

        provider = networks.get_provider_from_choice(network)
        uri = getattr(provider, "http_uri", None) or getattr(provider, "uri", None)
    except Exception as exc:
        raise NetworkError(f"network {network!r}: {exc}") from None
    if not uri:
        raise NetworkError(f"network {network!r}: Ape knows no RPC URL for it")
    return str(uri)
