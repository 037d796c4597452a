"""Helpers for the keeper's integration tests: real `keeper run` processes, a TCP proxy."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from keeper import devnet
from ringfence.paths import ROOT

KEEPER_CLI = Path(sys.executable).with_name("keeper")
WAD = 10**18
UNIT = 10**6  # deploy/local.yaml: a 6-decimals quote token
STRIKE = 3_000 * WAD
# short 0.1 ATM put: IM ~53.5 quote at spot 3000; a 10 % crash needs ~83 quote to stay healthy
PUT_SIZE = -(10**17)


def json_lines(path: Path) -> list[dict]:
    """The JSON objects among the lines of a log (other lines skipped)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


class KeeperProcess:
    """One `keeper run` subprocess; its JSON-lines stderr goes to a file we parse."""

    def __init__(self, url: str, deployment: Path, account: str | None, workdir: Path, *extra):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"keeper-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        args = [str(KEEPER_CLI), "run", "--network", url, "--deployment", str(deployment)]
        if account:
            args += ["--account", account]
        args += ["--poll-interval", "0.2", "--backoff-max", "1", "--max-candidates", "5000"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [*args, *extra], cwd=workdir, stdout=subprocess.DEVNULL, stderr=self._log, env=env
        )

    def lines(self) -> list[dict]:
        return json_lines(self.log_path)

    def events(self, name: str) -> list[dict]:
        return [e for e in self.lines() if e.get("event") == name]

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"keeper exited ({self.proc.returncode}): {self.tail()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}: {self.tail()}")

    def wait_scanning(self, timeout: float = 60) -> None:
        self.wait_for(lambda: bool(self.events("scan")), timeout, "a first scan")

    def tail(self, n: int = 15) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-n:])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def run_keeper_once(*args: str, cwd: Path = ROOT, timeout: float = 60):
    """`keeper <args>` to completion (for start-up errors)."""
    return subprocess.run(
        [str(KEEPER_CLI), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def seed_puts(net: devnet.Devnet, n: int, low: float = 54.0, high: float = 120.0) -> list[int]:
    """``n`` vaults, each short 0.1 ATM put of the first expiry, collateral spread evenly
    from ``low`` to ``high`` quote (IM is ~53.5): a 10 % crash leaves roughly the lower
    half unhealthy."""
    put = net.series_id(STRIKE, is_call=False)
    step = (high - low) / max(n - 1, 1)
    collaterals = [int((low + i * step) * UNIT) for i in range(n)]
    return devnet.open_vaults(net, net.roles["trader"], [[(put, PUT_SIZE)]] * n, collaterals)


def split(net: devnet.Devnet, ids: list[int], block: int | str) -> tuple[set[int], set[int]]:
    """(unhealthy, healthy) open vaults at ``block``, from ``health_many``."""
    h = devnet.health_many(net, ids, block)
    unhealthy = {pid for pid, (eq, _im, mm) in h.items() if mm > 0 and eq < mm}
    healthy = {pid for pid, (eq, _im, mm) in h.items() if mm > 0 and eq >= mm}
    return unhealthy, healthy


def stored_vault(net: devnet.Devnet, pid: int) -> tuple | None:
    """(owner, collateral, ((series id, size, entry), ...)) of an open vault as the clearing
    house stores it (``vault(id)``); None when it is not open."""
    owner, collateral, legs = net.clearing.functions.vault(pid).call()
    if not legs:
        return None
    return (owner.lower(), collateral, tuple(tuple(leg) for leg in legs))


def checkpointed_vault(doc: dict, pid: int) -> tuple | None:
    """The same figures from a keeper checkpoint (``doc`` = its JSON)."""
    for p in doc["positions"]:
        if p["position_id"] == pid:
            legs = tuple((g["series_id"], g["size"], g["entry_price"]) for g in p["legs"])
            return (p["owner"].lower(), p["collateral"], legs)
    return None


def liquidated(net: devnet.Devnet, from_block: int) -> list[tuple[int, int]]:
    """(position id, block) of every PositionLiquidated since ``from_block``."""
    return [
        (d.args["position_id"], d.block_number)
        for d in devnet.events(net, "PositionLiquidated", from_block)
    ]


def interval_mining(net: devnet.Devnet, seconds: int = 1) -> None:
    net.node.rpc("evm_setIntervalMining", [seconds])


class TcpProxy:
    """A loopback TCP proxy to the node that can be taken down and brought back."""

    def __init__(self, target_port: int, port: int | None = None):
        self.target_port = target_port
        self.port = port or devnet.free_port()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        with self._lock:
            self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if server is not self._server:  # stopped meanwhile: this one dies too
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65_536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            server.close()
        with self._lock:
            for s in self._conns:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._conns.clear()
