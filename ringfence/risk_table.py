"""Ringfence margin vs Reg-T and Deribit-style rules, computed from the contracts on titanoboa.

Run ``python -m ringfence.risk_table`` (from the repository root, with the venv active):
it deploys the clearing house with its default risk parameters on an in-process EVM,
opens each strategy as one vault, reads ``health(id)`` and prints a Markdown table
comparing Ringfence's MM/IM with

- a Reg-T style requirement for short options: per short leg
  ``max(20% x spot - OTM amount, 10% x spot) x |size|`` plus the premium, and for a
  long option its premium (paid in full); spreads are charged their maximum loss;
- a Deribit-style rule: short IM ``max(15% - OTM/spot, 10%) x spot + mark``, short MM
  ``7.5% x spot + mark``; longs need only their premium.

The module also exposes :func:`deploy_protocol`, the one place that wires a complete
protocol (token, oracle mock, clearing house, pool) on titanoboa; the unit tests and
the ``clearing`` bench section reuse it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import boa

from ringfence.deploy_config import RISK_KEYS
from ringfence.paths import contract_path

WAD = 10**18
YEAR = 31_536_000
DAY = 86_400
ETH = b"ETH".ljust(32, b"\0")

# The defaults documented in docs/risk.md (WAD). Field order = IClearingHouse.RiskParams.
DEFAULT_PARAMS = {
    "spot_shock": 6 * 10**16,  # stress spot by at least +6 % / -12 % ...
    "spot_sigmas": 25 * 10**17,  # ... or 2.5 sd of the vault's highest vol over the horizon
    "crash_factor": 2 * 10**18,  # the down move is twice the up move
    "vol_up": 2 * 10**17,  # vol x 1.2 at 30 days (up to x 1.4 at short tenors)
    "vol_down": 15 * 10**16,  # vol x 0.85 at 30 days (down to x 0.7)
    "vol_tenor_cap": 2 * 10**18,  # short-dated vol moves at most 2x the 30-day shock
    "horizon": DAY,  # the liquidation horizon, seconds: longs lose a day of time value
    "im_factor": 125 * 10**16,  # IM = 1.25 x MM
    "min_short_margin": 2 * 10**16,  # at least 2 % of spot per net short unit
    "liquidation_reward": 5 * 10**16,  # 5 % of the closed MM to the liquidator
    "insurance_fee": 5 * 10**16,  # 5 % of the closed MM to the insurance fund
    "spread_vol": 5 * 10**15,  # spread = 0.5 vol point x vega
    "rate": 0,
    "min_size": 10**15,  # 0.001 units
}


def params_tuple(params: dict[str, int]) -> tuple:
    """`params` in ``IClearingHouse.RiskParams`` field order."""
    return tuple(params[k] for k in RISK_KEYS)


@functools.cache
def _partial(relative: str):
    return boa.load_partial(str(contract_path(relative)))


def token_deployer():
    return _partial("mocks/MockToken.vy")


def oracle_deployer():
    return _partial("mocks/oracle_mock.vy")


def engine_deployer():
    return _partial("MarginEngine.vy")


def registry_deployer():
    return _partial("Registry.vy")


def clearing_house_deployer():
    return _partial("ClearingHouse.vy")


def view_deployer():
    return _partial("ClearingHouseView.vy")


def pool_deployer():
    return _partial("LiquidityPool.vy")


def surface_checker_deployer():
    return _partial("SurfaceChecker.vy")


def real_oracle_deployer():
    return _partial("Oracle.vy")


def oracle_governor_deployer():
    return _partial("OracleGovernor.vy")


def deploy_real_oracle():
    """``Oracle.vy`` over a fresh ``SurfaceChecker``, with its bound ``OracleGovernor`` (the
    caller owns the governor, so it configures signers, feeds and expiries through it).
    Returns ``(oracle, governor)``."""
    governor = oracle_governor_deployer().deploy()
    oracle = real_oracle_deployer().deploy(
        surface_checker_deployer().deploy().address, governor.address
    )
    governor.bind(oracle.address)
    return oracle, governor


def oracle_governor(oracle):
    """The ``OracleGovernor`` of a deployed real oracle (its ``GOVERNOR``)."""
    return oracle_governor_deployer().at(oracle.GOVERNOR())


@dataclass
class Protocol:
    """A deployed protocol and the role accounts that own its pieces."""

    token: object
    oracle: object
    engine: object
    registry: object
    ch: object
    view: object
    pool: object
    governance: str
    guardian: str
    lp: str
    decimals: int
    expiry: int
    series: dict[tuple[int, bool], int] = field(default_factory=dict)

    def units(self, amount: float | int) -> int:
        """Whole quote units to base units (exact for the round numbers tests use)."""
        return int(round(amount * 10**self.decimals))

    def fund(self, account: str, amount: int) -> None:
        """Mint `amount` base units to `account` and deposit them as free balance."""
        self.token.mint(account, amount)
        with boa.env.prank(account):
            self.token.approve(self.ch.address, amount)
            self.ch.deposit(amount)

    def lp_deposit(self, account: str, assets: int) -> int:
        """`account` deposits `assets` base units it holds into the pool; returns the shares.

        Instant (ERC-4626 `deposit`) while the book is empty; otherwise `request_deposit`,
        `LP_DELAY` seconds of time travel and `execute_request` (docs/solvency.md, "LP
        flows"). The mock oracle does not age, so the travel keeps its prices readable."""
        with boa.env.prank(account):
            self.token.approve(self.pool.address, assets)
            if not self.pool.active_series():
                return self.pool.deposit(assets, account)
            request_id = self.pool.request_deposit(assets, account)
        boa.env.time_travel(seconds=self.pool.LP_DELAY())
        return self.pool.execute_request(request_id)

    def lp_redeem(self, account: str, shares: int) -> int:
        """`account` redeems `shares`; returns the base units paid (as `lp_deposit`)."""
        with boa.env.prank(account):
            if not self.pool.active_series():
                return self.pool.redeem(shares, account, account)
            request_id = self.pool.request_redeem(shares, account)
        boa.env.time_travel(seconds=self.pool.LP_DELAY())
        return self.pool.execute_request(request_id)


def deploy_protocol(
    decimals: int = 6,
    spot: int = 2000 * WAD,
    vol: int = 8 * 10**17,
    days: int = 30,
    strikes: tuple[int, ...] = (1600, 1800, 2000, 2200, 2400),
    pool_cash: int = 10_000_000,
    oi_cap: int = 10_000 * WAD,
    max_utilisation: int = 5 * WAD,
    params: dict[str, int] | None = None,
    liquidation_deposit: int = 0,
) -> Protocol:
    """Deploy token, oracle mock, clearing house and pool; list calls and puts at `strikes`.

    `pool_cash` is in whole quote units, deposited by the `lp` role; `liquidation_deposit`
    in base units.
    """
    proto = deploy_core(
        lambda expiry: oracle_deployer().deploy(),
        decimals,
        days,
        max_utilisation,
        params,
        liquidation_deposit,
    )
    proto.oracle.set_price(ETH, spot)
    proto.oracle.set_vol(ETH, proto.expiry, vol)
    list_and_seed(proto, strikes, oi_cap, pool_cash)
    return proto


def deploy_core(
    make_oracle,
    decimals: int,
    days: int,
    max_utilisation: int,
    params: dict[str, int] | None,
    liquidation_deposit: int = 0,
) -> Protocol:
    """Token, oracle, engine, registry, clearing house, its view and the pool, wired by the
    governance role; no prices and no series yet. ``make_oracle(expiry)`` deploys (and
    configures) the oracle, as governance, between the token and the engine; `expiry` is
    `days` from now. `liquidation_deposit` is in base units (0: none)."""
    governance = boa.env.generate_address("governance")
    guardian = boa.env.generate_address("guardian")
    lp = boa.env.generate_address("lp")
    expiry = boa.env.evm.patch.timestamp + days * DAY
    with boa.env.prank(governance):
        token = token_deployer().deploy("Mock USD", "mUSD", decimals)
        oracle = make_oracle(expiry)
        engine = engine_deployer().deploy(oracle.address)
        registry = registry_deployer().deploy(guardian, max_utilisation)
        ch = clearing_house_deployer().deploy(
            token.address, engine.address, registry.address, liquidation_deposit
        )
        view = view_deployer().deploy(ch.address, registry.address)
        pool = pool_deployer().deploy(
            token.address, ch.address, registry.address, engine.address, "Ringfence LP", "rfLP"
        )
        ch.set_pool(pool.address)
        registry.set_risk_params(ETH, params_tuple(params or DEFAULT_PARAMS))
    return Protocol(
        token, oracle, engine, registry, ch, view, pool, governance, guardian, lp, decimals, expiry
    )


def list_and_seed(proto: Protocol, strikes: tuple[int, ...], oi_cap: int, pool_cash: int):
    """List a call and a put at every strike of `proto.expiry`, then the `lp` role deposits
    `pool_cash` whole quote units into the pool."""
    with boa.env.prank(proto.governance):
        for strike in strikes:
            for is_call in (True, False):
                proto.series[(strike, is_call)] = proto.registry.list_series(
                    ETH, strike * WAD, proto.expiry, is_call, oi_cap
                )
    amount = proto.units(pool_cash)
    proto.token.mint(proto.lp, amount)
    with boa.env.prank(proto.lp):
        proto.token.approve(proto.pool.address, amount)
        proto.pool.deposit(amount, proto.lp)


# ---------------------------------------------------------------------------------------
# The comparison table


# (name, [(strike, is_call, size)]) — one unit of each strategy, 30 days, spot 2000, vol 80 %.
STRATEGIES = [
    ("long ATM call", [(2000, True, 1)]),
    ("short ATM call", [(2000, True, -1)]),
    ("long OTM call (2200)", [(2200, True, 1)]),
    ("short OTM call (2200)", [(2200, True, -1)]),
    ("long ATM put", [(2000, False, 1)]),
    ("short ATM put", [(2000, False, -1)]),
    ("short OTM put (1800)", [(1800, False, -1)]),
    ("long straddle (2000)", [(2000, True, 1), (2000, False, 1)]),
    ("short straddle (2000)", [(2000, True, -1), (2000, False, -1)]),
    ("bull call spread 2000/2200", [(2000, True, 1), (2200, True, -1)]),
    ("bear call spread 2000/2200 (short)", [(2000, True, -1), (2200, True, 1)]),
    (
        "short iron condor 1600/1800/2200/2400",
        [(1600, False, 1), (1800, False, -1), (2200, True, -1), (2400, True, 1)],
    ),
]


def _otm(strike: float, is_call: bool, spot: float) -> float:
    return max(strike - spot, 0.0) if is_call else max(spot - strike, 0.0)


def reg_t(legs, marks, spot: float) -> float:
    """Reg-T style requirement (premium included), per the CBOE rules for retail accounts.

    Long options: the premium. Naked short: premium + max(20 % x spot - OTM, 10 % x spot
    for calls / 10 % x strike for puts). Defined-risk spreads: their maximum loss (debit
    spreads the net premium, credit spreads and condors the widest strike width). A short
    straddle: the larger short requirement plus the other leg's premium.
    """
    shorts = [(k, c, s, m) for (k, c, s), m in zip(legs, marks, strict=True) if s < 0]
    longs = [(k, c, s, m) for (k, c, s), m in zip(legs, marks, strict=True) if s > 0]
    if not shorts:
        return sum(m * s for _, _, s, m in longs)
    if longs:  # a spread or a condor: defined risk
        premium = sum(m * s for (_, _, s), m in zip(legs, marks, strict=True))
        widths = []
        for is_call in (True, False):
            ks = sorted(k for k, c, _, _ in shorts + longs if c == is_call)
            if len(ks) == 2:
                widths.append(ks[1] - ks[0])
        width = max(widths)
        return max(premium, 0.0) if premium > 0 else width
    naked = []
    for k, c, s, m in shorts:
        floor = 0.10 * (spot if c else k)
        naked.append((m + max(0.20 * spot - _otm(k, c, spot), floor)) * -s)
    if len(naked) == 1:
        return naked[0]
    biggest = max(range(len(naked)), key=lambda i: naked[i])
    return naked[biggest] + sum(m * -s for i, (_, _, s, m) in enumerate(shorts) if i != biggest)


def deribit(legs, marks, spot: float) -> tuple[float, float]:
    """Deribit-style standard margin, summed per leg (premium included): (IM, MM).

    Short: IM = max(15 % - OTM / spot, 10 %) x spot + mark; MM = 7.5 % x spot + mark.
    Long: the premium (IM = MM = mark).
    """
    im = mm = 0.0
    for (k, c, s), m in zip(legs, marks, strict=True):
        if s > 0:
            im += m * s
            mm += m * s
        else:
            im += (max(0.15 - _otm(k, c, spot) / spot, 0.10) * spot + m) * -s
            mm += (0.075 * spot + m) * -s
    return im, mm


def compute_rows(spot: int = 2000, vol: float = 0.8, days: int = 30) -> list[dict]:
    """Open every strategy as one vault on a fresh in-process chain and read its margin."""
    with boa.env.anchor():
        proto = deploy_protocol(decimals=6, spot=spot * WAD, vol=int(vol * WAD), days=days)
        trader = boa.env.generate_address("trader")
        proto.fund(trader, proto.units(10_000_000))
        rate = proto.registry.risk_params(ETH).rate
        rows = []
        for name, legs in STRATEGIES:
            encoded = [(proto.series[(k, c)], int(s * WAD)) for k, c, s in legs]
            with boa.env.prank(trader):
                pid = proto.ch.open_position(encoded, proto.units(100_000), proto.units(100_000))
            _, im, mm = proto.ch.health(pid)
            terms = [(k * WAD, proto.expiry, c) for k, c, _ in legs]
            marks = [m / WAD for m in proto.engine.marks(ETH, terms, rate)]
            value = sum(m * s for (_, _, s), m in zip(legs, marks, strict=True))
            d_im, d_mm = deribit(legs, marks, spot)
            rows.append(
                {
                    "strategy": name,
                    "value": value,
                    "rf_mm": mm / WAD,
                    "rf_im": im / WAD,
                    "reg_t": reg_t(legs, marks, spot),
                    "deribit_im": d_im,
                    "deribit_mm": d_mm,
                }
            )
    return rows


def markdown(rows: list[dict]) -> str:
    head = (
        "| strategy (1 unit, 30 d, S = 2000, vol 80 %) | mark value | Ringfence MM | Ringfence IM "
        "| Reg-T | Deribit IM | Deribit MM |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['strategy']} | {r['value']:.2f} | {r['rf_mm']:.2f} | {r['rf_im']:.2f} "
            f"| {r['reg_t']:.2f} | {r['deribit_im']:.2f} | {r['deribit_mm']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    print(markdown(compute_rows()))


if __name__ == "__main__":
    main()
