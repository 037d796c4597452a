"""Full protocol on the real Oracle.vy with several signers (quorum q), realistic feed
parameters (max_age 3,600 s, spot band 20 %, vol cap 20 vol points)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "clearing_house"))
import boa
from ringfence.oracle_types import Report, sign_report
from ringfence.risk_table import ETH, WAD, YEAR, deploy_core, deploy_real_oracle, list_and_seed
from ringfence.bench._real_oracle import svi_for_atm_vol
from eth_account import Account
from eth_utils import keccak
from ch_helpers import open_vault

MAX_AGE, SPOT_CAP, VOL_CAP = 3600, 2000, 2 * 10**17


def now():
    return boa.env.evm.patch.timestamp


class Feed:
    def __init__(self, oracle, keys):
        self.o, self.keys = oracle, keys
        self.relayer = boa.env.generate_address("relayer")
        self.chain = boa.env.evm.patch.chain_id

    def submit(self, pairs):
        reps = [r for r, _ in pairs]
        sigs = [sign_report(r, self.keys[i].key, self.chain, self.o.address) for r, i in pairs]
        with boa.env.prank(self.relayer):
            n = self.o.submit([r.as_tuple() for r in reps], sigs)
        reasons = [l.reason for l in self.o.get_logs() if type(l).__name__ == "ReportRejected"]
        return n, reasons

    def spot(self, price, who, t=None):
        return (Report(ETH, 0, int(price), observed_at=now() if t is None else t), who)

    def surf(self, expiry, forward, vol, who, svi=None, t=None):
        t = now() if t is None else t
        a, b, rho, m, sigma = svi if svi else svi_for_atm_vol(int(vol), expiry - t)
        return (Report(ETH, expiry, int(forward), a, b, rho, m, sigma, t), who)


def deploy(n_signers=1, quorum=1, spot=2000, vol=0.8, days=30, strikes=(1600, 1800, 2000, 2200, 2400),
           pool_cash=10_000_000, params=None, extra_expiries=(), max_age=MAX_AGE, spot_cap=SPOT_CAP,
           vol_cap=VOL_CAP):
    keys = [Account.from_key(keccak(text=f"attack-signer-{i}")) for i in range(n_signers)]
    extra = []

    def make_oracle(expiry):
        o = deploy_real_oracle()
        for k in keys:
            o.add_signer(k.address)
        o.add_feed(ETH, max_age, spot_cap, vol_cap, "ETH / USD")
        o.list_expiry(ETH, expiry)
        for d in extra_expiries:
            o.list_expiry(ETH, now() + d * 86400)
            extra.append(now() + d * 86400)
        if quorum > 1:
            o.set_quorum(quorum)
        return o

    proto = deploy_core(make_oracle, 6, days, 5 * WAD, params)
    feed = Feed(proto.oracle, keys)
    boa.env.time_travel(seconds=1)
    print("seed", feed.submit([feed.spot(spot * WAD, i) for i in range(n_signers)]
                      + [feed.surf(proto.expiry, spot * WAD, vol * WAD, i) for i in range(n_signers)]))
    list_and_seed(proto, strikes, 10_000 * WAD, pool_cash)
    proto.extra_expiries = extra
    return proto, feed


def fund(proto, who, amount):
    proto.fund(who, proto.units(amount))
