"""The model registry on disk: one folder per version with the artifact and its metadata.

registry/
  20261123T061500-3fa2c1d0/
    model.joblib     the fitted FleetModel
    meta.json        features per class, training window, data hash, metrics, settings
  IN_SERVICE         the version that scores (absent: the newest); a challenger that lost
                     is stored beside it, with the reason, but does not replace it
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from models.pipeline import FleetModel

# Bumped when a stored model cannot be scored by this code (format 2: the classifier's
# odds are scaled back for the kept negatives; 3: residuals are taken against the other
# signals too; 4: the normaliser is pickled from models.normalise). Older versions are left
# on disk.
FORMAT = 4


def data_hash(root: Path) -> str:
    """SHA-256 over the dataset's files (names and bytes), so a model names its data."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.iterdir() if p.is_file()):
        h.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def save(registry: Path, fleet: FleetModel, meta: dict[str, Any], in_service: bool = True) -> str:
    """Store a new version (in service unless told otherwise); returns its name. Written
    aside, then renamed into place."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    version = f"{stamp}-{hashlib.sha256(repr(meta).encode()).hexdigest()[:8]}"
    registry.mkdir(parents=True, exist_ok=True)
    tmp = registry / f".{version}.tmp"
    tmp.mkdir()
    joblib.dump(fleet, tmp / "model.joblib", compress=3)
    full = {
        "version": version,
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "horizon_h": fleet.horizon_h,
        "threshold": fleet.threshold,
        "consecutive": fleet.consecutive,
        "ttf_gate_h": fleet.ttf_gate(),
        "ttf_margin_h": list(fleet.ttf_margin_h),
        "ttf_margin_rel": list(fleet.ttf_margin_rel),
        "classes": {c: {"features": m.feature_names} for c, m in fleet.classes.items()},
        **meta,
    }
    (tmp / "meta.json").write_text(json.dumps(full, indent=2, default=str))
    for part in (tmp / "model.joblib", tmp / "meta.json", tmp):
        _fsync(part)
    os.replace(tmp, registry / version)
    _fsync(registry)
    if in_service:
        put_in_service(registry, version)
    return version


IN_SERVICE = "IN_SERVICE"


def put_in_service(registry: Path, version: str) -> None:
    """Make ``version`` the one that scores (atomically: the scorer may be reading). The
    temporary file is this thread's own, so two promoting at once cannot take each other's."""
    tmp = registry / f".{IN_SERVICE}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(version + "\n")
    _fsync(tmp)
    os.replace(tmp, registry / IN_SERVICE)
    _fsync(registry)


def _fsync(path: Path) -> None:
    # Written before renamed, and the rename itself, on disk: after a power cut the
    # registry holds the old version or the whole new one, never an empty file by its name.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def in_service(registry: Path) -> str | None:
    """The version that scores: the one named in service when it can be scored, else the
    newest; None without any."""
    names = versions(registry)
    marker = registry / IN_SERVICE
    if marker.is_file():
        named = marker.read_text().strip()
        if named in names:
            return named
    return names[-1] if names else None


@functools.lru_cache(maxsize=1024)
def _format_of(meta: Path, mtime_ns: int) -> int:
    """A version's format from its meta.json, parsed once per modification (the scorer asks
    for the versions every round)."""
    return int(json.loads(meta.read_text()).get("format", 1))


def _formats(registry: Path) -> dict[str, int]:
    """Every stored version with its format (1: written before formats were recorded)."""
    if not registry.is_dir():
        return {}
    out = {}
    for p in registry.iterdir():
        meta = p / "meta.json"
        if meta.is_file():
            out[p.name] = _format_of(meta, meta.stat().st_mtime_ns)
    return out


def _pick(formats: dict[str, int], stale: bool = False) -> list[str]:
    return sorted(n for n, f in formats.items() if (f == FORMAT) != stale)


def versions(registry: Path, stale: bool = False) -> list[str]:
    """Stored versions this code can score, oldest first (``stale``: only those it cannot)."""
    return _pick(_formats(registry), stale)


def load(registry: Path, version: str | None = None) -> tuple[FleetModel, dict[str, Any]]:
    """A stored model and its metadata (the newest when no version is named)."""
    formats = _formats(registry)
    names = _pick(formats)
    if version is not None and formats.get(version, FORMAT) != FORMAT:
        raise FileNotFoundError(
            f"{registry / version}: stored by an earlier plantwatch (format "
            f"{formats[version]}, this one reads {FORMAT}); train a new version"
        )
    if not names:
        old = len(formats)
        note = f" ({old} from an earlier plantwatch: train a new one)" if old else ""
        raise FileNotFoundError(f"{registry}: no model versions{note}")
    name = version or in_service(registry) or names[-1]
    if name not in names:
        raise FileNotFoundError(f"{registry}: no version {name}; have {', '.join(names)}")
    fleet = joblib.load(registry / name / "model.joblib")
    if not isinstance(fleet, FleetModel):
        raise TypeError(f"{registry / name}: not a plantwatch fleet model")
    meta: dict[str, Any] = json.loads((registry / name / "meta.json").read_text())
    return fleet, meta
