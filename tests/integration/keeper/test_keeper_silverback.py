"""The keeper as a Silverback bot under the real `silverback run`, against anvil on a free
port reached through APE_FOUNDRY_HOST (operator trial points 3 and 8): it connects to that
node (the deployment's contracts are there, so not a fresh anvil on 8545), says who signs,
prints no pydantic warnings, scans every block mined after start-up, and exits within a
few seconds of SIGTERM — with Silverback's default (websocket) runner, and with
`keeper.silverback_runner:PollingRunner` after an idle stretch longer than Ape's 10 s
"Timed out waiting for next block", which stops Silverback's own polling runner."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from keeper_helpers import json_lines

from keeper import devnet

SILVERBACK = Path(sys.executable).with_name("silverback")


@pytest.mark.parametrize(
    "runner,idle",
    [(None, 0), ("keeper.silverback_runner:PollingRunner", 12)],
    ids=["websocket", "polling-after-idle"],
)
def test_silverback_run__on_the_node_of_ape_foundry_host__scans_every_block_stops_on_sigterm(
    net, deployment, tmp_path, runner, idle
):
    assert not net.node.url.endswith(":8545")
    log = tmp_path / "silverback.log"
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": net.node.url,
        "KEEPER_DEPLOYMENT": str(deployment),
        "KEEPER_ACCOUNT": "TEST::4",
        "PATH": f"{SILVERBACK.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    command = [str(SILVERBACK), "run", "keeper.bot:bot", "--network", "ethereum:local:foundry"]
    if runner is not None:
        command += ["--runner", runner]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=devnet.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.time() + 90
        while time.time() < deadline and "Startup complete" not in log.read_text():
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.25)
        text = log.read_text()
        assert "Startup complete" in text, text[-3000:]
        (started,) = [e for e in json_lines(log) if e["event"] == "started"]
        assert started["signer"] == net.roles["keeper"] and started["dry_run"] is False
        assert started["clearing_house"] == net.clearing.address  # the deployment's node
        assert "validation error" not in text and "Cannot convert datapoint" not in text
        time.sleep(idle)  # an automining anvil makes no block while nothing is sent
        first = int(net.node.rpc("eth_blockNumber"), 16) + 1
        mined = list(range(first, first + 5))
        for _ in mined:
            net.node.rpc("evm_mine")
            time.sleep(1)
        deadline = time.time() + 15
        scanned: list[int] = []
        while time.time() < deadline and scanned != mined:
            scanned = [int(b) for b in re.findall(r"^\s+block: (\d+)", log.read_text(), re.M)]
            time.sleep(0.5)
        assert scanned == mined, log.read_text()[-3000:]
        assert proc.poll() is None and "Timed out waiting" not in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        stop = time.time()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("silverback did not stop within 30 s of SIGTERM") from None
    # keeper.bot.wake_loop_on_signals: measured about 1 s (websocket) and 2 s (polling);
    # without it the loop wakes at the next block or the cron task's minute boundary (0 to
    # 60 s, 16-22 s measured when idle), so this bound fails in most runs without it
    assert time.time() - stop < 5, f"stopped {time.time() - stop:.1f} s after SIGTERM"


def test_silverback_run__missing_deployment__one_line_exit_2(net, tmp_path):
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": net.node.url,
        "KEEPER_DEPLOYMENT": str(tmp_path / "absent.json"),
        "PATH": f"{SILVERBACK.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [str(SILVERBACK), "run", "keeper.bot:bot", "--network", "ethereum:local:foundry"]
    proc = subprocess.run(
        command, cwd=devnet.ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("keeper bot: error:")]
    assert len(errors) == 1 and "absent.json" in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
