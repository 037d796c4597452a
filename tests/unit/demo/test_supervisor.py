"""The demo's supervisor can take a child down and bring it back (the `gap` scenario's keeper
outage) and still stop it promptly while it is paused."""

import sys
import time
from pathlib import Path

from ringfence.demo.supervisor import Supervisor

TICKER = "import time\nwhile True:\n    print(time.time(), flush=True)\n    time.sleep(0.05)\n"


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split()[2]


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_pause_resume_stop__child_stops_ticking_then_goes_on_then_exits(tmp_path):
    sup = Supervisor(tmp_path / "logs")
    child = sup.start("ticker", [sys.executable, "-u", "-c", TICKER])
    try:
        time.sleep(0.5)
        child.pause()
        time.sleep(0.2)  # let the stop land
        assert _state(child.process.pid) == "T"
        frozen = _lines(child.log_path)
        time.sleep(0.4)
        assert _lines(child.log_path) == frozen  # nothing happens while paused
        child.resume()
        time.sleep(0.4)
        assert _state(child.process.pid) != "T" and _lines(child.log_path) > frozen
        child.pause()
        started = time.time()
        sup.stop(child, grace=5.0)  # resumes it first, so SIGTERM is acted on at once
        assert not child.running and time.time() - started < 4.0
    finally:
        sup.close()
