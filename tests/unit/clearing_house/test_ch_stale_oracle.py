"""Trading against a known-stale oracle does not pay (issue 16): 100 ATM options opened
just before an oracle update of the pusher's default deviation threshold (0.5 % of spot,
1 vol point of a smile) and closed just after netted +232 to +322 from the pool, the
spread being smaller than one oracle step. The spread now also prices a spread_vol move
of the spot through each leg's delta (`ringfence.spread`): a round trip costs 2 x 0.5 %
of the delta notional, more than a 0.5 % step pays, whichever side the trader takes."""

import boa
import pytest
from ch_helpers import open_vault

from ringfence.risk_table import ETH, WAD

STEP_BPS = 50  # oracle/config.py: deviation_bps
VOL_STEP = 10**16  # oracle/config.py: vol_deviation, 1 vol point


def _round_trip(proto, trader, strike, is_call, size, spot_bps, vol_step):
    pid = open_vault(proto, trader, [(strike, is_call, size)], 90_000)
    spot = proto.oracle.price(ETH)
    proto.oracle.set_price(ETH, spot * (10_000 + spot_bps) // 10_000)
    if vol_step:
        vol = proto.oracle.vol(ETH, strike * WAD, proto.expiry)
        proto.oracle.set_vol(ETH, proto.expiry, vol + vol_step)
    with boa.env.prank(trader):
        return proto.ch.close_position(pid, 2**256 - 1)


@pytest.mark.parametrize("strike", [1800, 2000, 2200])
@pytest.mark.parametrize(
    ("is_call", "size", "spot_bps", "vol_step"),
    [
        (True, 100, STEP_BPS, 0),  # long call before an up-step
        (True, -100, -STEP_BPS, 0),  # short call before a down-step
        (False, 100, -STEP_BPS, 0),  # long put before a down-step
        (False, -100, STEP_BPS, 0),  # short put before an up-step
        (True, 100, 0, VOL_STEP),  # long call before a smile lift
        (False, -100, 0, -VOL_STEP),  # short put before a smile drop
        (True, 100, STEP_BPS, VOL_STEP),  # both steps at once
        (False, 100, -STEP_BPS, VOL_STEP),
    ],
)
def test_round_trip_across_one_oracle_step__loses(
    funded, trader, strike, is_call, size, spot_bps, vol_step
):
    pnl = _round_trip(funded, trader, strike, is_call, size, spot_bps, vol_step)
    assert pnl < 0, f"the trader took {pnl / WAD:.2f} from the pool across one oracle step"
