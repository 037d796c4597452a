"""Keeper latency on a 10,000-vault book: a real `keeper run` against anvil and a crash.

Set-up (``keeper.devnet``): anvil on a free loopback port (default 30M block gas limit),
the ``deploy/local.yaml`` protocol deployed with web3.py, ``POSITIONS`` real
``ClearingHouse`` vaults opened in batch JSON-RPC requests — each short 0.1 ETH of the
7-day 3000 put (``SIZE``), collateral spread evenly over [``LOW``, ``HIGH``] quote — and
then interval mining at ``BLOCK_TIME_S``. A keeper process indexes the book; the bench
records its per-block scan times, pushes a signed spot report from 3000 to ``CRASH`` (the
lowest-collateral ~5 % of the vaults fall below maintenance), and measures until every
unhealthy vault is liquidated.

Figures: ``scan_ms_median`` is the median keeper scan per block (index sync + oracle reads
+ numpy pre-screen of every vault + ``health_many`` confirmation of the candidates + sends)
over the blocks after indexing, before and after the crash; ``crash_scan_ms`` is the scan
that saw the crash. ``update_to_last_liquidation_submitted_s`` runs from the crash
transaction's receipt to the keeper's last ``submitted`` log line. Health truth comes from
``health_many`` at the crash block; ``healthy_touched`` counts liquidations of vaults that
were healthy then, ``unhealthy_left`` the vaults still below maintenance at the end.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

NAME = "keeper"
POSITIONS = 10_000
SIZE = -(5 * 10**16)  # short 0.05: 10,000 of them stay inside the pool's OI and utilisation caps
LOW, HIGH = 31.0, 75.0  # collateral per vault, quote (IM ~26.7, MM after the crash ~33)
CRASH = 2_700
BLOCK_TIME_S = 1
WAD = 10**18
UNIT = 10**6
STRIKE = 3_000 * WAD


def _events(path: Path, name: str) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == name:
                out.append(entry)
    return out


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"bench keeper: keeper exited early ({proc.returncode})")
        time.sleep(0.1)
    raise RuntimeError(f"bench keeper: timed out waiting for {what}")


def run(positions: int = POSITIONS) -> dict[str, Any]:
    from keeper import devnet

    devnet.compiled()
    node = devnet.start_anvil()
    workdir = Path(tempfile.mkdtemp(prefix="ringfence-bench-keeper-"))
    proc: subprocess.Popen | None = None
    try:
        net = devnet.deploy(node)
        put = net.series_id(STRIKE, is_call=False)
        step = (HIGH - LOW) / max(positions - 1, 1)
        collaterals = [int((LOW + i * step) * UNIT) for i in range(positions)]
        t0 = time.perf_counter()
        ids = devnet.open_vaults(net, net.roles["trader"], [[(put, SIZE)]] * positions, collaterals)
        seed_s = time.perf_counter() - t0
        deployment = net.write(workdir / "devnet.json")
        node.rpc("evm_setIntervalMining", [BLOCK_TIME_S])
        log_path = workdir / "keeper.log"
        keeper_cli = Path(sys.executable).with_name("keeper")
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [str(keeper_cli), "run", "--network", node.url, "--deployment", str(deployment),
                 "--account", "TEST::4", "--poll-interval", "0.1", "--max-candidates", "5000"],
                cwd=workdir, stdout=subprocess.DEVNULL, stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        t0 = time.perf_counter()
        _wait(
            lambda: any(e["positions"] == positions for e in _events(log_path, "scan")),
            300, "indexing", proc,
        )  # fmt: skip
        index_s = time.perf_counter() - t0
        first_full = len(_events(log_path, "scan"))
        time.sleep(6 * BLOCK_TIME_S)  # a few idle blocks: the steady-state scan

        crash_block = devnet.push_spot(net, CRASH * WAD)
        crash_wall = time.time()
        h = devnet.health_many(net, ids, crash_block)
        unhealthy = {pid for pid, (eq, _im, mm) in h.items() if mm > 0 and eq < mm}
        healthy = {pid for pid, (eq, _im, mm) in h.items() if mm > 0 and eq >= mm}

        def liquidated() -> dict[int, int]:
            return {
                d.args["position_id"]: d.block_number
                for d in devnet.events(net, "PositionLiquidated", crash_block)
            }

        _wait(lambda: set(liquidated()) >= unhealthy, 180, "liquidations", proc)
        time.sleep(3 * BLOCK_TIME_S)
        done = liquidated()
        after = devnet.health_many(net, ids)
        left = sum(1 for eq, _im, mm in after.values() if mm > 0 and eq < mm)
        submitted = _events(log_path, "submitted")
        last_submit = max(datetime.fromisoformat(e["ts"]).timestamp() for e in submitted)
        scans = _events(log_path, "scan")[first_full:]
        crash_scans = [e for e in scans if e["block"] >= crash_block]
        return {
            "positions": len(ids),
            "unhealthy_at_crash": len(unhealthy),
            "seed_s": round(seed_s, 1),
            "index_s": round(index_s, 1),
            "scan_ms_median": round(statistics.median(e["ms"] for e in scans), 1),
            "crash_scan_ms": crash_scans[0]["ms"] if crash_scans else None,
            "update_to_last_liquidation_submitted_s": round(last_submit - crash_wall, 2),
            "blocks_to_all_liquidated": max(done.values()) - crash_block,
            "liquidation_transactions": len(submitted),
            "healthy_touched": len(set(done) & healthy),
            "unhealthy_left": left,
            "block_time_s": BLOCK_TIME_S,
            "block_gas_limit": int(node.w3.eth.get_block("latest")["gasLimit"]),
        }
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        node.stop()


def rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("positions (vaults on anvil)", f"{result['positions']:,}"),
        ("unhealthy after the crash", f"{result['unhealthy_at_crash']:,}"),
        ("scan per block, median", f"{result['scan_ms_median']} ms"),
        ("scan that saw the crash", f"{result['crash_scan_ms']} ms"),
        (
            "crash -> last liquidation submitted",
            f"{result['update_to_last_liquidation_submitted_s']} s",
        ),
        ("blocks to all liquidated", str(result["blocks_to_all_liquidated"])),
        ("healthy touched", str(result["healthy_touched"])),
        ("unhealthy left", str(result["unhealthy_left"])),
        ("seeding / first index", f"{result['seed_s']} s / {result['index_s']} s"),
    ]  # fmt: skip
