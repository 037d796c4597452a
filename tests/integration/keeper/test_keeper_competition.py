"""Two keepers on the same book: every vault liquidated once, losers handle it, nonces flow."""

from __future__ import annotations

import json

from eth_account import Account
from keeper_helpers import WAD, KeeperProcess, interval_mining, liquidated, seed_puts, split

from keeper import devnet

BOOK = 400


def _keystore(tmp_path, index: int) -> tuple[str, str]:
    """A keystore of dev account ``index`` (fast pbkdf2 for the test) and its password file."""
    password = "keeper test password"
    keystore = Account.encrypt(devnet.test_key(index), password, kdf="pbkdf2", iterations=1_000)
    path = tmp_path / "keeper.keystore.json"
    path.write_text(json.dumps(keystore))
    password_file = tmp_path / "password.txt"
    password_file.write_text(password + "\n")
    return str(path), str(password_file)


def test_two_keepers__same_crash__no_duplicate_liquidation_and_no_stuck_nonce(
    net, deployment, tmp_path
):
    ids = seed_puts(net, BOOK)
    interval_mining(net)
    keystore, password_file = _keystore(tmp_path, 3)
    keepers = [
        KeeperProcess(net.node.url, deployment, "TEST::4", tmp_path / "k1"),
        KeeperProcess(
            net.node.url, deployment, keystore, tmp_path / "k2", "--password-file", password_file
        ),
    ]
    addresses = [Account.from_key(devnet.test_key(i)).address for i in (4, 3)]
    try:
        for k in keepers:
            k.wait_scanning()
        start = net.w3.eth.block_number
        for round_, spot in enumerate((2_700, 2_400)):
            crash_block = devnet.push_spot(net, spot * WAD)
            unhealthy, healthy = split(net, ids, crash_block)
            assert unhealthy, f"round {round_}: the crash left nothing to liquidate"
            keepers[0].wait_for(
                lambda u=unhealthy, b=crash_block: {p for p, _ in liquidated(net, b)} >= u,
                60,
                f"round {round_}: every unhealthy vault liquidated",
            )
            events = liquidated(net, crash_block)
            touched = [pid for pid, _ in events]
            assert set(touched) == unhealthy
            assert len(touched) == len(set(touched))  # no vault liquidated twice
        # both raced for the same vaults: the later transaction skipped them (lost), and
        # every vault either keeper submitted is resolved as mined or lost, none left hanging
        for k in keepers:
            k.wait_for(
                lambda k=k: (
                    sum(len(e["position_ids"]) for e in k.events("submitted"))
                    == sum(len(e["position_ids"]) + len(e["lost_ids"]) for e in k.events("mined"))
                ),
                20,
                "every submitted vault resolved",
            )
        mined = sum(len(e["position_ids"]) for k in keepers for e in k.events("mined"))
        lost = sum(len(e["lost_ids"]) for k in keepers for e in k.events("mined"))
        assert mined == len(liquidated(net, start))
        assert lost > 0, "the keepers never raced"
        assert all(k.events("mined") for k in keepers), "one keeper never competed"
        # no stuck nonce: nothing pending for either keeper, both still scanning
        for k, address in zip(keepers, addresses, strict=True):
            k.wait_for(
                lambda a=address: (
                    net.w3.eth.get_transaction_count(a, "pending")
                    == net.w3.eth.get_transaction_count(a, "latest")
                ),
                20,
                "no pending transaction left",
            )
            assert k.proc.poll() is None
    finally:
        codes = [k.stop() for k in keepers]
    assert codes == [0, 0]
