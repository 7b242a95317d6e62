"""The generic data any site can produce: telemetry and events, from Parquet or CSV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from models.telemetry import DataError, Telemetry, epoch_seconds

TELEMETRY_COLUMNS = ("asset", "signal", "ts", "value")
__all__ = ["DataError", "Dataset", "Telemetry", "load_dataset"]
EVENT_COLUMNS = ("asset", "kind", "mode", "ts")
# verdict (what a technician found on a predicted order) and dismissal are kept for the record
EVENT_KINDS = {"failure", "maintenance", "precursor_onset", "sensor_fault", "verdict", "dismissal"}


@dataclass(frozen=True)
class Dataset:
    """Telemetry in long format and the event log, as Arrow tables with epoch-second times."""

    telemetry: Telemetry  # asset, signal, ts (epoch s), value; read batch by batch
    events: pa.Table  # asset, kind, mode, ts (int64 s)
    asset_classes: dict[str, str]
    # asset, ts (int64 s), lead_h: per failure, an ideal detector's lead (simulated data only)
    ideal_leads: pa.Table | None = None

    def ideal_lead_h(self, asset: str, failures: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The ideal detector's lead on each of ``failures`` of ``asset`` (NaN where none)."""
        out = np.full(len(failures), np.nan)
        if self.ideal_leads is None or len(failures) == 0:
            return out
        mine = self.ideal_leads.filter(pc.equal(self.ideal_leads.column("asset"), asset))
        known = dict(
            zip(
                mine.column("ts").to_pylist(),
                mine.column("lead_h").to_pylist(),
                strict=True,
            )
        )
        for i, f in enumerate(failures.tolist()):
            lead = known.get(f)
            if lead is not None:
                out[i] = lead
        return out

    @property
    def assets(self) -> list[str]:
        """Every asset with telemetry, sorted."""
        return self.telemetry.assets

    def failures(self) -> pa.Table:
        """Failure events only."""
        return self.events.filter(pc.equal(self.events.column("kind"), "failure"))

    def span(self) -> tuple[int, int]:
        """First and last telemetry instant (epoch s)."""
        return self.telemetry.span

    def series(
        self, asset: str, signal: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Times and values of one signal of one asset, in time order."""
        ts, values = [], []
        for c in self.telemetry.chunks():
            if asset in c.asset_names and signal in c.signal_names:
                mine = (c.asset == c.asset_names.index(asset)) & (
                    c.signal == c.signal_names.index(signal)
                )
                ts.append(c.ts[mine])
                values.append(c.value[mine])
        t = np.concatenate([np.zeros(0, np.int64), *ts])
        order = np.argsort(t, kind="stable")
        return t[order], np.concatenate([np.zeros(0), *values]).astype(np.float64)[order]


def _find(root: Path, word: str) -> Path:
    matches = sorted(
        p for p in root.iterdir() if word in p.name and p.suffix in (".parquet", ".csv")
    )
    if not matches:
        raise DataError(f"{root}: no file whose name contains {word!r} (.parquet or .csv)")
    return matches[0]


def _telemetry_source(path: Path) -> pq.ParquetFile | pa.Table:
    """A Parquet file to read in batches (a CSV file is read whole), columns checked."""
    try:
        source = pq.ParquetFile(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    names = source.schema_arrow.names if isinstance(source, pq.ParquetFile) else source.column_names
    _require(path, names, TELEMETRY_COLUMNS)
    return source


def _read(path: Path) -> pa.Table:
    try:
        return pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc


def _require(path: Path, names: list[str], columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def load_dataset(root: Path) -> Dataset:
    """Load a directory holding ``*telemetry*`` and ``*events*`` files (Parquet or CSV).

    The simulator's export fits as is; a site's own data needs telemetry columns asset,
    signal, ts, value and event columns asset, kind (failure or maintenance), mode, ts, and
    optionally an ``*assets*`` file with asset and asset_class.
    """
    if not root.is_dir():
        raise DataError(f"{root}: not a directory")
    tel_path, ev_path = _find(root, "telemetry"), _find(root, "events")
    ev = _read(ev_path)
    _require(ev_path, ev.column_names, EVENT_COLUMNS)
    telemetry = Telemetry(tel_path, _telemetry_source(tel_path))
    kinds = set(pc.unique(ev.column("kind")).to_pylist())
    unknown = sorted(str(k) for k in kinds - EVENT_KINDS)
    if unknown:
        raise DataError(
            f"{ev_path}: unknown event kind(s) {', '.join(unknown)}; "
            f"expected {', '.join(sorted(EVENT_KINDS))}"
        )
    events = pa.table(
        {
            "asset": pc.cast(ev.column("asset"), pa.string()),
            "kind": pc.cast(ev.column("kind"), pa.string()),
            "mode": pc.fill_null(pc.cast(ev.column("mode"), pa.string()), ""),
            "ts": epoch_seconds(ev_path, ev.column("ts"), "ts"),
        }
    )
    classes: dict[str, str] = {}
    asset_files = [
        p for p in root.iterdir() if "assets" in p.name and p.suffix in (".parquet", ".csv")
    ]
    if asset_files:
        at = _read(asset_files[0])
        _require(asset_files[0], at.column_names, ("asset", "asset_class"))
        classes = dict(
            zip(at.column("asset").to_pylist(), at.column("asset_class").to_pylist(), strict=True)
        )
    return Dataset(telemetry, events, classes, _ideal_leads(root))


def _ideal_leads(root: Path) -> pa.Table | None:
    found = sorted(
        p for p in root.iterdir() if "ideal_leads" in p.name and p.suffix in (".parquet", ".csv")
    )
    if not found:
        return None
    table = _read(found[0])
    _require(found[0], table.column_names, ("asset", "ts", "lead_h"))
    return pa.table(
        {
            "asset": pc.cast(table.column("asset"), pa.string()),
            "ts": epoch_seconds(found[0], table.column("ts"), "ts"),
            "lead_h": pc.cast(table.column("lead_h"), pa.float64()),
        }
    )
