"""The demo's sequence: anvil -> deploy -> book -> keeper + pusher through a scenario ->
expiry -> settlement -> verdicts and report. Every step is a real process or a real
transaction on a loopback anvil; the verdicts are computed from chain state only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ringfence.demo import analysis, report, scenario
from ringfence.demo.book import Order, build_book
from ringfence.demo.chain import (
    BlockClock,
    Driver,
    Rpc,
    RpcFailure,
    role_key,
    trader_key,
    with_retries,
)
from ringfence.demo.supervisor import Child, Supervisor, SupervisorError
from ringfence.devchain import free_port
from ringfence.paths import ROOT

KEEPER_ROLE = 4  # deploy/demo.yaml local.roles.keeper
SIGNER_ROLE = 6  # deploy/demo.yaml local.roles.oracle_signer
PUSHER_POLL = 1.0  # wall seconds between pusher cycles
FREE_BUFFER = 1_000  # whole tokens left in every trader's free balance


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why and where the logs are."""


@dataclass
class Options:
    scenario: str = "crash"
    traders: int = 300
    seed: int = 0
    out: Path = ROOT / "reports" / "demo"
    params: Path = ROOT / "deploy" / "demo.yaml"
    quiet_timeout: float = 40.0  # wall seconds to wait for the keeper to clear the book
    settle_timeout: float = 40.0


@dataclass
class Book:
    orders: list[Order]
    ids: list[int]  # position id per opened order
    kind: dict[int, str] = field(default_factory=dict)
    group: dict[int, str] = field(default_factory=dict)
    owner: dict[int, str] = field(default_factory=dict)
    expiry: dict[int, int] = field(default_factory=dict)
    by_owner: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def find_tool(name: str) -> str | None:
    """``name`` from this interpreter's bin folder, node_modules/.bin, or PATH."""
    for folder in (Path(sys.executable).parent, ROOT / "node_modules" / ".bin"):
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def run(opts: Options, echo=print) -> dict[str, Any]:
    """Run the whole demo; returns the summary (also written to ``opts.out``)."""
    started = time.time()
    scen = scenario.load(ROOT / "scenarios" / f"{opts.scenario}.csv")
    anvil_bin, oracle_bin, keeper_bin = find_tool("anvil"), find_tool("oracle"), find_tool("keeper")
    if anvil_bin is None:
        raise DemoError("anvil not found: run `make setup` (it installs node_modules/.bin/anvil)")
    if oracle_bin is None:
        raise DemoError("the `oracle` console script is not installed: run `make setup`")
    if keeper_bin is None:
        raise DemoError(
            "the `keeper` console script is not installed, so nothing would liquidate: the demo "
            "refuses to fake liquidations. Install the keeper CLI (`keeper run`), then re-run."
        )
    opts.out.mkdir(parents=True, exist_ok=True)
    work = opts.out / "run"
    if work.exists():
        shutil.rmtree(work)  # a fresh chain: no keeper checkpoint or keys from an earlier run
    work.mkdir()
    supervisor = Supervisor(opts.out / "logs")
    clock: BlockClock | None = None
    try:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        echo(f"[1/7] anvil on {url}")
        anvil = supervisor.start(
            "anvil",
            [anvil_bin, "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337",
             "--accounts", "10", "--silent"],
        )  # fmt: skip
        with_retries(lambda: Rpc(url, timeout=2).call("eth_chainId"), attempts=100)
        supervisor.check(anvil)

        echo(f"[2/7] deploying with {opts.params.relative_to(ROOT)} (ringfence.deployer)")
        deployment_path = _deploy(url, opts.params, opts.out / "logs" / "deploy.log")
        driver = Driver(url, deployment_path)
        series = driver.listed_series()
        expiries = sorted({s.expiry for s in series})

        echo(f"[3/7] funding {opts.traders} traders and opening the book")
        t = time.time()
        book = _open_book(driver, series, opts)
        echo(f"      {len(book.ids)} vaults opened in {time.time() - t:.1f}s")
        start_block = driver.block_number()
        ids = book.ids
        health_start = driver.health(ids)
        nav_start = driver.pool_nav()
        samples: list[dict[str, Any]] = []
        _sample(driver, expiries, samples, "start")

        clock = BlockClock(url)
        clock.start()
        echo("[4/7] keeper run")
        keeper = supervisor.start(
            "keeper",
            [keeper_bin, "run", "--network", url, "--deployment", str(deployment_path),
             "--account", f"TEST::{KEEPER_ROLE}", "--poll-interval", "0.25",
             "--checkpoint", str(work / "keeper-checkpoint.json")],
        )  # fmt: skip
        time.sleep(2.0)
        supervisor.check(keeper)

        echo(f"[5/7] oracle push: scenario {scen.name} ({len(scen.rows)} rows, "
             f"{scen.duration // 60} chain minutes)")  # fmt: skip
        keystore, password_file = _signer_keystore(work)
        chain_now = driver.timestamp()
        replay = work / f"{scen.name}.replay.csv"
        replay.write_text(scenario.render_replay(scen.rows, chain_now, expiries))
        config = _pusher_config(
            work / "pusher-scenario.yaml", url, deployment_path, keystore, password_file,
            replay, on_end="stop", heartbeat=max(scen.step * 3, 300),
        )  # fmt: skip
        pusher = supervisor.start("pusher-scenario", [oracle_bin, "push", "--config", str(config)])
        outages = _drive_scenario(
            driver, supervisor, pusher, keeper, scen, expiries, samples, chain_now, echo
        )
        keeper.resume()  # the keeper is back for the rest of the run, whatever the last row

        last = scen.rows[-1]
        hold = work / "hold.replay.csv"
        hold.write_text(scenario.render_replay([last.__class__(0, last.spot, last.vol)],
                                               driver.timestamp(), expiries))  # fmt: skip
        config = _pusher_config(
            work / "pusher-hold.yaml", url, deployment_path, keystore, password_file, hold,
            on_end="hold", heartbeat=300,
        )  # fmt: skip
        holder = supervisor.start("pusher-hold", [oracle_bin, "push", "--config", str(config)])
        echo("      waiting for the keeper to clear every unhealthy vault")
        _wait_quiet(driver, supervisor, [keeper, holder], book, expiries, samples, opts)
        health_after = driver.health([i for i in ids if _is_open(driver, i)])

        echo(f"[6/7] warping past the first expiry ({expiries[0]}); keeper settles")
        driver.warp(expiries[0] - driver.timestamp() + 60)
        _wait_settled(driver, supervisor, [keeper, holder], book, expiries[0], samples, opts)
        _wait_quiet(driver, supervisor, [keeper, holder], book, expiries, samples, opts, "expiry")
        _sample(driver, expiries, samples, "end")
        supervisor.stop(keeper)
        supervisor.stop(holder)
        clock.stop()

        echo("[7/7] verdicts from chain state")
        summary, details = _analyse(
            driver, book, start_block, health_start, health_after, nav_start, clock, started,
            scen, outages, samples,
        )  # fmt: skip
        report.write(opts.out, summary, details, samples, scen)
        return summary
    except SupervisorError as exc:
        raise DemoError(str(exc)) from None
    finally:
        if clock is not None:
            clock.stop()
        supervisor.close()


# -- steps ------------------------------------------------------------------------------


def _deploy(url: str, params: Path, log_path: Path) -> Path:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        result = subprocess.run(
            [sys.executable, "-m", "ringfence.demo.deploy_step", "--rpc", url,
             "--params", str(params), "--name", "demo"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=600,
            env={**os.environ, "APE_FOUNDRY_HOST": url},
        )  # fmt: skip
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise DemoError(f"deployment failed (log {log_path}):\n{tail}")
    return ROOT / "deployments" / "demo.json"


def _open_book(driver: Driver, series, opts: Options) -> Book:
    spot = driver.spot()
    orders = build_book(series, spot, n_traders=opts.traders, seed=opts.seed)
    keys = [trader_key(i) for i in range(opts.traders)]
    quotes = driver.quote(orders, series)
    collaterals = [
        driver.collateral_for(im, cost, o.leverage)
        for o, (im, cost) in zip(orders, quotes, strict=True)
    ]
    need: dict[int, int] = defaultdict(int)
    for order, collateral in zip(orders, collaterals, strict=True):
        need[order.trader] += collateral
    amounts = [need[i] + FREE_BUFFER * driver.c.unit for i in range(opts.traders)]
    driver.fund(keys, amounts)
    opened = driver.open_book(keys, orders, collaterals)
    failed = [o.kind for o, pid, _ in opened if pid is None]
    if failed:
        raise DemoError(f"{len(failed)} of {len(orders)} vaults failed to open: {failed[:5]}")
    expiry_of = {s.series_id: s.expiry for s in series}
    book = Book(orders=orders, ids=[pid for _, pid, _ in opened])
    for order, pid, _ in opened:
        owner = driver.w3.eth.account.from_key(keys[order.trader]).address
        book.kind[pid] = order.kind
        book.group[pid] = order.group
        book.owner[pid] = owner
        book.expiry[pid] = expiry_of[order.legs[0][0]]
        book.by_owner[owner].append(pid)
    return book


def _signer_keystore(work: Path) -> tuple[Path, Path]:
    from oracle.keystore import new_keystore

    folder = work / "keys"
    if folder.exists():
        shutil.rmtree(folder)
    password = secrets.token_hex(16)
    entry = new_keystore(folder, password, bytes.fromhex(role_key(SIGNER_ROLE).removeprefix("0x")))
    password_file = folder / "password"
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return entry.path, password_file


def _pusher_config(
    path: Path, url: str, deployment: Path, keystore: Path, password_file: Path, replay: Path,
    on_end: str, heartbeat: int,
) -> Path:  # fmt: skip
    config = {
        "chain_id": 31337,
        "rpc_urls": [url],
        "oracle": {"deployment": str(deployment)},
        "signer": {"keystore": str(keystore), "password_file": str(password_file)},
        "poll_interval": PUSHER_POLL,
        "clock": "chain",
        "feeds": [
            {
                "underlying": "ETH",
                "deviation_bps": 1,
                "vol_deviation": 0.001,
                "heartbeat": heartbeat,
                "sources": [{"kind": "replay", "path": str(replay), "on_end": on_end}],
            }
        ],
        "sending": {"receipt_poll_interval": 0.1, "replace_after_blocks": 50},
        "log_level": "info",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _oracle_update_txs(driver: Driver, from_block: int, to_block: int) -> list[tuple[int, str]]:
    """(block, tx hash) of every oracle update (spot or surface) in the range, in order."""
    found = set()
    for event in (driver.c.oracle.events.SpotUpdated, driver.c.oracle.events.SurfaceUpdated):
        for log in driver.logs(event, from_block, to_block):
            found.add((log["blockNumber"], log["transactionHash"].hex()))
    return sorted(found)


def _drive_scenario(
    driver, supervisor, pusher: Child, keeper: Child, scen, expiries, samples, start: int, echo
) -> list[dict[str, Any]]:
    """Advance chain time by the scenario's step after each oracle update the pusher lands,
    until the pusher has played the whole file (it exits 0 with ``on_end: stop``). The
    keeper follows the scenario's ``keeper`` column by chain time (paused with SIGSTOP while
    the row in force says ``off``); returns the outages as chain times and blocks."""
    last = driver.block_number()
    deadline = time.time() + len(scen.rows) * (PUSHER_POLL + 10) + 60
    up = True
    outages: list[dict[str, Any]] = []

    def follow_keeper() -> None:
        nonlocal up
        row = scen.row_at(driver.timestamp() - start)
        if row.keeper == up:
            return
        up = row.keeper
        if up:
            keeper.resume()
            outages[-1].update(to_t=row.t, to_block=driver.block_number())
            echo(f"      keeper back at scenario t = {row.t} s")
        else:
            keeper.pause()
            outages.append({"from_t": row.t, "from_block": driver.block_number()})
            echo(f"      keeper down at scenario t = {row.t} s (outage)")

    while True:
        if up:
            supervisor.check(keeper)
        head = driver.block_number()
        if head > last:
            for _block, _tx in _oracle_update_txs(driver, last + 1, head):
                _sample(driver, expiries, samples, "update")
                driver.warp(scen.step)
                follow_keeper()
            last = head
        if not pusher.running:
            code = pusher.process.returncode
            if code != 0:
                raise DemoError(f"oracle push exited {code}; last lines:\n{pusher.tail()}")
            if outages and "to_t" not in outages[-1]:
                outages[-1].update(to_t=scen.rows[-1].t, to_block=driver.block_number())
            return outages
        if time.time() > deadline:
            raise DemoError(f"the scenario did not finish in time; pusher log:\n{pusher.tail()}")
        time.sleep(0.05)


def _is_open(driver: Driver, position_id: int) -> bool:
    row = driver.positions([position_id])[position_id]
    return not isinstance(row, RpcFailure) and len(row[2]) > 0


def _open_ids(driver: Driver, ids: list[int]) -> list[int]:
    rows = driver.positions(ids)
    return [i for i in ids if not isinstance(rows[i], RpcFailure) and len(rows[i][2]) > 0]


def _unhealthy(driver: Driver, ids: list[int]) -> list[int]:
    health = driver.health(ids)
    return [i for i, h in health.items() if not isinstance(h, RpcFailure) and h[0] < h[2]]


def _wait_quiet(
    driver, supervisor, children, book: Book, expiries, samples, opts, phase: str = "wait"
) -> None:
    """Wait until no open vault is liquidatable on three checks in a row. The chain keeps
    producing blocks meanwhile (one ``evm_mine`` per check), as a live chain would: the
    keeper scans on new blocks."""
    deadline = time.time() + opts.quiet_timeout
    calm = 0
    while calm < 3:
        for child in children:
            supervisor.check(child)
        driver.rpc.call("evm_mine")
        live = [i for i in _open_ids(driver, book.ids) if book.expiry[i] > driver.timestamp()]
        calm = calm + 1 if not _unhealthy(driver, live) else 0
        _sample(driver, expiries, samples, phase)
        if time.time() > deadline:
            return  # the verdict counts what is left
        time.sleep(0.5)


def _wait_settled(driver, supervisor, children, book: Book, expiry, samples, opts) -> None:
    deadline = time.time() + opts.settle_timeout
    expiring = [i for i in book.ids if book.expiry[i] == expiry]
    while time.time() < deadline:
        for child in children:
            supervisor.check(child)
        driver.rpc.call("evm_mine")
        if not _open_ids(driver, expiring):
            return
        _sample(driver, sorted(e for e in book.expiry.values() if e > expiry)[:1] or [expiry],
                samples, "settle")  # fmt: skip
        time.sleep(0.5)


def _sample(driver: Driver, expiries, samples: list, phase: str) -> None:
    now = driver.timestamp()
    live = [e for e in expiries if e > now]
    samples.append(
        {
            "phase": phase,
            "wall": time.time(),
            "block": driver.block_number(),
            "chain_time": now,
            "spot": driver.spot(),
            "atm_vol": driver.atm_vol(live[0]) if live else None,
            "atm_vol_expiry": live[0] if live else None,
            "insurance_fund": driver.insurance_fund(),
            "pool_nav": driver.pool_nav(),
        }
    )


# -- verdicts ---------------------------------------------------------------------------


def _analyse(driver, book: Book, start_block, health_start, health_after, nav_start, clock,
             started, scen, outages, samples):  # fmt: skip
    c = driver.c
    head = driver.block_number()
    liquidations = []
    for log in driver.logs(c.clearing.events.PositionLiquidated, start_block, head):
        a = log["args"]
        liquidations.append(
            analysis.Liquidation(
                position_id=int(a["position_id"]), owner=a["owner"], liquidator=a["liquidator"],
                block=int(log["blockNumber"]), tx_hash=log["transactionHash"].hex(),
                fraction=int(a["fraction"]), returned=int(a["returned"]), reward=int(a["reward"]),
                insurance_fee=int(a["insurance_fee"]), shortfall=int(a["shortfall"]),
            )
        )  # fmt: skip
    settled = [
        int(log["args"]["position_id"])
        for log in driver.logs(c.clearing.events.PositionSettled, start_block, head)
    ]
    # Who bore the bad debt: the insurance fund first, then the pool (BadDebt events); and
    # what the pool owes traders it could not pay (claims, senior to LPs).
    debts = driver.logs(c.clearing.events.BadDebt, start_block, head)
    borne_insurance = sum(int(log["args"]["insurance_paid"]) for log in debts)
    borne_pool = sum(int(log["args"]["pool_loss"]) for log in debts)
    bad_debt = borne_insurance + borne_pool
    claims_owed = driver.eth_call(c.pool.functions.owed())

    # Health at the block before each liquidation (chain state, not the keeper's word).
    healthy = []
    for x in liquidations:
        before = driver.health([x.position_id], x.block - 1)[x.position_id]
        if analysis.was_healthy(before):
            healthy.append(x.position_id)

    # Isolation: per liquidation transaction and owner.
    violations: list[str] = []
    per_tx: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    tx_block = {}
    for x in liquidations:
        per_tx[(x.tx_hash, x.owner)][x.position_id] = x.returned
        tx_block[x.tx_hash] = x.block
    for (tx, owner), liquidated in per_tx.items():
        block = tx_block[tx]
        vaults = book.by_owner[owner]
        before = _vaults(driver, vaults, block - 1)
        after = _vaults(driver, vaults, block)
        free = (driver.free_balances([owner], block - 1)[owner],
                driver.free_balances([owner], block)[owner])  # fmt: skip
        violations += analysis.check_isolation(owner, liquidated, before, after, *free)

    # What is left: open vaults of live expiries that are below maintenance.
    now = driver.timestamp()
    open_ids = _open_ids(driver, book.ids)
    live = [i for i in open_ids if book.expiry[i] > now]
    expired_unsettled = [i for i in open_ids if book.expiry[i] <= now]
    unhealthy_left = _unhealthy(driver, live)

    updates = [b for b, _ in _oracle_update_txs(driver, start_block, head)]
    latency = analysis.latencies(sorted({x.block for x in liquidations}), updates, clock.seen)
    liquidated_ids = {x.position_id for x in liquidations}
    by_kind = _by_kind(book, liquidations, settled)
    extra = {
        "scenario": scen.name,
        "settled": len(settled),
        "expired_unsettled": len(expired_unsettled),
        "vaults_liquidated": len(liquidated_ids),
        "insurance_fund_start": 0.0,
        "seed_straddle": _seed_comparison(book, liquidated_ids),
        "bad_debt_borne": {
            "insurance": borne_insurance / c.unit,
            "pool": borne_pool / c.unit,
            "claims_owed_end": claims_owed / c.unit,
            "vaults": len({int(log["args"]["position_id"]) for log in debts}),
        },
        "keeper_outages": outages,
        # samples of the scenario and the wait after it (every oracle update) where the
        # pool's NAV could not be read: NAV marks every open leg, so a revert there is a
        # frozen price path. After the expiry warp the oracle is stale until the next push
        # by design (reads fail closed), so those samples do not count.
        "frozen_reads": sum(
            1 for s in samples if s["phase"] in ("update", "wait") and s["pool_nav"] is None
        ),
        "by_kind": by_kind,
    }
    summary = analysis.summarize(
        positions_opened=len(book.ids),
        liquidations=liquidations,
        unhealthy_left=len(unhealthy_left) + len(expired_unsettled),
        healthy_liquidated=len(healthy),
        isolation_violations=len(violations),
        bad_debt=bad_debt / c.unit,
        insurance_fund_end=driver.insurance_fund(),
        pool_nav_start=nav_start,
        pool_nav_end=driver.pool_nav(),
        latency_s=latency,
        duration_s=time.time() - started,
        extra=extra,
    )
    details = {
        "liquidations": [{**x.__dict__, "kind": book.kind[x.position_id]} for x in liquidations],
        "healthy_liquidated_ids": healthy,
        "isolation_problems": violations,
        "unhealthy_left": [
            {
                "id": i,
                "kind": book.kind[i],
                "health": [str(v) for v in h],
                "is_liquidatable": driver.eth_call(c.view.functions.is_liquidatable(i)),
            }
            for i, h in driver.health(unhealthy_left).items()
        ],
        "settlement_price_first_expiry": driver.eth_call(
            c.oracle.functions.settlement_price(driver.underlying, min(book.expiry.values()))
        ),
        "expired_unsettled_ids": expired_unsettled,
        "margin_ratio_start": [analysis.margin_ratio(h) for h in health_start.values()],
        "margin_ratio_after": [analysis.margin_ratio(h) for h in health_after.values()],
        "liquidation_chain_times": [driver.timestamp(x.block) for x in liquidations],
        "latencies": latency,
    }
    return summary, details


def _vaults(driver: Driver, ids: list[int], block: int) -> dict[int, tuple[int, tuple]]:
    rows = driver.positions(ids, block)
    return {
        i: (row[1], row[2])
        for i, row in rows.items()
        if not isinstance(row, RpcFailure) and len(row[2]) > 0
    }


def _by_kind(book: Book, liquidations, settled) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    full = {x.position_id for x in liquidations if x.full}
    touched = {x.position_id for x in liquidations}
    for pid in book.ids:
        row = out.setdefault(
            book.kind[pid], {"opened": 0, "liquidated": 0, "fully_liquidated": 0, "settled": 0}
        )
        row["opened"] += 1
        row["liquidated"] += pid in touched
        row["fully_liquidated"] += pid in full
        row["settled"] += pid in set(settled)
    return dict(sorted(out.items()))


def _seed_comparison(book: Book, liquidated: set[int]) -> dict[str, int]:
    """The seed's straddle as two isolated vaults vs one pod: how many were liquidated."""
    split = [i for i in book.ids if book.group[i] == "seed-split"]
    pods = [i for i in book.ids if book.group[i] == "seed-pod"]
    return {
        "split_vaults": len(split),
        "split_vaults_liquidated": sum(i in liquidated for i in split),
        "pods": len(pods),
        "pods_liquidated": sum(i in liquidated for i in pods),
    }


def dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, default=str) + "\n")
