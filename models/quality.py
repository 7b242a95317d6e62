"""What is wrong with a dataset: said plainly before training, never a crash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from models.asset_frames import AssetFrame
from models.data import Dataset
from models.normalise import ClassNormaliser

MISSING_NOTE = 0.05  # a signal missing from more than this share of the grid is reported
FLAGGED_NOTE = 0.0001  # likewise for readings outside the class's plausible range


@dataclass(frozen=True)
class Finding:
    """One problem with the data and what training does about it."""

    asset: str
    problem: str

    def __str__(self) -> str:
        return f"{self.asset}: {self.problem}"


def check(
    ds: Dataset, frames: list[AssetFrame], norms: dict[str, ClassNormaliser]
) -> list[Finding]:
    """Unknown assets and classes, signals missing, gaps, implausible readings."""
    out: list[Finding] = []
    known = {f.asset for f in frames}
    for asset in sorted(set(pc.unique(ds.events.column("asset")).to_pylist()) - known):
        out.append(Finding(asset, "events for an asset without telemetry: ignored"))
    for f in frames:
        norm = norms.get(f.asset_class)
        if norm is None:
            out.append(Finding(f.asset, f"asset class {f.asset_class!r} has no model: skipped"))
            continue
        for s in norm.analog + norm.status:
            if s not in f.signals:
                out.append(Finding(f.asset, f"signal {s} never reported: its features are empty"))
                continue
            v = f.column(s)
            missing = float(np.isnan(v).mean())
            if missing > MISSING_NOTE:
                out.append(
                    Finding(f.asset, f"signal {s} missing for {missing:.0%} of the time: gaps")
                )
            if s in norm.analog:
                j = norm.analog.index(s)
                with np.errstate(invalid="ignore"):
                    bad = float(((v < norm.lo[j]) | (v > norm.hi[j])).mean())
                if bad > FLAGGED_NOTE:
                    out.append(
                        Finding(
                            f.asset,
                            f"signal {s}: {bad:.2%} of readings implausible: flagged, left out",
                        )
                    )
    return out
