"""`ringfence`, the manual path (operator trial point 10), against anvil on a non-default
port: deposit, open at a target margin ratio, manage and close a vault, list it with its
health, withdraw; a signer change through the governor; every bad input one line."""

from __future__ import annotations

import pytest

from keeper import devnet
from ringfence.cli import main

TRADER = "TEST::2"  # deploy/local.yaml local.roles.trader
GOVERNANCE = "TEST::0"  # the deployer owns the OracleGovernor


def _run(capsys, net, deployment, *args, account=TRADER):
    base = ["--network", net.node.url, "--deployment", str(deployment)]
    if account:
        base += ["--account", account]
    code = main([*base, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def funded(net):
    trader = net.roles["trader"]
    devnet.transact(net, net.contracts["MockToken"], "mint", net.roles["deployer"], trader, 10**12)
    return net


def test_manual_path__deposit_open_at_ratio_manage_close_withdraw(capsys, funded, deployment):
    net = funded
    code, out, err = _run(capsys, net, deployment, "deposit", "50000")
    assert code == 0, err
    assert out.strip().startswith("deposited 50,000.000000; free balance 50,000.000000")

    code, out, _ = _run(capsys, net, deployment, "series", account=None)
    assert code == 0 and len(out.splitlines()) == len(net.record["series_ids"])
    sid = net.series_id(3000 * 10**18, True)

    code, out, err = _run(capsys, net, deployment, "open", f"-2@{sid}", "--margin-ratio", "2")
    assert code == 0, err
    pid = int(out.split("opened position ")[1].split(":")[0])
    equity, im, _ = net.clearing.functions.health(pid).call()
    assert 2.0 <= equity / im < 2.001  # the target ratio, rounded up to the base unit

    code, out, _ = _run(capsys, net, deployment, "positions")
    assert code == 0 and f"{pid:5d}  owner {net.roles['trader']}" in out and f"-2@{sid}" in out

    code, out, err = _run(capsys, net, deployment, "add-collateral", str(pid), "100")
    assert code == 0, err
    code, out, err = _run(capsys, net, deployment, "remove-collateral", str(pid), "50.5")
    assert code == 0, err
    collateral = net.view.functions.position(pid).call()[2]
    code, out, err = _run(capsys, net, deployment, "remove-collateral", str(pid), "1000000")
    assert (
        code == 1
        and err.strip() == "ringfence: error: remove_collateral: clearing: above collateral"
    )
    assert net.view.functions.position(pid).call()[2] == collateral  # nothing sent

    code, out, err = _run(capsys, net, deployment, "close", str(pid))
    assert code == 0 and out.startswith(f"closed position {pid}: P&L "), err
    assert net.view.functions.position(pid).call()[3] == []
    code, out, err = _run(capsys, net, deployment, "withdraw", "1")
    assert code == 0 and out.startswith("withdrew 1.000000"), err


def test_signer_add__priced_oracle__queued_for_a_day(capsys, net, deployment):
    new = "0x" + "ab" * 20
    code, out, err = _run(capsys, net, deployment, "signer", "add", new, account=GOVERNANCE)
    assert code == 0, err
    assert "add_signer" in out and "queued; anyone may apply it from unix time" in out
    code, out, err = _run(capsys, net, deployment, "signer", "apply", new)
    assert code == 1 and "oracle: change not due" in err


@pytest.mark.parametrize(
    ("args", "account", "message"),
    [
        (["open", "1@9999", "--margin-ratio", "2"], TRADER, "series 9999 is not listed"),
        (["open", "1@1", "--margin-ratio", "0.5"], TRADER, "--margin-ratio 0.5: below 1"),
        (["open", "two@1", "--margin-ratio", "2"], TRADER, "leg 'two@1': expected SIZE@SERIES"),
        (["deposit", "abc"], TRADER, "amount 'abc': not a number"),
        (["deposit", "0.0000001"], TRADER, "at most 6 decimals"),
        (["deposit", "5"], None, "deposit: needs --account"),
        (["signer", "add", "nope"], GOVERNANCE, "'nope' is not an address"),
        (["signer", "add", "0x" + "cd" * 20], TRADER, "ownable: caller is not the owner"),
        (["withdraw", "5"], "TEST::99", "TEST::0 to TEST::9"),
    ],
)
def test_bad_input__one_line_nonzero_exit(capsys, net, deployment, args, account, message):
    code, out, err = _run(capsys, net, deployment, *args, account=account)
    assert code in (1, 2) and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ringfence: error: ") and message in lines[0]


def test_wrong_chain_and_missing_record__one_line(capsys, net, tmp_path):
    code, _, err = _run(capsys, net, tmp_path / "nope.json", "positions", account=None)
    assert code == 2 and "deployment file" in err and "No such file" in err
    record = tmp_path / "other.json"
    net.record["chain_id"] = 1
    net.write(record)
    code, _, err = _run(capsys, net, record, "positions", account=None)
    assert code == 2 and "is for chain id 1" in err


def test_network_choice__ape_foundry_host__the_node_on_its_port(
    capsys, net, deployment, monkeypatch
):
    # operator trial point 3: `ethereum:local:foundry` + APE_FOUNDRY_HOST, the setting the
    # deploy, the keeper, the pusher and Silverback read, reaches this non-default port
    monkeypatch.setenv("APE_FOUNDRY_HOST", net.node.url)
    assert not net.node.url.endswith(":8545")
    code = main(
        [
            "--network",
            "ethereum:local:foundry",
            "--deployment",
            str(deployment),
            "positions",
            "--all",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.startswith("no open vaults") or "owner" in out.out


def test_lp_path__instant_on_an_empty_book__requests_while_it_is_open(capsys, funded, deployment):
    net = funded
    pool = net.contracts["LiquidityPool"]
    trader = net.roles["trader"]
    assert pool.functions.active_series().call() == []  # a fresh deployment: no open leg
    code, out, err = _run(capsys, net, deployment, "lp", "deposit", "1000")
    assert code == 0 and out.startswith("deposited 1,000.000000; the account holds shares worth")
    assert pool.functions.convertToAssets(pool.functions.balanceOf(trader).call()).call() in (
        10**9 - 1,
        10**9,
    )
    code, out, err = _run(capsys, net, deployment, "lp", "show")
    assert code == 0, err
    assert "book empty" in out and "(12 decimals)" in out and f"{trader}: " in out

    # a vault opens the book: LP flows become requests, executed an hour later
    code, out, err = _run(capsys, net, deployment, "deposit", "5000")
    assert code == 0, err
    sid = net.series_id(3000 * 10**18, True)
    code, out, err = _run(capsys, net, deployment, "open", f"-1@{sid}", "--margin-ratio", "2")
    assert code == 0, err
    code, out, err = _run(capsys, net, deployment, "lp", "deposit", "500")
    assert code == 0 and "request 0 was queued" in out, err
    code, out, err = _run(capsys, net, deployment, "lp", "redeem", "all")
    assert code == 0 and "request 1 was queued" in out, err
    code, out, _ = _run(capsys, net, deployment, "lp", "requests")
    rows = out.splitlines()
    assert len(rows) == 2 and "deposit 500.000000" in rows[0] and "redeem" in rows[1]
    assert "mature in" in rows[0]
    code, out, err = _run(capsys, net, deployment, "lp", "execute", "0")
    assert code == 1 and err.strip() == (
        "ringfence: error: execute_request: pool: request not mature"
    )
    spot = net.oracle.functions.price(net.underlying).call()
    devnet.warp(net, pool.functions.LP_DELAY().call())
    devnet.push_spot(net, spot)  # the warp made the oracle stale
    code, out, err = _run(capsys, net, deployment, "lp", "execute", "0", account="TEST::5")
    assert code == 0 and out.startswith("request 0 (deposit): minted "), err
    code, out, err = _run(capsys, net, deployment, "lp", "execute", "1", account="TEST::5")
    assert code == 0 and out.startswith("request 1 (redemption): paid "), err
    code, out, _ = _run(capsys, net, deployment, "lp", "requests", "--all")
    assert out.strip() == "no pending requests"
    code, out, err = _run(capsys, net, deployment, "lp", "redeem", "1000000")
    # the deposit executed after the redemption was requested: its shares remain
    assert code == 2 and "lp redeem 1000000: the account's shares are worth 49" in err
