"""Line protocol of a batch: every reading's value, flags and time, read back exactly."""

from __future__ import annotations

import random

from cloud.storage.base import Rows, SeriesTags
from cloud.storage.line_protocol import to_line_protocol
from kernel.contract import Batch, Reading

TAGS = {
    "ch-1": SeriesTags("chiller", "north", "b1", "plant", "ch-1"),
    "ahu-2": SeriesTags("air_handler", "north", "b2", "roof", "ahu-2"),
}


def parse(payload: bytes) -> list[tuple[str, dict[str, str], int]]:
    """(series key, fields, time) of each line."""
    out = []
    for line in payload.decode().splitlines():
        key, fields, ts = line.split(" ")
        out.append((key, dict(f.split("=") for f in fields.split(",")), int(ts)))
    return out


def test_plain_batch_reads_back_value_for_value() -> None:
    rng = random.Random(4)
    values = [0.1, 5.0, -0.0, 1e20, 1e-7, 2.5e-300, 0.30000000000000004]
    values += [rng.uniform(-1e6, 1e6) for _ in range(200)]
    readings = [
        Reading("ch-1" if k % 2 else "ahu-2", f"s{k % 3}", 1_700_000_000_000 + k, v)
        for k, v in enumerate(values)
    ]
    lines = parse(to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", readings))))
    assert len(lines) == len(readings)
    for (key, fields, ts), r in zip(lines, readings, strict=True):
        assert key == (
            "chiller,asset=ch-1,building=b1,room=plant,site=north"
            if r.asset == "ch-1"
            else "air_handler,asset=ahu-2,building=b2,room=roof,site=north"
        )
        assert ts == r.ts_ms
        assert list(fields) == [r.signal]
        assert float(fields[r.signal]) == r.value


def test_flags_and_missing_values() -> None:
    readings = [
        Reading("ch-1", "temp", 1000, 6.5),  # plain
        Reading("ch-1", "temp", 2000, 7.25, 4),  # value and flags
        Reading("ch-1", "temp", 3000, None, 2),  # flags alone
        Reading("ch-1", "temp", 4000, None, 0),  # nothing to store
        Reading("ahu-2", "fan", 5000, 1.0, 0),
    ]
    lines = parse(to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", readings))))
    assert [(f, t) for _, f, t in lines] == [
        ({"temp": "6.5"}, 1000),
        ({"temp": "7.25", "temp_quality": "4i"}, 2000),
        ({"temp_quality": "2i"}, 3000),
        ({"fan": "1"}, 5000),
    ]


def test_missing_values_without_flags_have_no_line() -> None:
    readings = [Reading("ch-1", "temp", 1000, None), Reading("ch-1", "temp", 2000, 3.0)]
    lines = parse(to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", readings))))
    assert [(f, t) for _, f, t in lines] == [({"temp": "3"}, 2000)]


def test_empty_batch_is_no_payload() -> None:
    assert to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", []))) == b""


def test_readings_sharing_instants_in_any_order_keep_their_own_times() -> None:
    rng = random.Random(7)
    instants = [1_700_000_000_000 + 1000 * k for k in range(5)] + [-5000]  # one before 1970
    readings = [
        Reading("ch-1" if k % 2 else "ahu-2", f"s{k % 4}", rng.choice(instants), float(k))
        for k in range(300)
    ]
    readings[7] = readings[7]._replace(value=None)  # a gap among them: no line, no shift
    lines = parse(to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", readings))))
    kept = [r for r in readings if r.value is not None]
    assert [(ts, float(f[r.signal])) for (_, f, ts), r in zip(lines, kept, strict=True)] == [
        (r.ts_ms, r.value) for r in kept
    ]


def test_runs_of_one_instant_and_flagged_readings_keep_their_own_times() -> None:
    readings = [Reading("ch-1", f"s{k}", 7000, float(k)) for k in range(4)]  # one poll
    readings += [Reading("ch-1", "s0", 9000, 1.5, 8), Reading("ch-1", "s1", 9000, None, 2)]
    readings += [Reading("ahu-2", "s0", 7000, 2.0)]  # the first instant again, after others
    lines = parse(to_line_protocol(TAGS, Rows.of(Batch.of("gw", "b1", readings))))
    assert [t for _, _, t in lines] == [7000] * 4 + [9000, 9000, 7000]
    assert lines[4][1] == {"s0": "1.5", "s0_quality": "8i"}
    assert lines[5][1] == {"s1_quality": "2i"}


def test_an_asset_moved_elsewhere_is_written_with_its_new_tags() -> None:
    batch = Batch.of("gw", "b1", [Reading("ch-1", "temp", 1000, 6.5)])
    before = parse(to_line_protocol(TAGS, Rows.of(batch)))
    moved = TAGS | {"ch-1": SeriesTags("chiller", "north", "b9", "basement", "ch-1")}
    after = parse(to_line_protocol(moved, Rows.of(batch)))
    assert before[0][0] == "chiller,asset=ch-1,building=b1,room=plant,site=north"
    assert after[0][0] == "chiller,asset=ch-1,building=b9,room=basement,site=north"
