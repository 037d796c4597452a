"""scripts/check_natspec.py: the lint gate for complete NatSpec on externals."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "check_natspec.py"

COMPLETE = '''
@external
@view
def f(a: uint256, b: address) -> (uint256, bool):
    """
    @notice Something.
    @param a First.
    @param b Second.
    @return uint256 One.
    @return bool Two.
    """
    return a, True
'''

INCOMPLETE = '''
@external
def g(a: uint256) -> uint256:
    """
    @notice Something.
    """
    return a


@external
def h():
    pass
'''


def _run(tmp_path, source):
    path = tmp_path / "c.vy"
    path.write_text("# pragma version ~=0.4.3\n" + source)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, cwd=ROOT
    )


def test_check_natspec__complete_tags__passes(tmp_path):
    result = _run(tmp_path, COMPLETE)
    assert result.returncode == 0, result.stdout
    assert "1 external functions, every one complete" in result.stdout


def test_check_natspec__missing_param_return_and_docstring__each_reported(tmp_path):
    result = _run(tmp_path, INCOMPLETE)
    assert result.returncode == 1
    assert "g: no @param a" in result.stdout
    assert "g: 0 @return for 1 returned value(s)" in result.stdout
    assert "h: no docstring" in result.stdout


def test_check_natspec__repository__every_external_complete():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout
