"""The evaluation protocol: time and asset splits, tuned thresholds, the model against baselines.

Splits: training is the first part of the span; validation and test follow, each after a gap
of the horizon plus the longest feature window, so no label or window crosses a boundary.
A share of assets (per class) is held out of training entirely and scored over the rest
of the span. Thresholds are chosen on validation only: the highest recall with precision
of at least 0.85 and at most 0.08 false alarms per asset-month (the targets, 0.8 and 0.1,
with a margin), else the best F1.
"""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame, build_frames, events_of
from models.data import Dataset
from models.evaluation import (
    Evaluation,
    Protocol,
    judge_starts,
    outcome,
    random_outcome,
    split_assets,
)
from models.interval import margins, quality, warned_at
from models.pipeline import (
    AssetRows,
    FleetModel,
    asset_rows,
    cut,
    fit_classes,
    fit_normalisers,
)
from models.quality import check
from models.small_site import choose_with_training
from models.threads import fixed_threads
from models.transfer import Choice, adopt, choose, transfer
from models.tuning import (
    TUNING_FAILURES,
    choose_operating_point,
    hold_operating_point,
    threshold_candidates,
    tune,
)
from models.windows import Windows

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Progress = Callable[[str, int], None]
SCORERS = ("model", "isolation_forest", "static_threshold")
__all__ = [
    "TUNING_FAILURES",
    "Evaluation",
    "Protocol",
    "judge_starts",
    "outcome",
    "run_protocol",
    "threshold_candidates",
]


def precursor_hours(ds: Dataset, asset: str, failures: I64, modes: list[str]) -> F64:
    """How long before each failure its precursor began (0 for a silent failure)."""
    onsets, onset_modes = events_of(ds, asset, "precursor_onset")
    out = np.zeros(len(failures))
    prev = np.iinfo(np.int64).min
    for i, (f, m) in enumerate(zip(failures, modes, strict=True)):
        mine = [o for o, om in zip(onsets, onset_modes, strict=True) if prev < o <= f and om == m]
        if mine:
            out[i] = (f - max(mine)) / 3600
        prev = f
    return out


def static_score(rows: AssetRows, names: list[str]) -> F64:
    """The static-threshold baseline: the largest condition-normalised 6 h level."""
    cols = [i for i, n in enumerate(names) if n.endswith(":m6")]
    if not cols:
        return np.zeros(len(rows.t))
    block = np.abs(rows.x[:, cols])
    v = np.where(np.isnan(block), -np.inf, block).max(axis=1)
    v[~np.isfinite(v)] = 0.0
    return np.asarray(np.nan_to_num(v.astype(np.float64), nan=0.0), dtype=np.float64)


def score_rows(fleet: FleetModel, rows: list[AssetRows]) -> tuple[dict[str, list[F64]], list[F64]]:
    """Every scorer's score of every row, and the median hours to failure where the
    probability is above zero (NaN elsewhere: the gate only ever zeroes a score)."""
    names = {cls: cm.feature_names for cls, cm in fleet.classes.items()}
    proba = [fleet.proba(r) for r in rows]
    scores = {
        "model": proba,
        "isolation_forest": [fleet.health(r) for r in rows],
        "static_threshold": [static_score(r, names.get(r.asset_class, [])) for r in rows],
    }
    return scores, [fleet.ttf_median(r, where=p > 0.0) for r, p in zip(rows, proba, strict=True)]


Period = tuple[int, int]


def split_periods(
    t0: int, t1: int, protocol: Protocol, win: Windows
) -> tuple[int, Period, Period] | None:
    """The end of training, validation and the time split's test over ``[t0, t1)``, each
    after a gap of the horizon plus the longest window; None when the span is too short."""
    gap = int(protocol.horizon_h * 3600) + win.longest_s
    train_end = t0 + int((t1 - t0) * protocol.train_share)
    val = (
        train_end + gap,
        t0 + int((t1 - t0) * (protocol.train_share + protocol.validation_share)),
    )
    test = (val[1] + gap, t1)
    if test[0] >= test[1] or val[0] >= val[1]:
        return None
    return train_end, val, test


class ShortHistory(ValueError):
    """A span too short for the protocol's splits and their gaps."""

    def __init__(self, days: float, need_days: int) -> None:
        super().__init__(
            f"{days:.1f} days of history; the splits (training, validation, test, each "
            f"after a gap of the horizon and the longest window) need at least {need_days}"
        )
        self.days, self.need_days = days, need_days


def shortest_span_days(protocol: Protocol, win: Windows) -> int:
    """The fewest whole days of history the protocol's splits and their gaps fit in."""
    return next(d for d in range(1, 100 * 366) if split_periods(0, d * 86_400, protocol, win))


@fixed_threads
def run_protocol(
    ds: Dataset,
    protocol: Protocol = Protocol(),
    win: Windows = Windows(),
    progress: Progress | None = None,
    frames: list[AssetFrame] | None = None,
    donor: FleetModel | None = None,
) -> Evaluation:
    """Train on the training split and measure every scorer on both test splits.

    ``frames`` are the dataset's frames when the caller already built them; with a
    ``donor`` (a model trained elsewhere) each class it can score is scored by it until the
    site's own warner does better on validation (``models.transfer``).
    """
    frames = build_frames(ds, win.step_s) if frames is None else frames
    if not frames:
        raise ValueError("the dataset has no telemetry")
    t0, t1 = int(frames[0].t[0]), int(frames[0].t[-1]) + win.step_s
    found = split_periods(t0, t1, protocol, win)
    if found is None:
        raise ShortHistory((t1 - t0) / 86_400, shortest_span_days(protocol, win))
    train_end, val, test = found
    gap = int(protocol.horizon_h * 3600) + win.longest_s
    frames = sorted(frames, key=lambda f: f.asset)
    held_mask = split_assets(
        [f.asset_class for f in frames], protocol.holdout_assets, protocol.seed
    )
    held_names = {f.asset for f, h in zip(frames, held_mask, strict=True) if h}
    norms = fit_normalisers(ds, [f for f in frames if f.asset not in held_names], until=train_end)
    rows = asset_rows(ds, frames, norms, win, protocol.horizon_h, progress)
    seen = [i for i, r in enumerate(rows) if r.asset not in held_names]
    held = [i for i, r in enumerate(rows) if r.asset in held_names]
    label_end = train_end - int(protocol.horizon_h * 3600)

    def keep(r: AssetRows) -> npt.NDArray[np.bool_]:
        return np.asarray((r.t < label_end) & (r.asset not in held_names))

    models = fit_classes(rows, norms, keep, protocol.seed, progress, name_modes=False)
    choices: dict[str, Choice] = {}
    if donor is not None:
        site = FleetModel(models, win, protocol.horizon_h)
        seen_names = {r.asset for r in rows} - held_names
        learn = [cut(f, train_end) for f in frames if f.asset in seen_names]
        site_norms = (norms, learn)
        periods = (val, train_end)
        moved = transfer(donor, ds, frames, site_norms, protocol.horizon_h)
        choices = choose(donor, moved, site, rows, periods, seen_names, protocol.seed)
        models, rows = adopt(donor, moved, choices, (models, rows), keep, protocol.seed)
    fleet = FleetModel(models, win, protocol.horizon_h, consecutive=protocol.runs[0])
    scores, ttf_median = score_rows(fleet, rows)
    ev = Evaluation(
        fleet,
        rows,
        {"validation": val, "test_time": test, "test_assets": (t0 + gap, t1)},
        {"validation": seen, "test_time": seen, "test_assets": held},
        scores,
        {},
    )
    ev.choices = choices
    ev.findings = check(ds, frames, norms)
    ev.precursor_h = [
        precursor_hours(ds, r.asset, r.history.failures, r.history.modes) for r in rows
    ]
    ev.ideal_h = [ds.ideal_lead_h(r.asset, r.history.failures) for r in rows]
    ev.ttf_median = ttf_median
    choose_operating_point(ev, ev.ttf_median, protocol.ttf_gates_h, protocol.runs)
    # The donor's threshold suits the donor's warners only: once the site's own warners
    # score every class, the site's own failures choose (``models.small_site``).
    n_val = outcome(ev, "model", "validation", ev.thresholds["model"], 1).failures
    if any(c.source == "donor" for c in choices.values()):
        assert donor is not None
        if n_val < TUNING_FAILURES:
            hold_operating_point(ev, donor.threshold, donor.ttf_gate_h, donor.consecutive)
            ev.operating_point = f"the donor's: {n_val} validation failures (< {TUNING_FAILURES})"
    elif n_val < TUNING_FAILURES:
        n = choose_with_training(ev, norms, keep, protocol)
        ev.operating_point = (
            f"chosen over the training period (out of fold) and validation: {n} failures"
            f" ({n_val} in validation, < {TUNING_FAILURES})"
        )
    k = fleet.consecutive
    for scorer in SCORERS:
        if scorer != "model":  # the model's threshold comes with its gate
            ev.thresholds[scorer] = tune(ev, scorer, k)
    fleet.threshold = ev.thresholds["model"]
    fleet.health_threshold = ev.thresholds["isolation_forest"]
    fleet.ttf_margin_rel = margins(*warned_at(ev, "validation"), relative=True)
    for split in ("validation", "test_time", "test_assets"):
        ev.table[split] = {}
        for scorer in SCORERS:
            o = outcome(ev, scorer, split, ev.thresholds[scorer], k)
            ev.table[split][scorer] = o.as_dict()
        ev.ttf_table[split] = quality(*warned_at(ev, split, fleet.ttf_margin_rel))
        n = ev.table[split]["model"]["warnings"] or 0
        ev.table[split]["random"] = random_outcome(ev, split, int(n), protocol.seed).as_dict()
        ev.class_table[split] = {
            cls: {
                scorer: outcome(ev, scorer, split, ev.thresholds[scorer], k, cls).as_dict()
                for scorer in SCORERS
            }
            for cls in sorted({r.asset_class for r in ev.rows})
        }
    return ev
