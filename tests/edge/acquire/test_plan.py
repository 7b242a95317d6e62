import pytest

from edge.acquire.plan import decode_block, plan_requests
from kernel.profiles import DeviceProfile
from kernel.register_codec import DecodeError, encode


def _profile(points: list[dict], **kw: object) -> DeviceProfile:
    return DeviceProfile.model_validate({"model": "m", "manufacturer": "x", "points": points, **kw})


P = [
    {"name": "a", "table": "holding", "address": 0, "type": "float32"},
    {"name": "b", "table": "holding", "address": 2, "type": "int16", "scale": 0.1},
    {"name": "c", "table": "holding", "address": 10, "type": "uint32"},
    {"name": "d", "table": "holding", "address": 200, "type": "uint16"},
    {"name": "s0", "table": "holding", "address": 20, "type": "bool", "bit": 0},
    {"name": "s1", "table": "holding", "address": 20, "type": "bool", "bit": 1},
    {"name": "run", "table": "coil", "address": 0, "type": "bool"},
    {"name": "alarm", "table": "coil", "address": 5, "type": "bool"},
]


def test_adjacent_points_share_a_request_within_the_gap() -> None:
    reqs = plan_requests(_profile(P), gap_fill=4)
    spans = [(r.table.value, r.address, r.count) for r in reqs]
    assert spans == [
        ("coil", 0, 6),  # coils 0 and 5 through a gap of 4
        ("holding", 0, 3),
        ("holding", 10, 2),
        ("holding", 20, 1),  # two bits of one status register: one read
        ("holding", 200, 1),
    ]
    assert [p.name for p in reqs[3].points] == ["s0", "s1"]
    assert len(plan_requests(_profile(P), gap_fill=8)) == 3  # holding 0-20 becomes one read


def test_max_registers_and_one_request_per_point() -> None:
    assert len(plan_requests(_profile(P), max_registers=2, gap_fill=100)) > 4
    per_point = plan_requests(_profile(P), one_per_point=True)
    assert len(per_point) == len(P)
    big = [
        {"name": f"p{i}", "table": "input", "address": i * 2, "type": "float32"} for i in range(100)
    ]
    reqs = plan_requests(_profile(big))
    assert [r.count for r in reqs] == [124, 76]  # 125 max, float32 never split


def test_decode_block_and_short_reads() -> None:
    prof = _profile(P)
    req = plan_requests(prof, gap_fill=4)[1]  # holding 0..2
    regs = encode(prof.points[0], 21.5, prof.order) + encode(prof.points[1], -3.2, prof.order)
    values = dict((p.name, v) for p, v in decode_block(prof, req, regs))
    assert values == {"a": 21.5, "b": pytest.approx(-3.2)}
    with pytest.raises(DecodeError, match="short read"):
        decode_block(prof, req, regs[:2])
