"""Training: measure with the protocol, then fit the production model on all the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame, build_frames
from models.data import Dataset
from models.evaluate import Evaluation, Protocol, run_protocol
from models.pipeline import AssetRows, FleetModel, asset_rows, fit_classes, fit_normalisers
from models.transfer import adopt, donor_alone, kept, transfer
from models.windows import Windows

Progress = Callable[[str, int], None]


def fit(
    ds: Dataset,
    threshold: float = 0.5,
    consecutive: int = 2,
    win: Windows = Windows(),
    horizon_h: float = 48.0,
    warner: dict[str, Any] | None = None,
) -> FleetModel:
    """A model fitted on all the data with a given threshold, without the protocol (quick:
    for demos and tests; ``train`` is how production models are made and measured)."""
    frames = build_frames(ds, win.step_s)
    norms = fit_normalisers(ds, frames)
    rows = asset_rows(ds, frames, norms, win, horizon_h)
    label_end = max(int(f.t[-1]) for f in frames) - int(horizon_h * 3600)
    models = fit_classes(rows, norms, lambda r: np.asarray(r.t < label_end), warner=warner)
    return FleetModel(models, win, horizon_h, threshold=threshold, consecutive=consecutive)


def train(
    ds: Dataset,
    protocol: Protocol = Protocol(),
    win: Windows = Windows(),
    progress: Progress | None = None,
    frames: list[AssetFrame] | None = None,
    donor: FleetModel | None = None,
) -> tuple[FleetModel, Evaluation]:
    """The protocol's figures and thresholds, and a model refitted on every asset and day
    (``frames``: the dataset's frames when the caller built them already; ``donor``: a
    model trained elsewhere, scoring the classes the protocol gave it)."""
    frames = build_frames(ds, win.step_s) if frames is None else frames
    ev = run_protocol(ds, protocol, win, progress, frames, donor)
    # The protocol's feature rows are measured and scored; the refit builds its own on other
    # normalisers, so only one fleet's rows are held at a time (times, labels and scores stay).
    ev.rows = [replace(r, x=np.empty((0, r.x.shape[1]), r.x.dtype)) for r in ev.rows]
    norms = fit_normalisers(ds, frames)
    rows = asset_rows(ds, frames, norms, win, protocol.horizon_h, progress)
    last = max(int(f.t[-1]) for f in frames)
    label_end = last - int(protocol.horizon_h * 3600)

    def keep(r: AssetRows) -> npt.NDArray[np.bool_]:
        return np.asarray(r.t < label_end)

    models = fit_classes(rows, norms, keep, protocol.seed, progress)
    if donor is not None:
        moved = transfer(donor, ds, frames, (norms, frames), protocol.horizon_h, kept(ev.choices))
        models, rows = adopt(donor, moved, ev.choices, (models, rows), keep, protocol.seed)
    fleet = FleetModel(
        models,
        win,
        protocol.horizon_h,
        threshold=ev.thresholds["model"],
        consecutive=ev.fleet.consecutive,
        health_threshold=ev.thresholds["isolation_forest"],
        ttf_gate_h=ev.fleet.ttf_gate_h,
        ttf_margin_h=ev.fleet.ttf_margin_h,
        ttf_margin_rel=ev.fleet.ttf_margin_rel,
    )
    return fleet, ev


def start_from_donor(ds: Dataset, donor: FleetModel, win: Windows = Windows()) -> FleetModel:
    """A site's first model while its history is too short for the protocol: the donor,
    its normalisers rescaled on the site's data, at its own operating point."""
    frames = build_frames(ds, win.step_s)
    return donor_alone(donor, fit_normalisers(ds, frames), frames)
