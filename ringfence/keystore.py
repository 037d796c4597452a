"""Keystore passwords and decryption, shared by the `oracle` pusher and the `keeper`.

Passwords come from a file (its first line) or an environment variable, never from a config
file or the command line. Every problem is a ``KeystoreError`` whose message is one readable
line; each service turns it into its own configuration error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account


class KeystoreError(Exception):
    """A password or keystore problem the operator must fix (one readable line)."""


def read_password(password_file: str | Path | None, password_env: str) -> str:
    """The password: first line of ``password_file`` if given, else ``$password_env``."""
    if password_file is not None:
        try:
            text = Path(password_file).read_text()
        except OSError as exc:
            raise KeystoreError(f"password file {password_file}: {exc.strerror or exc}") from None
        password = text.splitlines()[0] if text else ""
        if not password:
            raise KeystoreError(f"password file {password_file} is empty")
        return password
    password = os.environ.get(password_env, "")
    if not password:
        raise KeystoreError(f"no keystore password: set ${password_env} or pass a password file")
    return password


def decrypt_keystore(path: str | Path, password: str) -> bytes:
    """The private key in the eth-account keystore at ``path``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise KeystoreError(f"keystore {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise KeystoreError(f"keystore {path}: not JSON") from None
    try:
        return bytes(Account.decrypt(data, password))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystoreError(f"keystore {path}: wrong password") from None
        raise KeystoreError(f"keystore {path}: cannot decrypt ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise KeystoreError(f"keystore {path}: malformed ({exc})") from None
