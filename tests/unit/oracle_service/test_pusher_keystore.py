"""Encrypted keystores: new, list, decrypt; the password from a file or the environment."""

import json

import pytest
from click.testing import CliRunner
from eth_account import Account

from oracle.cli import cli
from oracle.errors import ConfigError
from oracle.keystore import decrypt_keystore, list_keystores, new_keystore, read_password

PASSWORD = "hunter2 but longer"
KEEPER_KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")


@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch):
    """Keystores in these tests use a cheap KDF; the CLI default stays eth-account's."""
    original = Account.encrypt
    monkeypatch.setattr(
        Account,
        "encrypt",
        staticmethod(
            lambda key, pw, kdf=None, iterations=None: original(key, pw, kdf="pbkdf2", iterations=2)
        ),
    )


def test_new__then_decrypt__same_key_back(tmp_path):
    entry = new_keystore(tmp_path, PASSWORD, KEEPER_KEY)
    assert entry.address == Account.from_key(KEEPER_KEY).address
    assert decrypt_keystore(entry.path, PASSWORD) == KEEPER_KEY
    assert entry.path.stat().st_mode & 0o777 == 0o600
    assert "crypto" in json.loads(entry.path.read_text())


def test_decrypt__wrong_password__config_error(tmp_path):
    entry = new_keystore(tmp_path, PASSWORD)
    with pytest.raises(ConfigError, match="wrong password"):
        decrypt_keystore(entry.path, "not it")


def test_list__two_keystores_and_junk__lists_the_keystores(tmp_path):
    a, b = new_keystore(tmp_path, PASSWORD), new_keystore(tmp_path, PASSWORD)
    (tmp_path / "notes.json").write_text("[1, 2]")
    assert {e.address for e in list_keystores(tmp_path)} == {a.address, b.address}


def test_read_password__file__first_line(tmp_path):
    path = tmp_path / "pw"
    path.write_text(PASSWORD + "\n")
    assert read_password(path) == PASSWORD


def test_read_password__env__used_when_no_file(monkeypatch):
    monkeypatch.setenv("MY_ORACLE_PW", PASSWORD)
    assert read_password(None, "MY_ORACLE_PW") == PASSWORD


def test_read_password__nothing_set__config_error(monkeypatch):
    monkeypatch.delenv("ORACLE_KEYSTORE_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="ORACLE_KEYSTORE_PASSWORD"):
        read_password()


def test_cli_keys_new_then_list__password_from_env__prints_address(tmp_path):
    runner = CliRunner()
    env = {"ORACLE_KEYSTORE_PASSWORD": PASSWORD}
    made = runner.invoke(cli, ["keys", "new", "--dir", str(tmp_path)], env=env)
    assert made.exit_code == 0, made.output
    address, path = made.output.split()
    listed = runner.invoke(cli, ["keys", "list", "--dir", str(tmp_path)])
    assert listed.output.split() == [address, path]
    assert decrypt_keystore(path, PASSWORD)


def test_cli_keys_new__password_file__used(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    out = CliRunner().invoke(
        cli, ["keys", "new", "--dir", str(tmp_path / "k"), "--password-file", str(pw)]
    )
    assert out.exit_code == 0
    assert decrypt_keystore(out.output.split()[1], PASSWORD)


def test_cli_keys_new__password_on_argv__refused(tmp_path):
    out = CliRunner().invoke(cli, ["keys", "new", "--dir", str(tmp_path), "--password", PASSWORD])
    assert out.exit_code == 2 and "No such option" in out.output


def test_cli_keys_new__no_password__one_line_exit_2(tmp_path):
    out = CliRunner().invoke(
        cli, ["keys", "new", "--dir", str(tmp_path)], env={"ORACLE_KEYSTORE_PASSWORD": ""}
    )
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        "oracle: error: no keystore password: set $ORACLE_KEYSTORE_PASSWORD or pass a password file"
    ]


def test_cli_keys_import__deploy_signer_key__keystore_of_that_address(tmp_path):
    # the deploy's own signer (anvil account 1 here) brought under the pusher's keystore
    key_file = tmp_path / "signer.key"
    key_file.write_text("0x" + KEEPER_KEY.hex() + "\n")
    env = {"ORACLE_KEYSTORE_PASSWORD": PASSWORD}
    out = CliRunner().invoke(
        cli, ["keys", "import", "--dir", str(tmp_path / "k"), "--key-file", str(key_file)], env=env
    )
    assert out.exit_code == 0, out.output
    address, path = out.output.split()
    assert address == Account.from_key(KEEPER_KEY).address
    assert decrypt_keystore(path, PASSWORD) == KEEPER_KEY


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not a key", "expected 32 bytes of hex"),
        ("0x" + "00" * 32, "not a valid secp256k1 private key"),
        ("", "expected 32 bytes of hex"),
    ],
)
def test_cli_keys_import__bad_key_file__one_line_exit_2_without_the_content(
    tmp_path, content, message
):
    key_file = tmp_path / "bad.key"
    key_file.write_text(content)
    out = CliRunner().invoke(
        cli,
        ["keys", "import", "--dir", str(tmp_path / "k"), "--key-file", str(key_file)],
        env={"ORACLE_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1
    assert message in out.output and (not content or content not in out.output)
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


def test_cli_keys_import__missing_key_file__one_line_exit_2(tmp_path):
    out = CliRunner().invoke(
        cli,
        ["keys", "import", "--dir", str(tmp_path), "--key-file", str(tmp_path / "nope")],
        env={"ORACLE_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert out.exit_code == 2 and "key file" in out.output and "No such file" in out.output
