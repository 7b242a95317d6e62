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

TELEMETRY_COLUMNS = ("asset", "signal", "ts", "value")
EVENT_COLUMNS = ("asset", "kind", "mode", "ts")
# verdict (what a technician found on a predicted order) and dismissal are kept for the record
EVENT_KINDS = {"failure", "maintenance", "precursor_onset", "sensor_fault", "verdict", "dismissal"}


class DataError(ValueError):
    """A dataset that cannot be used, naming the file and the problem."""


@dataclass(frozen=True)
class Dataset:
    """Telemetry in long format and the event log, as Arrow tables with epoch-second times."""

    telemetry: pa.Table  # asset, signal, ts (int64 s), value (float64)
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
        return sorted(pc.unique(self.telemetry.column("asset")).to_pylist())

    def failures(self) -> pa.Table:
        """Failure events only."""
        return self.events.filter(pc.equal(self.events.column("kind"), "failure"))

    def span(self) -> tuple[int, int]:
        """First and last telemetry instant (epoch s)."""
        ts = self.telemetry.column("ts")
        return int(pc.min(ts).as_py()), int(pc.max(ts).as_py())

    def series(
        self, asset: str, signal: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Times and values of one signal of one asset, in time order."""
        t = self.telemetry
        mask = pc.and_(
            pc.equal(pc.cast(t.column("asset"), pa.string()), asset),
            pc.equal(pc.cast(t.column("signal"), pa.string()), signal),
        )
        sub = t.filter(mask).sort_by("ts")
        return (
            sub.column("ts").to_numpy().astype(np.int64),
            sub.column("value").to_numpy(zero_copy_only=False).astype(np.float64),
        )


def _find(root: Path, word: str) -> Path:
    matches = sorted(
        p for p in root.iterdir() if word in p.name and p.suffix in (".parquet", ".csv")
    )
    if not matches:
        raise DataError(f"{root}: no file whose name contains {word!r} (.parquet or .csv)")
    return matches[0]


def _read(path: Path) -> pa.Table:
    try:
        return pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc


def _times(path: Path, table: pa.Table, column: str) -> pa.Array:
    col = table.column(column)
    if pa.types.is_null(col.type):  # an empty file
        return pa.array([None] * len(col), pa.int64())
    if pa.types.is_timestamp(col.type) and col.type.tz is None:
        raise DataError(
            f"{path}: column {column}: timestamps must be RFC 3339 with a time "
            "zone, e.g. 2025-01-01T00:00:00+00:00"
        )
    if pa.types.is_timestamp(col.type):
        return pc.cast(
            pc.divide(
                pc.cast(col, pa.int64()),
                {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[col.type.unit],
            ),
            pa.int64(),
        )
    if pa.types.is_integer(col.type):
        return pc.cast(col, pa.int64())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            parsed = pc.strptime(col, format="%Y-%m-%dT%H:%M:%S%z", unit="s")
        except pa.ArrowInvalid as exc:
            raise DataError(
                f"{path}: column {column}: timestamps must be RFC 3339 with a "
                f"time zone, e.g. 2025-01-01T00:00:00+00:00 ({exc})"
            ) from exc
        return pc.cast(pc.cast(parsed, pa.int64()), pa.int64())
    raise DataError(f"{path}: column {column} has type {col.type}; expected timestamps")


def _dictionary(col: pa.ChunkedArray) -> pa.ChunkedArray:
    # Names repeat millions of times: codes into one dictionary, never a string per row.
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(pc.cast(col, pa.string()))
    return pc.cast(col, pa.dictionary(pa.int32(), pa.string())).unify_dictionaries()


def _require(path: Path, table: pa.Table, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.column_names]
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
    tel, ev = _read(tel_path), _read(ev_path)
    _require(tel_path, tel, TELEMETRY_COLUMNS)
    _require(ev_path, ev, EVENT_COLUMNS)
    telemetry = pa.table(
        {
            "asset": _dictionary(tel.column("asset")),
            "signal": _dictionary(tel.column("signal")),
            "ts": _times(tel_path, tel, "ts"),
            "value": pc.cast(tel.column("value"), pa.float64()),
        }
    )
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
            "ts": _times(ev_path, ev, "ts"),
        }
    )
    classes: dict[str, str] = {}
    asset_files = [
        p for p in root.iterdir() if "assets" in p.name and p.suffix in (".parquet", ".csv")
    ]
    if asset_files:
        at = _read(asset_files[0])
        _require(asset_files[0], at, ("asset", "asset_class"))
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
    _require(found[0], table, ("asset", "ts", "lead_h"))
    return pa.table(
        {
            "asset": pc.cast(table.column("asset"), pa.string()),
            "ts": _times(found[0], table, "ts"),
            "lead_h": pc.cast(table.column("lead_h"), pa.float64()),
        }
    )
