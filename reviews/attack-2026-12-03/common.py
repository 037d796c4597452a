"""Shared set-up for the attack scripts: an oracle with one ETH feed (quorum 1 unless
changed), helpers re-used from tests/unit/oracle/oracle_helpers.py."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "oracle"))
import boa
from oracle_helpers import (ETH, ETH_SPOT, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, WAD, YEAR,
                            OracleDeployer, Relay, now, signer_account, spot_report,
                            surface_report, flat_total_variance)

GOV = boa.env.generate_address("governance")
RELAYER = boa.env.generate_address("relayer")


def make_oracle(n_signers=1, quorum=1, expiries_days=(30, 90)):
    signers = [signer_account(i) for i in range(n_signers)]
    t = now()
    exps = [t + d * 86_400 for d in expiries_days]
    with boa.env.prank(GOV):
        o = OracleDeployer().deploy()
        for s in signers:
            o.add_signer(s.address)
        o.add_feed(ETH, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "ETH / USD")
        for e in exps:
            o.list_expiry(ETH, e)
        if quorum != 1:
            o.set_quorum(quorum)
    relay = Relay(o, RELAYER, boa.env.evm.patch.chain_id)
    return o, relay, signers, exps
