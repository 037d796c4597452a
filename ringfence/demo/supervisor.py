"""Child processes of the demo: anvil, the oracle pusher and the keeper.

Each runs in its own process group with its output in ``reports/demo/logs/``; ``stop`` sends
SIGTERM to that group only (then SIGKILL after a grace period), and ``Supervisor.close``
stops everything it started, in reverse order — on success, on error and on Ctrl-C. Nothing
listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


class SupervisorError(RuntimeError):
    """A child process could not start or died when it should be running."""


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """Stop the process where it is (SIGSTOP): an outage that keeps its state."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused process go on (SIGCONT)."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGCONT)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Supervisor:
    log_dir: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: list[str], cwd: Path | None = None) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        child = Child(name, argv, self.log_dir / f"{name}.log")
        log = child.log_path.open("w")
        try:
            child.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=self.env,
                start_new_session=True,  # its own process group: stop() reaches its children
            )
        except OSError as exc:
            raise SupervisorError(f"{name}: cannot start {argv[0]}: {exc.strerror}") from None
        finally:
            log.close()
        child.started_at = time.time()
        self.children.append(child)
        return child

    def check(self, child: Child) -> None:
        """Raise with the log tail if ``child`` has exited."""
        if not child.running:
            code = child.process.returncode if child.process else None
            raise SupervisorError(
                f"{child.name} exited with code {code}; last lines of {child.log_path}:\n"
                f"{child.tail()}"
            )

    def wait_exit(self, child: Child, timeout: float) -> int | None:
        try:
            return child.process.wait(timeout=timeout) if child.process else None
        except subprocess.TimeoutExpired:
            return None

    def stop(self, child: Child, grace: float = 10.0) -> int | None:
        """SIGTERM the child's process group, SIGKILL it after ``grace`` seconds."""
        process = child.process
        if process is None:
            return None
        if process.poll() is None:
            child.resume()  # a paused child could not act on SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        return process.returncode

    def close(self) -> None:
        """Stop every child still running, newest first."""
        for child in reversed(self.children):
            self.stop(child, grace=5.0)
