"""Local development chains, as every tool and test sees them: anvil's default mnemonic and
its accounts, and a free TCP port for a node or an endpoint started on the fly."""

from __future__ import annotations

import socket

#: anvil's (and Ape's test provider's) default mnemonic: the dev accounts' keys.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it; a race is possible, not likely)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
