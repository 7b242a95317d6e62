from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from kernel.contract import CONTRACT_VERSION, Batch, Quality, Reading, epoch_ms


def test_reading_round_trips_through_a_batch() -> None:
    r = Reading(
        "lib-hvac-1",
        "suction_pressure",
        epoch_ms(datetime(2025, 1, 1, tzinfo=UTC)),
        4.2,
        Quality.SPIKE,
        7,
    )
    b = Batch.of("gw-1", "b1", [r, r._replace(value=None, quality=Quality.DROPOUT, seq=8)])
    again = Batch.model_validate_json(b.model_dump_json())
    assert again == b
    assert again.readings()[0] == r
    assert again.readings()[0].ts == datetime(2025, 1, 1, tzinfo=UTC)
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


GOOD = {
    "gateway_id": "gw",
    "batch_id": "b",
    "series": [["a", "s"]],
    "index": [0],
    "ts": [1735689600000],
    "value": [1.0],
    "quality": [0],
}


@pytest.mark.parametrize(
    "change",
    [
        {"series": [["Lib HVAC", "s"]]},  # not an identifier
        {"value": [float("nan")]},
        {"quality": [-1]},
        {"ts": ["yesterday"]},
        {"extra": 1},
        {"gateway_id": ""},
    ],
)
def test_bad_batches_are_refused(change: dict[str, object]) -> None:
    Batch.model_validate(GOOD)
    with pytest.raises(ValidationError):
        Batch.model_validate(GOOD | change)


def test_sensor_fault_flags() -> None:
    assert Quality(Quality.STUCK | Quality.ANOMALY).is_sensor_fault
    assert not Quality.COMM_ERROR.is_sensor_fault
