"""Offline datasets: telemetry (long format) and the ground-truth event log as Parquet."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulators.engine import Simulation, sample_times
from simulators.fleet import Asset
from simulators.lead_bound import ideal_leads, precursors

TELEMETRY_SCHEMA = pa.schema(
    [
        ("asset", pa.dictionary(pa.int32(), pa.string())),
        ("signal", pa.dictionary(pa.int32(), pa.string())),
        ("ts", pa.timestamp("s", tz="UTC")),
        ("value", pa.float64()),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        ("asset", pa.string()),
        ("kind", pa.string()),
        ("ts", pa.timestamp("s", tz="UTC")),
        ("end", pa.timestamp("s", tz="UTC")),
        ("mode", pa.string()),
        ("signal", pa.string()),
        ("detail", pa.string()),
        ("magnitude", pa.float64()),
    ]
)
# Per failure with a precursor, the lead of the ideal detector from a fault size of 0.1
# (simulators/lead_bound.py): what `model evaluate` measures a model's lead against.
IDEAL_LEADS_SCHEMA = pa.schema(
    [
        ("asset", pa.string()),
        ("ts", pa.timestamp("s", tz="UTC")),
        ("lead_h", pa.float64()),
    ]
)
ASSETS_SCHEMA = pa.schema(
    [
        ("asset", pa.string()),
        ("asset_class", pa.string()),
        ("site", pa.string()),
        ("building", pa.string()),
        ("room", pa.string()),
        ("model", pa.string()),
        ("install_date", pa.date32()),
    ]
)

_INTERVAL = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_interval(text: str) -> int:
    """Seconds in an interval such as ``10m``, ``30s``, ``1h``."""
    m = _INTERVAL.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ValueError(
            f"interval {text!r}: expected a positive number and s, m, h or d, like 10m"
        )
    return int(m.group(1)) * _UNIT_S[m.group(2)]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    telemetry: Path
    events: Path
    assets: Path
    rows: int
    event_rows: int
    ideal_leads: Path


def _telemetry_table(sim: Simulation, asset: Asset, t: np.ndarray) -> pa.Table:
    values = sim.readings(asset, t)
    names = list(values)
    n = t.size
    signal_idx = np.repeat(np.arange(len(names), dtype=np.int32), n)
    asset_idx = np.zeros(n * len(names), dtype=np.int32)
    return pa.table(
        {
            "asset": pa.DictionaryArray.from_arrays(asset_idx, pa.array([asset.id])),
            "signal": pa.DictionaryArray.from_arrays(signal_idx, pa.array(names)),
            "ts": pa.array(np.tile(t, len(names)), type=pa.timestamp("s", tz="UTC")),
            "value": pa.array(np.concatenate([values[s] for s in names])),
        },
        schema=TELEMETRY_SCHEMA,
    )


def export(
    sim: Simulation,
    out: Path,
    interval_s: int,
    on_asset: Callable[[], None] | None = None,
) -> ExportResult:
    """Write telemetry, events and the asset list of the whole fleet into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    telemetry_path = out / "telemetry.parquet"
    events_path = out / "events.parquet"
    assets_path = out / "assets.parquet"
    t = sample_times(sim.start, sim.end, interval_s)
    rows = 0
    # Computing the next asset overlaps with compressing the previous one (Arrow drops the GIL).
    with (
        pq.ParquetWriter(telemetry_path, TELEMETRY_SCHEMA, compression="zstd") as writer,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending = None
        for asset in sim.assets:
            table = _telemetry_table(sim, asset, t)
            if pending is not None:
                pending.result()
                if on_asset:
                    on_asset()
            pending = pool.submit(writer.write_table, table)
            rows += table.num_rows
        if pending is not None:
            pending.result()
            if on_asset:
                on_asset()
    events = [asdict(e) for a in sim.assets for e in sim.events(a)]
    pq.write_table(pa.Table.from_pylist(events, schema=EVENTS_SCHEMA), events_path)
    assets = [
        {
            "asset": a.id,
            "asset_class": a.asset_class,
            "site": a.site.id,
            "building": a.building,
            "room": a.room,
            "model": a.equipment.model,
            "install_date": a.install_date,
        }
        for a in sim.assets
    ]
    pq.write_table(pa.Table.from_pylist(assets, schema=ASSETS_SCHEMA), assets_path)
    leads_path = out / "ideal_leads.parquet"
    leads = [
        {"asset": x.asset, "ts": datetime.fromtimestamp(x.failure, UTC), "lead_h": x.lead_h}
        for x in ideal_leads(precursors(sim))
    ]
    pq.write_table(pa.Table.from_pylist(leads, schema=IDEAL_LEADS_SCHEMA), leads_path)
    return ExportResult(telemetry_path, events_path, assets_path, rows, len(events), leads_path)
