"""Benchmark the failure-warning models: training time and scoring 10,000 assets.

- Training: `train` (protocol with validation, then the production refit) on a simulated
  fleet of 200 assets x 365 days at 10-minute samples, next to the bare library: one
  HistGradientBoostingClassifier fitted on the same feature rows.
- Scoring: the current windows (10 days) of 10,000 assets through `assess` (features,
  probability, time to failure, mode, health), next to bare `predict_proba` on rows that
  were already featurised: once recomputed from the whole windows, and once as the
  scorer's rounds run, with the state kept since a round an hour earlier (the new hour and
  the re-read hour before it normalised), checked against the full recomputation.

    python bench/models.py [--assets 200] [--days 365] [--score-assets 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.asset_frames import AssetFrame, build_frames, events_of
from models.data import load_dataset
from models.features import features_batch
from models.online import OnlineCache
from models.pipeline import asset_rows
from models.score import assess
from models.train import train
from models.windows import Windows
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export

CHUNK = 10_000  # assets per assess call, as in the full recomputation above


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--score-assets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        export(Simulation(synthetic_fleet(args.assets, seed=args.seed), args.days), root, 600)
        exported = time.perf_counter() - began
        began = time.perf_counter()
        ds = load_dataset(root)
        fleet, _ = train(ds)
        trained = time.perf_counter() - began
        norms = {c: cm.norm for c, cm in fleet.classes.items()}
        rows = asset_rows(ds, build_frames(ds), norms, fleet.windows, fleet.horizon_h)
        cls = max(fleet.classes, key=lambda c: sum(r.asset_class == c for r in rows))
        mine = [r for r in rows if r.asset_class == cls]
        X = np.vstack([r.x for r in mine])
        y = np.concatenate([r.labels.y for r in mine])
        began = time.perf_counter()
        HistGradientBoostingClassifier(random_state=0).fit(X, y)
        bare_fit = time.perf_counter() - began
        print(
            f"training: {args.assets} assets x {args.days:.0f} days "
            f"({ds.telemetry.num_rows:,} readings; export {exported:.1f} s): {trained:.1f} s "
            f"for train() (features, protocol, thresholds, refit)"
        )
        print(
            f"  reference: one bare HistGradientBoostingClassifier on the {len(y):,} rows of "
            f"class {cls}: {bare_fit:.1f} s (ratio {trained / bare_fit:.1f}; train() fits "
            f"{len(fleet.classes)} classes twice, with calibration, TTF and "
            "IsolationForest models, and the stored model's mode classifier)"
        )
        # Scoring: current 10-day windows, tiled from the fleet's frames up to N assets.
        frames = build_frames(ds)
        n_window = Windows().slots
        base = [
            AssetFrame(f.asset, f.asset_class, f.t[-n_window:], f.signals, f.x[-n_window:])
            for f in frames
        ]
        windows = [
            AssetFrame(f"{b.asset}-{i}", b.asset_class, b.t, b.signals, b.x)
            for i in range(args.score_assets // len(base) + 1)
            for b in base
        ][: args.score_assets]
        # Each tiled asset carries its original's maintenance log: windows that reach back
        # past a service are cut short there, and days since maintenance is a feature.
        logs = {b.asset: events_of(ds, b.asset, "maintenance")[0] for b in base}
        maint = {
            w.asset: logs[b.asset] for w, b in zip(windows, _tiled(base, len(windows)), strict=True)
        }
        assess(fleet, windows[:50], maint)  # warm-up
        began = time.perf_counter()
        out = assess(fleet, windows, maint)
        scored = time.perf_counter() - began
        rows_by_class = {
            c: features_batch(
                cm.norm,
                base[0].t,
                [w for w in windows if w.asset_class == c],
                np.array([n_window - 1]),
                [maint[w.asset] for w in windows if w.asset_class == c],
            )
            for c, cm in fleet.classes.items()
        }
        began = time.perf_counter()
        for c, cm in fleet.classes.items():
            cm.warner.predict_proba(rows_by_class[c])
        bare = time.perf_counter() - began
        warned = sum(a.above_threshold for a in out)
        print(
            f"scoring: {len(out):,} assets' current windows ({n_window} samples each) in "
            f"{scored:.2f} s ({warned} above the threshold); bare predict_proba on "
            f"featurised rows {bare:.2f} s (ratio {scored / bare:.1f})"
        )
        # Online: the scorer's rounds keep a state per chunk; a round an hour after the last
        # normalises only the new hour and the re-read hour before it.
        hour = Windows().n(1.0)
        earlier = [
            AssetFrame(
                w.asset,
                w.asset_class,
                f.t[-n_window - hour : -hour],
                w.signals,
                f.x[-n_window - hour : -hour],
            )
            for w, f in zip(windows, _tiled(frames, len(windows)), strict=True)
        ]
        online = OnlineCache()
        for i in range(0, len(windows), CHUNK):
            assess(fleet, earlier[i : i + CHUNK], maint, online=online)
        since = int(base[0].t[-1]) - 2 * 3600 + 600
        began = time.perf_counter()
        live = []
        for i in range(0, len(windows), CHUNK):
            live += assess(fleet, windows[i : i + CHUNK], maint, online=online, since_s=since)
        rounded = time.perf_counter() - began
        cold = {a.asset: a.probability for a in out}
        gap = max(abs(a.probability - cold[a.asset]) for a in live)
        print(
            f"online round an hour later (chunks of {CHUNK}): {len(live):,} assets in "
            f"{rounded:.2f} s (ratio to bare predict_proba {rounded / bare:.1f}); largest "
            f"probability difference from the full recomputation {gap:.4f}"
        )
        print(
            "Targets: training under 180 s (200 assets x 1 year); "
            "an online round of 10,000 assets under 1 s."
        )


def _tiled(frames: list[AssetFrame], n: int) -> list[AssetFrame]:
    """The fleet's frames repeated up to ``n`` (the same order as the tiled windows)."""
    return [frames[i % len(frames)] for i in range(n)]


if __name__ == "__main__":
    main()
