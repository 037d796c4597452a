"""Frozen outputs and gas of `_price_and_greeks` inside the pre-extension domain.

The total-domain extension (docs/math.md §1.1) must leave every result inside the old
domain (spot, strike in [1e12, 1e30] wei, strike/spot in [1/100, 100], tau <= 10 y,
vol <= 10.0, rate in [-0.1, 1.0]) bit-for-bit identical and its gas within 1 %.
`old_domain_golden.json` holds, for each of the deterministic `points()` below, a digest of
the five outputs and the gas `price_and_greeks_gas` reported, both measured on the library
as it was at commit ee914a1 (before the extension). Regenerate only from that library:

    git show ee914a1:contracts/lib/black_scholes.vy > /tmp/old/contracts/lib/black_scholes.vy
    python tests/unit/black_scholes/old_domain_golden.py --write --mock <old mock path>
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
from pathlib import Path

WAD = 10**18
YEAR = 31_536_000
GOLDEN = Path(__file__).with_name("old_domain_golden.json")

Point = tuple[bool, int, int, int, int, int]


def _bench_grid() -> list[Point]:
    """The bench grid as it was (1 920 points): spots x moneyness x tau x vol x rate."""
    points = []
    for is_call, spot, (num, den), tau, vol, rate in itertools.product(
        (True, False),
        (10**12, WAD, 42 * WAD, 10**30),
        ((1, 100), (4, 5), (1, 1), (5, 4), (100, 1)),
        (0, 1, 86_400, YEAR, 10 * YEAR),
        (0, 10**12, 3 * 10**17, 10 * WAD),
        (-(10**17), 5 * 10**16, WAD),
    ):
        strike = spot * num // den
        if 10**12 <= strike <= 10**30:
            points.append((is_call, spot, strike, tau, vol, rate))
    return points


def _random_points(n: int, seed: int) -> list[Point]:
    """`n` points drawn over the whole old domain, decades and edges weighted in."""
    rng = random.Random(seed)

    def log_int(lo: int, hi: int) -> int:
        e = rng.randint(lo, hi - 1)
        return rng.randint(10**e, 10 ** (e + 1) - 1)

    points = []
    for _ in range(n):
        spot = rng.choice([10**12, 10**30, log_int(12, 30), log_int(12, 30)])
        lo = max(10**12, -(-spot // 100))
        hi = min(10**30, spot * 100)
        kind = rng.randrange(4)
        if kind == 0:
            strike = spot
        elif kind == 1:
            strike = rng.choice([lo, hi])
        elif kind == 2:
            strike = min(max(spot + rng.randint(-(10**6), 10**6), lo), hi)
        else:
            strike = rng.randint(lo, hi)
        tau = rng.choice([0, 1, 60, 3_600, YEAR, 10 * YEAR, rng.randint(0, 10 * YEAR)])
        vol = rng.choice([0, 1, 10**12, 10 * WAD, rng.randint(0, 10 * WAD), log_int(0, 19)])
        rate = rng.choice([-(10**17), 0, WAD, rng.randint(-(10**17), WAD)])
        points.append((rng.random() < 0.5, spot, strike, tau, min(vol, 10 * WAD), rate))
    return points


def in_old_domain(point: Point) -> bool:
    """The pre-extension domain, as the library checked it on entry."""
    _, spot, strike, tau, vol, rate = point
    return (
        min(spot, strike) >= 10**12
        and max(spot, strike) <= 10**30
        and strike * 100 >= spot
        and spot * 100 >= strike
        and 0 <= tau <= 10 * YEAR
        and 0 <= vol <= 10 * WAD
        and -(10**17) <= rate <= WAD
    )


def points() -> list[Point]:
    """Every frozen point: the old bench grid and 1 000 seeded random draws."""
    return _bench_grid() + _random_points(1_000, seed=2026)


def digest(outputs: tuple[int, int, int, int, int]) -> str:
    """Short fingerprint of one output tuple (any changed bit changes it)."""
    return hashlib.sha256(repr(tuple(outputs)).encode()).hexdigest()[:16]


def load() -> list[tuple[str, int]]:
    """(digest, gas) per point, in `points()` order."""
    return [tuple(row) for row in json.loads(GOLDEN.read_text())["points"]]


def _write(mock_path: str) -> None:
    import boa

    mock = boa.load(mock_path)
    rows = [[digest(mock.price_and_greeks(*p)), mock.price_and_greeks_gas(*p)] for p in points()]
    body = ",\n".join(json.dumps(row) for row in rows)
    GOLDEN.write_text(f'{{"source": "black_scholes.vy at ee914a1",\n"points": [\n{body}\n]}}\n')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", required=True)
    parser.add_argument("--mock", required=True, help="black_scholes_mock.vy of the old library")
    _write(parser.parse_args().mock)
