"""eth-account encrypted keystores (the standard Web3 Secret Storage JSON, scrypt KDF).

Passwords come from a file (first line, trailing newline stripped) or an environment
variable, never from the config file or the command line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_account import Account
from eth_utils import to_checksum_address

from oracle.errors import ConfigError
from ringfence import keystore as shared

DEFAULT_PASSWORD_ENV = "ORACLE_KEYSTORE_PASSWORD"


def read_password(password_file: str | Path | None = None, password_env: str | None = None) -> str:
    """The keystore password from ``password_file`` if given, else from ``password_env``."""
    try:
        return shared.read_password(password_file, password_env or DEFAULT_PASSWORD_ENV)
    except shared.KeystoreError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class KeystoreEntry:
    address: str  # checksummed
    path: Path


def new_keystore(
    directory: str | Path, password: str, private_key: bytes | None = None
) -> KeystoreEntry:
    """Create a fresh (or import ``private_key`` into an) encrypted keystore in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    encrypted = Account.encrypt(account.key, password)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    path = directory / f"UTC--{stamp}--{account.address[2:].lower()}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(encrypted, handle)
    return KeystoreEntry(account.address, path)


def read_private_key(path: str | Path) -> bytes:
    """A hex private key (``0x`` optional) from the first line of a file, checked; the
    key never appears on a command line or in an error message."""
    try:
        text = Path(path).read_text().splitlines()[0].strip() if Path(path).stat().st_size else ""
    except OSError as exc:
        raise ConfigError(f"key file {path}: {exc.strerror or exc}") from None
    raw = text.removeprefix("0x")
    if len(raw) != 64 or any(c not in "0123456789abcdefABCDEF" for c in raw):
        raise ConfigError(f"key file {path}: expected 32 bytes of hex (64 hex digits, 0x optional)")
    key = bytes.fromhex(raw)
    if not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise ConfigError(f"key file {path}: not a valid secp256k1 private key")
    return key


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def list_keystores(directory: str | Path) -> list[KeystoreEntry]:
    """Every keystore JSON in ``directory`` (sorted by file name), without decrypting."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"keystore directory {directory} does not exist")
    entries = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            address = to_checksum_address("0x" + str(data["address"]).removeprefix("0x"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a keystore: skip it rather than fail the listing
        entries.append(KeystoreEntry(address, path))
    return entries


def decrypt_keystore(path: str | Path, password: str) -> bytes:
    """The private key in keystore ``path``; a wrong password or bad file is a ConfigError."""
    try:
        return shared.decrypt_keystore(path, password)
    except shared.KeystoreError as exc:
        raise ConfigError(str(exc)) from None
