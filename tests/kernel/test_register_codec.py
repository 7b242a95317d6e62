import math

import pytest

from kernel.profiles import DataType, Point, Table, WordOrder
from kernel.register_codec import DecodeError, decode, encode


def pt(type_: DataType, **kw: object) -> Point:
    return Point.model_validate(
        {"name": "p", "table": "holding", "address": 0, "type": type_, **kw}
    )


@pytest.mark.parametrize(
    ("order", "registers"),
    [
        (WordOrder.ABCD, [0x3F80, 0x0000]),
        (WordOrder.CDAB, [0x0000, 0x3F80]),
        (WordOrder.BADC, [0x803F, 0x0000]),
        (WordOrder.DCBA, [0x0000, 0x803F]),
    ],
)
def test_float32_known_vectors(order: WordOrder, registers: list[int]) -> None:
    p = pt(DataType.FLOAT32)
    assert encode(p, 1.0, order) == registers
    assert decode(p, registers, order) == 1.0


def test_int32_word_orders_of_a_known_number() -> None:
    p = pt(DataType.INT32)
    # 0x12345678 -> bytes A=12 B=34 C=56 D=78
    assert encode(p, 0x12345678, WordOrder.ABCD) == [0x1234, 0x5678]
    assert encode(p, 0x12345678, WordOrder.CDAB) == [0x5678, 0x1234]
    assert encode(p, 0x12345678, WordOrder.BADC) == [0x3412, 0x7856]
    assert encode(p, 0x12345678, WordOrder.DCBA) == [0x7856, 0x3412]


@pytest.mark.parametrize("order", list(WordOrder))
@pytest.mark.parametrize(
    ("type_", "value"),
    [
        (DataType.INT16, -1234.0),
        (DataType.UINT16, 65000.0),
        (DataType.INT32, -2_000_000_000.0),
        (DataType.UINT32, 4_000_000_000.0),
        (DataType.INT64, -(2.0**53)),
        (DataType.UINT64, 2.0**60),
        (DataType.FLOAT32, 3.5),
        (DataType.FLOAT64, 1234567.890123),
    ],
)
def test_round_trip_every_type_and_order(type_: DataType, value: float, order: WordOrder) -> None:
    p = pt(type_)
    regs = encode(p, value, order)
    assert len(regs) == p.words
    assert all(0 <= r <= 0xFFFF for r in regs)
    assert decode(p, regs, order) == pytest.approx(value, rel=1e-7)


def test_scale_offset_and_saturation() -> None:
    p = pt(DataType.INT16, scale=0.1, offset=-40.0)
    assert encode(p, 21.5, WordOrder.ABCD) == [615]
    assert decode(p, [615], WordOrder.ABCD) == pytest.approx(21.5)
    # A value beyond the type saturates like a real device's register does.
    assert decode(p, encode(p, 1e9, WordOrder.ABCD), WordOrder.ABCD) == pytest.approx(3236.7)


def test_nodata_and_nan() -> None:
    p = pt(DataType.INT16, nodata=-32768)
    assert encode(p, math.nan, WordOrder.ABCD) == [0x8000]
    assert decode(p, [0x8000], WordOrder.ABCD) is None
    f = pt(DataType.FLOAT32)
    assert decode(f, encode(f, math.nan, WordOrder.CDAB), WordOrder.CDAB) is None


def test_bits_strings_and_short_reads() -> None:
    bit = pt(DataType.BOOL, bit=3)
    assert decode(bit, [0b1000], WordOrder.ABCD) is True
    assert decode(bit, [0b0111], WordOrder.ABCD) is False
    s = pt(DataType.STRING, length=4)
    for order in WordOrder:
        assert decode(s, encode(s, "CX500", order), order) == "CX500"
    assert encode(s, "AB", WordOrder.ABCD) == [0x4142, 0, 0, 0]
    assert encode(s, "AB", WordOrder.BADC) == [0x4241, 0, 0, 0]
    with pytest.raises(DecodeError, match="need 2 registers"):
        decode(pt(DataType.FLOAT32), [1], WordOrder.ABCD)
    with pytest.raises(DecodeError, match=r"out of 0\.\.65535"):
        decode(pt(DataType.UINT32), [70000, 0], WordOrder.ABCD)


def test_point_shape_rules() -> None:
    with pytest.raises(ValueError, match="one bit"):
        Point(name="c", table=Table.COIL, address=0, type=DataType.UINT16)
    with pytest.raises(ValueError, match="needs length"):
        pt(DataType.STRING)
    with pytest.raises(ValueError, match="scale must not be 0"):
        pt(DataType.INT16, scale=0)
