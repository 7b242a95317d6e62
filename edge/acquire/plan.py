"""Read coalescing: the fewest requests that cover a device's points (a pure function)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kernel.profiles import DeviceProfile, Point, Table
from kernel.register_codec import DecodeError, Decoder, compile_decoder, decode


@dataclass(frozen=True)
class ReadRequest:
    """One Modbus read and the points it serves."""

    table: Table
    address: int
    count: int
    points: tuple[Point, ...]
    decoders: tuple[tuple[int, int, Decoder], ...] = ()  # (first, end) offsets and decoder

    def describe(self) -> str:
        """Human-readable, for `plantwatch gateway check`."""
        last = self.address + self.count - 1
        unit = "bits" if self.table.is_bit else "registers"
        names = ", ".join(p.name for p in self.points)
        return f"{self.table.value:8s} {self.address:5d}-{last:<5d} ({self.count} {unit}): {names}"


def plan_requests(
    profile: DeviceProfile,
    max_registers: int | None = None,
    gap_fill: int = 8,
    one_per_point: bool = False,
) -> list[ReadRequest]:
    """Group adjacent points of each table into requests.

    Points closer than ``gap_fill`` unused addresses share a request, up to the device's
    maximum request size (125 registers or 2000 bits by default).
    """
    out: list[ReadRequest] = []
    for table in Table:
        points = sorted(
            (p for p in profile.points if p.table is table), key=lambda p: (p.address, p.bit or 0)
        )
        limit = (
            profile.max_bits_per_read
            if table.is_bit
            else (max_registers or profile.max_registers_per_read)
        )
        block: list[Point] = []
        start = end = 0
        for p in points:
            fits = (
                block
                and not one_per_point
                and p.address - end <= gap_fill
                and max(end, p.end) - start <= limit
            )
            if fits:
                block.append(p)
                end = max(end, p.end)
                continue
            if block:
                out.append(ReadRequest(table, start, end - start, tuple(block)))
            block, start, end = [p], p.address, p.end
        if block:
            out.append(ReadRequest(table, start, end - start, tuple(block)))
    return [_compiled(profile, r) for r in out]


def _compiled(profile: DeviceProfile, r: ReadRequest) -> ReadRequest:
    if r.table.is_bit:
        return r
    decoders = tuple(
        (p.address - r.address, p.end - r.address, compile_decoder(p, profile.order_of(p)))
        for p in r.points
    )
    return ReadRequest(r.table, r.address, r.count, r.points, decoders)


def decode_block(
    profile: DeviceProfile, request: ReadRequest, words: Sequence[int] | Sequence[bool]
) -> list[tuple[Point, float | str | bool | None]]:
    """Values of the request's points from the registers or bits it returned.

    Raises DecodeError on a short read.
    """
    if len(words) < request.count:
        raise DecodeError(f"short read: asked {request.count}, got {len(words)}")
    start = request.address
    if request.table.is_bit:
        return [(p, bool(words[p.address - start])) for p in request.points]
    if request.decoders:
        return [
            (p, dec(words[a:b]))
            for p, (a, b, dec) in zip(request.points, request.decoders, strict=True)
        ]
    return [
        (p, decode(p, words[p.address - start : p.end - start], profile.order_of(p)))
        for p in request.points
    ]


class Plans:
    """Request plans shared by every device of a profile: compiled decoders cost memory."""

    def __init__(self) -> None:
        # Keyed by identity; the entry keeps its profile alive, so an id is never reused.
        self._by: dict[tuple[int, int | None, int, bool], tuple[DeviceProfile, list[ReadRequest]]]
        self._by = {}

    def get(
        self,
        profile: DeviceProfile,
        max_registers: int | None = None,
        gap_fill: int = 8,
        one_per_point: bool = False,
    ) -> list[ReadRequest]:
        """The plan for these options, computed once."""
        key = (id(profile), max_registers, gap_fill, one_per_point)
        hit = self._by.get(key)
        if hit is None:
            hit = self._by[key] = (
                profile,
                plan_requests(profile, max_registers, gap_fill, one_per_point),
            )
        return hit[1]
