"""A model fitted in about half a minute on a small simulated fleet, and the simulated
failures it catches: for the demo and the tests, not for production (``train`` is)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.asset_frames import AssetFrame
from models.data import load_dataset
from models.pipeline import FleetModel
from models.registry import save
from models.score import Assessment, assess
from models.train import fit
from models.windows import grid
from simulators.config import synthetic_fleet
from simulators.engine import Event, Simulation
from simulators.export import export

QUICK = {"max_iter": 60, "negative_fraction": 0.1, "min_negatives": 0}
STEP = 600


def fit_quick(root: Path, assets: int = 16, days: int = 240, seed: int = 9) -> FleetModel:
    """Export a small fleet under ``root`` and fit a model on it (about half a minute)."""
    export(Simulation(synthetic_fleet(assets, seed=seed), horizon_days=days), root / "data", STEP)
    return fit(load_dataset(root / "data"), threshold=0.5, warner=QUICK)


def register(registry: Path, fleet: FleetModel) -> str:
    """Store the model as a registry version."""
    return save(registry, fleet, {"data_hash": "quick-fit-synthetic-fleet", "settings": QUICK})


def frame_at(
    sim: Simulation,
    asset_id: str,
    now: int,
    fleet: FleetModel,
    unseen: frozenset[str] = frozenset(),
) -> AssetFrame:
    """The window the cloud would read at ``now``, straight from the simulation (without the
    ``unseen`` signals, which the deployment does not deliver)."""
    t = grid(now, fleet.windows)
    asset = sim.by_id[asset_id]
    values = sim.readings(asset, t)
    signals = tuple(sorted(set(values) - unseen))
    x = np.column_stack([values[s] for s in signals]).astype(np.float32)
    return AssetFrame(asset_id, asset.asset_class, t, signals, x)


def hourly(
    sim: Simulation,
    e: Event,
    fleet: FleetModel,
    hours: int = 60,
    unseen: frozenset[str] = frozenset(),
) -> list[Assessment]:
    """Offline assessments each hour from ``hours`` before failure ``e`` to one hour before."""
    out = []
    for h in range(hours, 0, -1):
        out += assess(fleet, [frame_at(sim, e.asset, e.ts - h * 3600, fleet, unseen)], {})
    return out


def caught(
    sim: Simulation,
    fleet: FleetModel,
    after_days: float = 12,
    unseen: dict[str, frozenset[str]] | None = None,
) -> tuple[Event, int]:
    """The first failure (with a precursor, after ``after_days``) that k high hourly
    evaluations warn of more than 6 h ahead, and the hour before it the warning opens.

    Offline scoring of the simulation's own values (without the signals ``unseen`` per asset
    class); the demo and the tests then check the live system (gateway, store, scoring loop)
    reaches the same warning.
    """
    k = fleet.consecutive
    for asset in sim.assets:
        for e in sim.events(asset):
            if e.kind != "failure" or e.detail != "precursor":
                continue
            if e.ts - sim.start < after_days * 86400:
                continue
            hidden = (unseen or {}).get(asset.asset_class, frozenset())
            above = [a.above_threshold for a in hourly(sim, e, fleet, 48, hidden)]
            if (opens_h := opens(above, k)) is not None and opens_h > 6:
                return e, opens_h
    raise LookupError("the model catches no failure of this fleet")


def opens(above: list[bool], k: int) -> int | None:
    """Hours before a failure that its warning opens (the k-th high verdict in a row), from
    hourly verdicts whose last is an hour before the failure; None if it never opens."""
    for i in range(k - 1, len(above)):
        if all(above[i - k + 1 : i + 1]):
            return len(above) - i
    return None
