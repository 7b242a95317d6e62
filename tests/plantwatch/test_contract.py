from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from plantwatch.contract import CONTRACT_VERSION, Batch, Quality, Reading


def test_reading_round_trips_through_json() -> None:
    r = Reading(
        asset="lib-hvac-1",
        signal="suction_pressure",
        ts=datetime(2025, 1, 1, tzinfo=UTC),
        value=4.2,
        quality=Quality.SPIKE,
    )
    b = Batch.of("gw-1", "b1", [r])
    again = Batch.model_validate_json(b.model_dump_json())
    assert again == b
    assert again.readings() == [r]
    assert again.contract_version == CONTRACT_VERSION


def test_batch_columns_must_agree() -> None:
    with pytest.raises(ValidationError, match="equally long"):
        Batch(
            gateway_id="g",
            batch_id="b",
            series=[("a", "s")],
            index=[0, 0],
            ts=[1],
            value=[1.0],
            quality=[0],
        )
    with pytest.raises(ValidationError, match="refers to series 1"):
        Batch(
            gateway_id="g",
            batch_id="b",
            series=[("a", "s")],
            index=[1],
            ts=[1],
            value=[1.0],
            quality=[0],
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"asset": "Lib HVAC", "signal": "x", "ts": "2025-01-01T00:00:00Z", "value": 1.0},
        {"asset": "a", "signal": "x", "ts": "2025-01-01T00:00:00", "value": 1.0},  # naive time
        {"asset": "a", "signal": "x", "ts": "2025-01-01T00:00:00Z", "value": 1.0, "extra": 1},
        {"asset": "a", "signal": "x", "ts": "2025-01-01T00:00:00Z", "value": "warm"},
    ],
)
def test_bad_readings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Reading.model_validate(bad)


def test_sensor_fault_flags() -> None:
    assert Quality(Quality.STUCK | Quality.ANOMALY).is_sensor_fault
    assert not Quality.COMM_ERROR.is_sensor_fault
