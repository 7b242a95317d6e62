"""Live Modbus TCP servers: each simulated device answers from register images of its state."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from kernel.profiles import Point, Table
from kernel.register_codec import encode
from simulators.deployment import DEVICE_CLOCK, MODEL_NAME, ModbusDevice, point_source


class ClientHungUp(logging.Filter):
    """Drops pymodbus's error for an answer whose client has already closed the connection.

    Clients of a simulator come and go (a gateway stopping mid-request, a probe); pymodbus
    logs each such answer as an error with its last frames appended as hex, which buried
    the demo's closing summary. Every other pymodbus warning and error still shows.
    """

    HUNG_UP = "Cancel send, because not connected!"
    REPEAT = "Repeating...."  # pymodbus's stand-in for its previous message, said again

    def __init__(self) -> None:
        super().__init__()
        self._last_hung_up = False

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the hung-up client's record and its repeats only."""
        msg = record.getMessage()
        if msg.startswith(self.REPEAT):
            return not self._last_hung_up
        self._last_hung_up = msg.startswith(self.HUNG_UP)
        return not self._last_hung_up


logging.getLogger("pymodbus").setLevel(logging.WARNING)
# Logger filters apply where a record is made, and pymodbus makes all of its records here.
logging.getLogger("pymodbus.logging").addFilter(ClientHungUp())

_BLOCK_OF_FC = {1: "c", 5: "c", 15: "c", 2: "d", 4: "i"}  # everything else: holding
_TABLE_KEY = {Table.COIL: "c", Table.DISCRETE: "d", Table.HOLDING: "h", Table.INPUT: "i"}


@dataclass
class ServerStats:
    """Requests answered, for benchmarks and the demo."""

    requests: int = 0


def _size(points: list[Point], table: Table) -> int:
    ends = [p.end for p in points if p.table is table]
    return max(ends, default=0)


def _pack_bits(bits: list[int]) -> list[int]:
    out = []
    for i in range(0, len(bits), 16):
        word = 0
        for b, bit in enumerate(bits[i : i + 16]):
            if bit:
                word |= 1 << b
        out.append(word)
    return out


@dataclass
class DeviceImage:
    """The four register tables of one device, refreshed from its simulated readings."""

    device: ModbusDevice
    tables: dict[str, list[int]] = field(default_factory=dict)
    offline: bool = False  # a dead device: requests get no answer

    def __post_init__(self) -> None:
        points = self.device.profile.points
        for table, key in _TABLE_KEY.items():
            size = _size(points, table)
            if table.is_bit:
                size = max(16, (size + 15) // 16 * 16)
            self.tables[key] = [0] * max(size, 1)

    def value_of(self, point: Point, readings: Mapping[str, float], t: int) -> float | str | None:
        """The value a point shows for ``readings`` at simulated time ``t``."""
        source = point_source(point)
        if source == DEVICE_CLOCK:
            return float(t)
        if source == MODEL_NAME:
            return self.device.profile.model
        value = readings[source]
        return None if math.isnan(value) else value

    def update(self, readings: Mapping[str, float], t: int) -> None:
        """Rewrite every table from ``readings`` (signal -> value) at simulated time ``t``."""
        profile = self.device.profile
        fresh = {k: [0] * len(v) for k, v in self.tables.items()}
        for point in profile.points:
            value = self.value_of(point, readings, t)
            table = fresh[_TABLE_KEY[point.table]]
            if point.table.is_bit:
                table[point.address] = 1 if value else 0
            elif point.bit is not None:
                if value:
                    table[point.address] |= 1 << point.bit
            else:
                table[point.address : point.end] = encode(point, value, profile.order_of(point))
        self.tables = fresh

    def sim_device(self, stats: ServerStats) -> SimDevice:
        """A pymodbus device whose reads are served from this image."""
        blocks = []
        for key in ("c", "d", "h", "i"):
            size = len(self.tables[key])
            if key in "cd":
                blocks.append([SimData(0, count=size, values=False, datatype=SimType.BITS)])
            else:
                blocks.append([SimData(0, count=size, values=0, datatype=SimType.REGISTERS)])
        return SimDevice(
            id=self.device.unit_id,
            simdata=(blocks[0], blocks[1], blocks[2], blocks[3]),
            action=functools.partial(_serve, self, stats),
        )


OFFLINE_SILENCE_S = 30.0


async def _serve(
    image: DeviceImage,
    stats: ServerStats,
    function_code: int,
    _start: int,
    _address: int,
    _count: int,
    registers: list[int],
    set_values: list[int] | list[bool] | None,
) -> ExcCodes | None:
    # Called by pymodbus before it answers a request: copy the current image in.
    if image.offline:
        await asyncio.sleep(OFFLINE_SILENCE_S)  # longer than any client waits
        return ExcCodes.DEVICE_BUSY
    stats.requests += 1
    key = _BLOCK_OF_FC.get(function_code, "h")
    source = _pack_bits(image.tables[key]) if key in "cd" else image.tables[key]
    registers[: len(source)] = source
    return None


def build_server(
    images: list[DeviceImage], host: str, port: int, stats: ServerStats
) -> ModbusTcpServer:
    """A Modbus TCP server for several devices (unit ids) on one port."""
    return ModbusTcpServer([img.sim_device(stats) for img in images], address=(host, port))
