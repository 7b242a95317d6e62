"""BACnet read planning, decoding, profiles and config: the pure parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.acquire.bacnet_plan import (
    DeviceLimits,
    objects_per_request,
    plan_batches,
    present_value,
    status_quality,
)
from edge.bacnet_config import BacnetNetwork
from kernel.bacnet_profiles import BacnetPoint, BacnetProfile, load_bacnet_profiles
from kernel.contract import Quality
from kernel.profiles import load_profiles

PROFILES = Path(__file__).resolve().parents[3] / "gateway_config" / "profiles"


def test_objects_per_request_follow_the_device_limits() -> None:
    assert objects_per_request(DeviceLimits(50, False, 1)) == 1
    assert objects_per_request(DeviceLimits(480, False, 1)) == 20
    assert objects_per_request(DeviceLimits(1476, False, 1)) == 63
    # A segmenting device may send more, up to a bound that keeps answers prompt.
    assert objects_per_request(DeviceLimits(1476, True, 4)) == 100
    assert objects_per_request(DeviceLimits(480, False, 1), override=7) == 7


def test_batches_keep_profile_order_and_cover_every_object() -> None:
    points = [BacnetPoint(name=f"p{i}", object=f"analog-input:{i}") for i in range(7)]
    batches = plan_batches(points, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [p for b in batches for p in b] == points


def test_status_flags_become_quality_flags() -> None:
    assert status_quality([0, 0, 0, 0]) == Quality.GOOD
    assert status_quality([1, 0, 0, 0]) == Quality.GOOD  # in alarm: the equipment, not the value
    assert status_quality([0, 1, 1, 1]) == (
        Quality.DEVICE_FAULT | Quality.OVERRIDDEN | Quality.OUT_OF_SERVICE
    )
    assert status_quality("error: unknown-property") == Quality.GOOD
    assert status_quality(None) == Quality.GOOD


def test_present_values_as_floats() -> None:
    assert present_value(21.5) == 21.5
    assert present_value(True) == 1.0
    assert present_value(3) == 3.0  # a multi-state value
    assert present_value("error: unknown-object") is None
    assert present_value(None) is None


def test_an_object_is_a_type_and_an_instance() -> None:
    p = BacnetPoint(name="t", object="analog-input:3", unit="degC")
    assert (p.object_type.value, p.instance, p.bacnet_units) == (
        "analog-input",
        3,
        "degrees-celsius",
    )
    assert BacnetPoint(name="b", object="binary-input:1", unit="degC").bacnet_units is None
    for bad in ("analog-input", "analog-in:3", "analog-input:x", "analog-input:4194304"):
        with pytest.raises(ValidationError):
            BacnetPoint(name="t", object=bad)


def test_a_profile_names_each_object_once() -> None:
    with pytest.raises(ValidationError, match="duplicate objects: analog-input:1"):
        BacnetProfile(
            protocol="bacnet",
            model="m",
            manufacturer="x",
            objects=[
                BacnetPoint(name="a", object="analog-input:1"),
                BacnetPoint(name="b", object="analog-input:1"),
            ],
        )


def test_modbus_and_bacnet_profiles_share_a_directory() -> None:
    bacnet = load_bacnet_profiles(PROFILES)
    modbus = load_profiles(PROFILES)
    assert "chillmax-cx500-bacnet" in bacnet and "chillmax-cx500-bacnet" not in modbus
    assert "chillmax-cx500" in modbus


def _net(**kw: object) -> BacnetNetwork:
    doc: dict[str, object] = {
        "name": "n",
        "local_address": "127.0.0.1:0",
        "device_instance": 1,
        "devices": [{"asset": "a", "profile": "p", "instance": 2, "address": "10.0.0.5:47808"}],
    }
    doc.update(kw)
    return BacnetNetwork.model_validate(doc)


def test_network_config_checks_addresses_and_instances() -> None:
    assert _net().devices[0].address == "10.0.0.5:47808"
    with pytest.raises(ValidationError, match="IPv4"):
        _net(local_address="plant-room:47808")
    with pytest.raises(ValidationError, match="also a device's"):
        _net(device_instance=2)
    # Without an address a device is found by broadcast: that needs a prefix or a BBMD.
    unplaced = [{"asset": "a", "profile": "p", "instance": 2}]
    with pytest.raises(ValidationError, match="Who-Is broadcast"):
        _net(devices=unplaced)
    assert _net(devices=unplaced, local_address="10.0.0.2/24:47808").devices[0].address is None
    assert _net(devices=unplaced, foreign={"bbmd": "10.9.0.1:47808"}).foreign is not None
