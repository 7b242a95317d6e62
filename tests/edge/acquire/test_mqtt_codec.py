import pytest

from edge.acquire.mqtt_codec import PayloadError, decode, topic_matches
from edge.mqtt_config import Subscription

JSON = Subscription(
    topic="n/+/+/+/telemetry",
    format="json",
    asset_level=3,
    fields=[
        {"signal": "vibration_rms", "path": "vib.rms", "scale": 1.0},
        {"signal": "bearing_temp", "path": "temp"},
    ],
)  # type: ignore[list-item]
PLAIN = Subscription(
    topic="n/+/+/+/+", format="plain", asset_level=3, signal_level=4, timestamp_path=None
)
TOPIC = "n/lib/b1/pump-1/telemetry"


def test_topic_matching() -> None:
    assert topic_matches("n/+/+/+/telemetry", TOPIC)
    assert topic_matches("n/#", TOPIC)
    assert not topic_matches("n/+/+/telemetry", TOPIC)
    assert not topic_matches("x/#", TOPIC)


def test_json_payloads() -> None:
    got = decode(JSON, TOPIC, b'{"ts":"2025-01-01T00:00:00Z","vib":{"rms":1.5},"temp":40}', 0)
    assert [(r.asset, r.signal, r.ts_ms, r.value) for r in got] == [
        ("pump-1", "vibration_rms", 1735689600000, 1.5),
        ("pump-1", "bearing_temp", 1735689600000, 40.0),
    ]
    assert decode(JSON, TOPIC, b'{"ts":1735689600,"temp":1}', 0)[0].ts_ms == 1735689600000
    assert decode(JSON, TOPIC, b'{"temp":1}', 99)[0].ts_ms == 99  # no time: arrival time


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"{oops", "not JSON"),
        (b"[1,2]", "not an object"),
        (b'{"ts":"yesterday","temp":1}', "RFC 3339"),
        (b'{"ts":"2025-01-01T00:00:00","temp":1}', "no time zone"),
        (b'{"temp":"hot"}', "expected a number"),
        (b'{"temp":true}', "expected a number"),
        (b'{"other":1}', "none of the configured fields"),
        (b'{"temp":1e999}', "finite"),
    ],
)
def test_malformed_json_is_explained(payload: bytes, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        decode(JSON, TOPIC, payload, 0)


def test_plain_payloads() -> None:
    [r] = decode(PLAIN, "n/lib/b1/room-1/room_temp", b" 21.5\n", 7)
    assert (r.asset, r.signal, r.ts_ms, r.value) == ("room-1", "room_temp", 7, 21.5)
    for bad in (b"warm", b"nan", b""):
        with pytest.raises(PayloadError):
            decode(PLAIN, "n/lib/b1/room-1/room_temp", bad, 7)
    with pytest.raises(PayloadError, match="no level"):
        decode(PLAIN, "n/lib", b"1", 7)
