"""NASA C-MAPSS run-to-failure engines as a site's export in the generic format.

A foreign dataset, converted as a site would convert its own history: each asset runs one
engine until it fails, is repaired (the engine replaced) a few hours later and runs the
next; a cycle lasts ``cycle_h`` hours, held at 10-minute samples; assets start at staggered
times, so failures fall all through the span. The sensors that never change in the chosen
engines are left out (they carry nothing); the failure mode is the data set's one (HPC
degradation). Engines are split between sites by number, so a donor "site" and the new one
never share an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from models.cmapss import Runs

ASSET_CLASS = "turbofan"
MODE = "hpc_degradation"
START = 1_767_225_600  # 2026-01-01T00:00:00Z
REPAIR_H = 8.0
STEP_S = 600
UTC_SECONDS = pa.timestamp("s", tz="UTC")

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Converted:
    """What a conversion wrote."""

    assets: int
    engines: int
    signals: list[str]
    readings: int
    days: float


def convert(
    runs: Runs,
    out: Path,
    engines: list[int],
    per_asset: int = 2,
    cycle_h: float = 4.0,
    seed: int = 0,
) -> Converted:
    """Write ``engines`` of ``runs`` as telemetry, events and assets Parquet files in ``out``,
    ``per_asset`` engines one after another on each asset."""
    chosen = [u for u in engines if u in set(runs.unit.tolist())]
    if not chosen:
        raise ValueError("none of the engines named are in the file")
    mine = np.isin(runs.unit, chosen)
    varies = np.ptp(runs.sensors[mine], axis=0) > 1e-9
    signals = [f"s{j + 1}" for j in np.flatnonzero(varies)]
    rng = np.random.default_rng(seed)
    cycle_s, repeat = int(cycle_h * 3600), int(cycle_h * 3600) // STEP_S
    n_assets = -(-len(chosen) // per_asset)
    tel: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in ("a", "s", "t", "v")}
    events: list[tuple[str, str, str, int]] = []
    end = START
    for a in range(n_assets):
        asset = f"engine-bay-{a + 1:02d}"
        t = START + int(rng.integers(0, 20)) * 86_400  # staggered starts
        for unit in chosen[a::n_assets]:
            rows = runs.unit == unit
            values = runs.sensors[rows][:, varies]
            times = t + np.arange(len(values) * repeat, dtype=np.int64) * STEP_S
            held = np.repeat(values, repeat, axis=0)
            for j, name in enumerate(signals):
                tel["a"].append(np.full(len(times), asset, dtype=object))
                tel["s"].append(np.full(len(times), name, dtype=object))
                tel["t"].append(times)
                tel["v"].append(held[:, j])
            failed = t + len(values) * cycle_s
            events.append((asset, "failure", MODE, failed))
            events.append((asset, "maintenance", "engine replaced", failed + int(REPAIR_H * 3600)))
            t = failed + int(REPAIR_H * 3600)
        end = max(end, t)
    out.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "asset": pa.array(np.concatenate(tel["a"]), pa.string()),
            "signal": pa.array(np.concatenate(tel["s"]), pa.string()),
            "ts": pa.array(np.concatenate(tel["t"]), UTC_SECONDS),
            "value": pa.array(np.concatenate(tel["v"]).astype(np.float64)),
        }
    )
    pq.write_table(table, out / "telemetry.parquet")
    a_, k_, m_, ts_ = zip(*events, strict=True)
    pq.write_table(
        pa.table(
            {
                "asset": list(a_),
                "kind": list(k_),
                "mode": list(m_),
                "ts": pa.array(np.array(ts_, dtype=np.int64), UTC_SECONDS),
            }
        ),
        out / "events.parquet",
    )
    names = sorted({e[0] for e in events})
    pq.write_table(
        pa.table({"asset": names, "asset_class": [ASSET_CLASS] * len(names)}),
        out / "assets.parquet",
    )
    return Converted(len(names), len(chosen), signals, table.num_rows, (end - START) / 86_400)


def engine_range(spec: str) -> list[int]:
    """Engine numbers from "1-60" or "1,4,9" or a mix."""
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out
