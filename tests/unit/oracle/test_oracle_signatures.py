"""EIP-712 domain (EIP-5267), digest parity with eth-account, replay across expiries, chains
and deployments, and malformed or malleable signatures."""

from dataclasses import replace

import boa
import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from oracle_helpers import ETH, ETH_SPOT, WAD, gov, spot_report, surface_report

from ringfence.oracle_types import typed_data

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_eip712_domain__fields__name_version_chain_and_contract(oracle):
    fields, name, version, chain_id, contract, salt, extensions = oracle.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version) == ("Ringfence Oracle", "1")
    assert chain_id == boa.env.evm.patch.chain_id
    assert contract == oracle.address
    assert salt == b"\x00" * 32
    assert extensions == []


def test_report_digest__any_report__equals_eth_account_typed_data_hash(oracle, expiries):
    report = surface_report(expiries[0], a=WAD // 20, b=WAD // 10, rho=-WAD // 3, m=-(10**16))
    signable = encode_typed_data(
        full_message=typed_data(report, boa.env.evm.patch.chain_id, oracle.address)
    )
    expected = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert oracle.report_digest(report.as_tuple()) == expected


# --- replay ---------------------------------------------------------------------------------


def test_submit__surface_signature_replayed_with_other_expiry__rejected(
    oracle, relay, pusher, expiries
):
    signed = surface_report(expiries[0])
    signature = relay.sign(signed, pusher)
    replayed = replace(signed, expiry=expiries[1])
    accepted, reasons = relay.submit_signed([replayed], [signature])
    assert (accepted, reasons) == (0, ["unknown signer"])
    assert oracle.surface(ETH, expiries[1]).observed_at == 0


def test_submit__signature_for_other_chain_id__rejected(oracle, relay, pusher):
    report = spot_report(ETH_SPOT)
    signature = relay.sign(report, pusher, chain_id=relay.chain_id + 1)
    assert relay.submit_signed([report], [signature]) == (0, ["unknown signer"])


def test_submit__signature_for_other_oracle_deployment__rejected(
    oracle, oracle_deployer, relay, pusher, governance
):
    with boa.env.prank(governance):
        other = oracle_deployer.deploy()
        gov(other).add_signer(pusher.address)
        gov(other).add_feed(ETH, 3_600, 2_000, 2 * 10**17, "ETH / USD")
    report = spot_report(ETH_SPOT)
    for_other = relay.sign(report, pusher, contract=other.address)
    assert relay.submit_signed([report], [for_other]) == (0, ["unknown signer"])
    # ... while the same signature is good on the deployment it was made for.
    with boa.env.prank(relay.relayer):
        assert other.submit([report.as_tuple()], [for_other]) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"price": ETH_SPOT + 1},
        {"observed_at": -1},
        {"a": 1},
        {"b": 1},
        {"rho": 1},
        {"m": 1},
        {"sigma": 1},
    ],
    ids=["price", "observed_at", "a", "b", "rho", "m", "sigma"],
)
def test_submit__any_signed_field_changed__rejected(relay, pusher, expiries, tamper):
    signed = surface_report(expiries[0], b=WAD // 10, sigma=WAD // 10)
    signature = relay.sign(signed, pusher)
    changes = {k: getattr(signed, k) + v for k, v in tamper.items()}
    accepted, reasons = relay.submit_signed([replace(signed, **changes)], [signature])
    assert (accepted, reasons) == (0, ["unknown signer"])


# --- malformed signatures -------------------------------------------------------------------


def test_submit__64_byte_compact_signature__rejected(relay, pusher):
    report = spot_report(ETH_SPOT)
    signature = relay.sign(report, pusher)
    assert relay.submit_signed([report], [signature[:64]]) == (0, ["bad signature length"])


def test_submit__high_s_twin_of_valid_signature__rejected_malleable(oracle, relay, pusher):
    report = spot_report(ETH_SPOT)
    signature = relay.sign(report, pusher)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    assert relay.submit_signed([report], [twin]) == (0, ["malleable signature"])
    assert oracle.spot(ETH).observed_at == 0


@pytest.mark.parametrize("v", [0, 1, 29])
def test_submit__recovery_id_not_27_or_28__rejected(relay, pusher, v):
    report = spot_report(ETH_SPOT)
    signature = relay.sign(report, pusher)
    bad = signature[:64] + bytes([v])
    assert relay.submit_signed([report], [bad]) == (0, ["bad signature v"])


def test_submit__unrecoverable_signature__rejected(relay):
    report = spot_report(ETH_SPOT)
    garbage = b"\x00" * 64 + bytes([27])
    assert relay.submit_signed([report], [garbage]) == (0, ["bad signature"])
