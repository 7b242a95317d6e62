"""Pure encoding and decoding of Modbus register values for every data type and word order."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence

from kernel.profiles import DataType, Point, WordOrder

_STRUCT = {
    DataType.INT16: struct.Struct(">h"),
    DataType.UINT16: struct.Struct(">H"),
    DataType.INT32: struct.Struct(">i"),
    DataType.UINT32: struct.Struct(">I"),
    DataType.INT64: struct.Struct(">q"),
    DataType.UINT64: struct.Struct(">Q"),
    DataType.FLOAT32: struct.Struct(">f"),
    DataType.FLOAT64: struct.Struct(">d"),
}
_INT_RANGE = {
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.UINT16: (0, 2**16 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.UINT32: (0, 2**32 - 1),
    DataType.INT64: (-(2**63), 2**63 - 1),
    DataType.UINT64: (0, 2**64 - 1),
}
_FLOAT_TYPES = (DataType.FLOAT32, DataType.FLOAT64)


class DecodeError(ValueError):
    """Registers that cannot be turned into a value (short read, bad encoding)."""


def reorder(data: bytes, order: WordOrder) -> bytes:
    """Convert big-endian bytes to ``order`` (each reordering is its own inverse)."""
    if order is WordOrder.ABCD:
        return data
    if order is WordOrder.DCBA:
        return data[::-1]
    pairs = [data[i : i + 2] for i in range(0, len(data), 2)]
    if order is WordOrder.CDAB:
        return b"".join(reversed(pairs))
    return b"".join(p[::-1] for p in pairs)  # BADC


def _to_registers(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _from_registers(registers: Sequence[int]) -> bytes:
    try:
        return b"".join(int(r).to_bytes(2, "big") for r in registers)
    except OverflowError as exc:
        raise DecodeError(f"register value out of 0..65535 in {list(registers)}") from exc


_ONE_WORD = (DataType.INT16, DataType.UINT16)


def _decode_word(point: Point, raw: int, order: WordOrder) -> float | None:
    # The common 16-bit case without building bytes: most plant-room registers are this.
    if not 0 <= raw <= 0xFFFF:
        raise DecodeError(f"register value out of 0..65535 in [{raw}]")
    if order in (WordOrder.BADC, WordOrder.DCBA):
        raw = ((raw & 0xFF) << 8) | (raw >> 8)
    if point.type is DataType.INT16 and raw > 0x7FFF:
        raw -= 0x10000
    if point.nodata is not None and raw == point.nodata:
        return None
    return raw * point.scale + point.offset


def raw_of(point: Point, value: float) -> int | float:
    """The raw number a device stores for an engineering ``value``, saturated to the type."""
    raw = (value - point.offset) / point.scale
    if point.type in _FLOAT_TYPES:
        return raw
    lo, hi = _INT_RANGE[point.type]
    if math.isnan(raw):
        return point.nodata if point.nodata is not None else 0
    return max(lo, min(hi, round(raw)))


def encode(point: Point, value: float | str | bool | None, order: WordOrder) -> list[int]:
    """Registers that hold ``value`` for a register-table point (bits: one 0/1 per bit)."""
    if point.type is DataType.BOOL:
        return [1 if value else 0]
    if point.type is DataType.STRING:
        assert point.length is not None
        data = str(value or "").encode("ascii", "replace")[: point.length * 2]
        return _to_registers(reorder(data.ljust(point.length * 2, b"\0"), _pairwise(order)))
    number = math.nan if value is None else float(value)
    raw = raw_of(point, number)
    if point.type not in _FLOAT_TYPES and math.isnan(number) and point.nodata is not None:
        raw = point.nodata
    return _to_registers(reorder(_STRUCT[point.type].pack(raw), order))


def _pairwise(order: WordOrder) -> WordOrder:
    # Strings are a sequence of 2-byte words: only the byte order inside a word applies.
    return WordOrder.BADC if order in (WordOrder.BADC, WordOrder.DCBA) else WordOrder.ABCD


def decode(point: Point, registers: Sequence[int], order: WordOrder) -> float | str | bool | None:
    """Engineering value of a point from its registers; None when the device sent ``nodata``."""
    if len(registers) < point.words:
        raise DecodeError(f"{point.name}: need {point.words} registers, got {len(registers)}")
    if point.type in _ONE_WORD and point.bit is None:
        return _decode_word(point, int(registers[0]), order)
    regs = registers[: point.words]
    if point.type is DataType.BOOL:
        if point.bit is not None:
            return bool((int(regs[0]) >> point.bit) & 1)
        return bool(regs[0])
    data = reorder(
        _from_registers(regs), order if point.type is not DataType.STRING else _pairwise(order)
    )
    if point.type is DataType.STRING:
        return data.rstrip(b"\0").decode("ascii", "replace")
    (raw,) = _STRUCT[point.type].unpack(data)
    if point.nodata is not None and raw == point.nodata:
        return None
    if point.type in _FLOAT_TYPES and math.isnan(raw):
        return None
    return float(raw) * point.scale + point.offset


Decoder = Callable[[Sequence[int]], float | str | bool | None]


def compile_decoder(point: Point, order: WordOrder) -> Decoder:
    """A decoder for one point with its type, order and scaling resolved once.

    Equivalent to ``decode(point, regs, order)``; the 16-bit case (most registers) skips
    every per-call lookup, which matters at tens of thousands of values per second.
    """
    if point.type in _ONE_WORD and point.bit is None:
        swap = order in (WordOrder.BADC, WordOrder.DCBA)
        signed = point.type is DataType.INT16
        scale, offset, nodata = point.scale, point.offset, point.nodata

        def word(regs: Sequence[int]) -> float | None:
            raw = regs[0]
            if not 0 <= raw <= 0xFFFF:
                raise DecodeError(f"register value out of 0..65535 in [{raw}]")
            if swap:
                raw = ((raw & 0xFF) << 8) | (raw >> 8)
            if signed and raw > 0x7FFF:
                raw -= 0x10000
            if raw == nodata:
                return None
            return raw * scale + offset

        return word
    return lambda regs: decode(point, regs, order)
