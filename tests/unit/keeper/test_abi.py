"""keeper.abi: stored ABIs match the interfaces; topics, encoding and decoding round-trip."""

from __future__ import annotations

import dataclasses

import pytest
from eth_utils import keccak

from keeper import abi
from ringfence import abis, chain_types


@pytest.mark.parametrize("name", abis.INTERFACES)
def test_stored_abi__equals_the_compiled_interface(name):
    """Fails when contracts/interfaces changed: run `python -m ringfence.abis` to refresh."""
    assert list(abis.load_abi(name)) == abis.compile_abi(name)


def test_keeper_interfaces__all_stored():
    assert set(abi.INTERFACES) <= set(abis.INTERFACES)


def test_oracle_abi__covers_every_function_of_the_deployed_oracle():
    # the pusher reads IRingfenceOracle's stored ABI instead of compiling Oracle.vy: every
    # external of the contract it talks to must be in it (Oracle.vy `implements:` it, so
    # the interface cannot promise more than the contract has)
    from oracle.contract import ORACLE_SOURCE
    from ringfence.compiler import compile_contract

    deployed = {
        f["name"] for f in compile_contract(ORACLE_SOURCE)["abi"] if f["type"] == "function"
    }
    stored = {f["name"] for f in abis.load_abi("IRingfenceOracle") if f["type"] == "function"}
    assert deployed - stored <= {"SURFACE_CHECKER", "eip712Domain"}


def test_event__struct_argument__signature_expands_the_tuple():
    risk = abi.event("RiskParamsSet", "IRegistry")
    assert risk.signature == (
        "RiskParamsSet(bytes32,(uint256,uint256,uint256,uint256,uint256,uint256,uint256,"
        "uint256,uint256,uint256,uint256,uint256,int256,uint256))"
    )
    assert risk.topic0 == "0x" + keccak(text=risk.signature).hex()


def test_abi_type__struct_array__expanded_with_brackets():
    param = {
        "type": "tuple[]",
        "components": [{"name": "a", "type": "uint256"}, {"name": "b", "type": "int256"}],
    }
    assert abi.abi_type(param) == "(uint256,int256)[]"


def test_decode_log__encoded_event__round_trips_indexed_and_data_fields():
    args = {
        "position_id": 7,
        "owner": "0x" + "ab" * 20,
        "liquidator": "0x" + "cd" * 20,
        "fraction": 3 * 10**17,
        "pnl": -(10**18),
        "reward": 5,
        "insurance_fee": 6,
        "returned": 0,
        "shortfall": 0,
    }
    topics, data = abi.event("PositionLiquidated").encode_log(args)
    log = {"topics": topics, "data": data, "blockNumber": "0x10", "blockHash": "0x00",
           "logIndex": "0x2", "transactionHash": "0x01"}  # fmt: skip

    decoded = abi.decode_log(log)

    assert decoded is not None and decoded.name == "PositionLiquidated"
    assert decoded.args == args
    assert (decoded.block_number, decoded.log_index, decoded.removed) == (16, 2, False)


def test_decode_log__foreign_topic__ignored():
    log = {"topics": ["0x" + "11" * 32], "data": "0x", "blockNumber": "0x1", "blockHash": "0x0",
           "logIndex": "0x0"}  # fmt: skip
    assert abi.decode_log(log) is None


def test_encode_call__health_many_of_the_view__selector_and_result_decoding():
    data = abi.encode_call("IClearingHouseView", "health_many", [[1, 2]])
    assert data[:10] == "0x" + keccak(text="health_many(uint256[])")[:4].hex()
    from eth_abi import encode

    raw = encode(["(bool,int256,uint256,uint256)[]"], [[(True, -1, 2, 3), (False, 0, 0, 0)]])
    rows = abi.decode_result("IClearingHouseView", "health_many", raw)
    assert rows == [
        {"ok": True, "equity": -1, "initial": 2, "maintenance": 3},
        {"ok": False, "equity": 0, "initial": 0, "maintenance": 0},
    ]


def test_keeper_calls__on_the_contract_that_has_them():
    """health_many moved to the view; the transactions and SCALE stay on the clearing house."""
    with pytest.raises(KeyError, match="no function health_many"):
        abi.encode_call("IClearingHouse", "health_many", [[1]])
    for name in ("liquidate_many", "settle_many"):
        assert abi.encode_call("IClearingHouse", name, [[1]])[:10] == (
            "0x" + keccak(text=f"{name}(uint256[])")[:4].hex()
        )
    assert abi.encode_call("IClearingHouse", "SCALE", []) == "0x" + keccak(text="SCALE()")[:4].hex()


def test_event__bare_name__found_in_the_interface_that_declares_it():
    assert abi.interface_of("SeriesListed") == "IRegistry"
    assert abi.interface_of("VaultState") == "IClearingHouse"
    assert abi.event("SeriesListed") == abi.event("SeriesListed", "IRegistry")
    assert abi.event("VaultState").signature == "VaultState(uint256,uint256,int256[4])"
    with pytest.raises(KeyError, match="no interface"):
        abi.interface_of("CollateralChanged")  # gone: VaultState carries the result


def test_decode_log__registry_event__only_with_the_registry_interface():
    args = {"series_id": 3, "oi_cap": 5 * 10**18}
    topics, data = abi.event("SeriesCapSet").encode_log(args)
    log = {"topics": topics, "data": data, "blockNumber": "0x1", "blockHash": "0x0",
           "logIndex": "0x0"}  # fmt: skip

    assert abi.decode_log(log) is None  # the clearing house declares no SeriesCapSet
    decoded = abi.decode_log(log, "IRegistry")
    assert decoded is not None and decoded.args == args


def test_decode_log__vault_state__sizes_as_a_list_of_four():
    args = {"position_id": 4, "collateral": 7, "sizes": [-5, 6, 0, 0]}
    topics, data = abi.event("VaultState").encode_log(args)
    log = {"topics": topics, "data": data, "blockNumber": "0x1", "blockHash": "0x0",
           "logIndex": "0x0"}  # fmt: skip

    decoded = abi.decode_log(log)

    assert decoded is not None and decoded.args == args


def _fields(cls):
    return [f.name for f in dataclasses.fields(cls)]


def _components(interface, function):
    (fn,) = [f for f in abis.load_abi(interface) if f.get("name") == function]
    return [c["name"] for c in fn["outputs"][0]["components"]]


def _event_inputs(interface, event):
    (ev,) = [f for f in abis.load_abi(interface) if f.get("name") == event]
    return [i["name"] for i in ev["inputs"]]


def test_chain_types__one_definition_each__match_the_abis():
    # ringfence.chain_types is the one Python definition of the protocol's structs
    assert _fields(chain_types.RiskParams) == _components("IRegistry", "risk_params")
    assert tuple(_components("IRegistry", "risk_params")) == chain_types.RISK_KEYS
    assert _fields(chain_types.Series) == _event_inputs("IRegistry", "SeriesListed")
    assert _fields(chain_types.Leg) == _event_inputs("IClearingHouse", "LegOpened")[1:]
    view = _components("IClearingHouseView", "position")
    assert [f for f in _fields(chain_types.Position) if f != "position_id"] == view
    # and the others are that definition, not copies
    from keeper import index
    from ringfence import deploy_config

    assert deploy_config.RiskConfig is chain_types.RiskParams
    assert deploy_config.RISK_KEYS is chain_types.RISK_KEYS
    assert (index.RiskParams, index.Series, index.Leg, index.Position) == (
        chain_types.RiskParams,
        chain_types.Series,
        chain_types.Leg,
        chain_types.Position,
    )
