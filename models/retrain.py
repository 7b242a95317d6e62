"""One retraining round: a challenger trained and measured on new data, stored beside the
model in service, and put in service only when it wins (``models/challenge.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import registry
from models.asset_frames import build_frames
from models.challenge import Decision, Margins, decide, incumbent_table
from models.data import Dataset
from models.donors import read_donor
from models.evaluate import Evaluation, Protocol
from models.pipeline import FleetModel
from models.provenance import computed_with
from models.train import train
from models.transfer import donor_scored
from models.windows import Windows

Progress = Callable[[str, int], None]


def data_meta(data: Path, ds: Dataset, fleet: FleetModel) -> dict[str, Any]:
    """What a stored version records of its data and of which model scores each class."""
    first, last = ds.span()
    return {
        "data": str(data),
        "data_hash": registry.data_hash(data),
        "training_window": [first, last],
        "assets": len(ds.assets),
        "scored_by": {c: m.scored_by for c, m in fleet.classes.items()},
        "computed_with": computed_with(),
    }


def training_meta(data: Path, ds: Dataset, fleet: FleetModel, ev: Evaluation) -> dict[str, Any]:
    """What a stored version records of its data and its measurement."""
    return {
        **data_meta(data, ds, fleet),
        "metrics": ev.table,
        "ttf_interval": ev.ttf_table,
        "thresholds": ev.thresholds,
        "data_findings": [str(f) for f in ev.findings],
        "metrics_by_class": ev.class_table,
        "operating_point": ev.operating_point,
    }


def starter_meta(
    data: Path, ds: Dataset, fleet: FleetModel, days: float, need: int
) -> dict[str, Any]:
    """What a donor's first model at a new site records: its data, and why nothing of the
    site's own was trained or measured."""
    why = f"the donor's: {days:.1f} days of history (< {need})"
    return {**data_meta(data, ds, fleet), "operating_point": why}


def donor_meta(donor_dir: Path, fleet: FleetModel) -> dict[str, Any]:
    """Which donor ``fleet`` was trained with: its registry (retraining keeps it), the
    version that was in service, its figures at home and, where it scores a class of
    ``fleet`` after missing its targets at home, a caution."""
    return read_donor(donor_dir).as_meta(donor_scored(fleet))


def retrain(
    ds: Dataset,
    data: Path,
    registry_dir: Path,
    protocol: Protocol = Protocol(),
    margins: Margins = Margins(),
    progress: Progress | None = None,
    donor_dir: Path | None = None,
) -> tuple[str, Decision]:
    """Train a challenger on ``ds``, judge it against the model in service on the same
    splits, store it with the decision, and put it in service if it won.

    ``donor_dir``: a registry whose model in service scores the classes the site's own data
    cannot yet (``models.transfer``); by default the donor the model in service was trained
    with, so a new site's scheduled rounds keep theirs."""
    win = Windows()
    frames = build_frames(ds, win.step_s)
    current = registry.in_service(registry_dir)
    old, old_meta = registry.load(registry_dir, current) if current is not None else (None, {})
    if donor_dir is None and "donor" in old_meta:
        donor_dir = Path(old_meta["donor"])
    donor = registry.load(donor_dir)[0] if donor_dir is not None else None
    fleet, ev = train(ds, protocol, win, progress, frames, donor)
    incumbent = incumbent_table(ev, ds, frames, old) if old is not None else None
    decision = decide(ev.table, incumbent, margins)
    meta = training_meta(data, ds, fleet, ev)
    if donor_dir is not None:
        meta |= donor_meta(donor_dir, fleet)
    meta["challenge"] = {
        "against": current,
        "promoted": decision.promote,
        "reason": decision.reason,
        "challenger": decision.challenger,
        "incumbent": decision.incumbent,
        "margins": decision.margins,
    }
    version = registry.save(registry_dir, fleet, meta, in_service=decision.promote)
    return version, decision
