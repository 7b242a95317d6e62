"""NASA C-MAPSS turbofan data (Prognostics Center of Excellence, NASA Ames): RUL and within-30.

The standard whitespace-separated files: unit, cycle, three settings, 21 sensors; training
units run to failure, test units stop earlier and a RUL file gives each test unit's true
remaining cycles. Features are the engine's own rolling windows (levels, spread, slopes)
over the informative sensors, computed by the same prefix-sum approach as the fleet
features, and, as in the fleet model, each level against the engine's own first cycles
(engines leave the factory with different offsets). A health index (the first principal
components of those changes, fitted on the training engines) joins them, and a
gradient-boosted regressor learns the log of the remaining life, clipped to a plateau while
an engine is still healthy (the usual piecewise-linear target). "Fails within 30 cycles" is
answered by a gradient-boosted classifier trained on the same rows for that question alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from models.data import DataError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
# Sensors that vary in FD001 (the others are constant at one operating condition).
SENSORS = (2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21)
WINDOWS = (5, 10, 20, 30)
BASELINE = 20  # first cycles of an engine taken as its own normal
SMOOTHING = (0.1, 0.03)  # exponentially weighted levels (weight of the newest cycle)
PLATEAU = 125  # remaining cycles treated as "healthy" in the target
# The regressor learns log(remaining + LOG_OFFSET): equal steps of the target are equal
# shares of the remaining life, so the trees resolve the last cycles (where "within 30"
# is decided) finer than the plateau.
LOG_OFFSET = 40.0
WITHIN = 30


@dataclass(frozen=True)
class Runs:
    """Engine runs: unit, cycle and the 21 sensor columns (one row per cycle)."""

    unit: I64
    cycle: I64
    sensors: F64  # (rows, 21)

    def units(self) -> I64:
        """Unit numbers in file order."""
        return np.unique(self.unit)


def load_runs(path: Path) -> Runs:
    """Read a C-MAPSS train or test file; names the file and line of a bad row."""
    rows = []
    with path.open() as fh:
        for n, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 26:
                raise DataError(f"{path}:{n}: expected 26 columns, found {len(parts)}")
            try:
                values = [float(p) for p in parts]
            except ValueError as exc:
                raise DataError(f"{path}:{n}: {exc}") from exc
            if not all(np.isfinite(values)):
                raise DataError(f"{path}:{n}: a value is not a finite number")
            rows.append(values)
    if not rows:
        raise DataError(f"{path}: no rows")
    a = np.array(rows)
    return Runs(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 5:])


def load_rul(path: Path) -> F64:
    """The RUL file: one true remaining-cycles value per test unit, in unit order."""
    try:
        return np.array([float(x) for x in path.read_text().split()])
    except ValueError as exc:
        raise DataError(f"{path}: {exc}") from exc


def features(runs: Runs) -> F64:
    """One row per cycle: cycle count, sensors, windows, then changes against the engine's start.

    The columns from ``n_plain_features()`` on are the changes (window levels and smoothed
    levels minus the mean of the engine's first ``BASELINE`` cycles), which the health
    index is built from.
    """
    cols = [s - 1 for s in SENSORS]
    out = np.zeros((len(runs.unit), n_plain_features() + len(SENSORS) * 2 * 2))
    for u in runs.units():
        rows = np.flatnonzero(runs.unit == u)
        x = runs.sensors[rows][:, cols]
        zero = np.zeros((1, x.shape[1]))
        c1 = np.concatenate([zero, np.cumsum(x, axis=0)])
        c2 = np.concatenate([zero, np.cumsum(x * x, axis=0)])
        i = np.arange(len(rows))
        plain = [runs.cycle[rows][:, None].astype(np.float64), x]
        means = {}
        for w in WINDOWS:
            start = np.clip(i + 1 - w, 0, None)
            n = (i + 1 - start)[:, None]
            mean = (c1[i + 1] - c1[start]) / n
            sd = np.sqrt(np.clip((c2[i + 1] - c2[start]) / n - mean**2, 0, None))
            half = np.clip(i + 1 - w // 2, 0, None)
            recent = (c1[i + 1] - c1[half]) / np.maximum(i + 1 - half, 1)[:, None]
            plain += [mean, sd, recent - mean]
            means[w] = mean
        smooth = [_smoothed(x, a) for a in SMOOTHING]
        seen = np.minimum(i + 1, BASELINE)
        start_level = c1[seen] / seen[:, None]  # only cycles already seen: no look-ahead
        changes = [means[w] - start_level for w in WINDOWS[-2:]]
        changes += [e - start_level for e in smooth]
        out[rows] = np.hstack(plain + smooth + changes)
    return out


def n_plain_features() -> int:
    """Columns of ``features`` before the changes against the engine's start."""
    return 1 + len(SENSORS) * (1 + 3 * len(WINDOWS) + len(SMOOTHING))


def _smoothed(x: F64, alpha: float) -> F64:
    """Exponentially weighted level per column, starting at the first cycle's value."""
    y: F64 = lfilter([alpha], [1.0, alpha - 1.0], x, axis=0, zi=(1 - alpha) * x[:1])[0]
    return y


def remaining(runs: Runs) -> F64:
    """True remaining cycles of run-to-failure units at each row."""
    last = {u: runs.cycle[runs.unit == u].max() for u in runs.units()}
    return np.array([last[u] - c for u, c in zip(runs.unit, runs.cycle, strict=True)], float)


def last_rows(runs: Runs) -> I64:
    """Index of each unit's last cycle, in unit order."""
    return np.array([np.flatnonzero(runs.unit == u)[-1] for u in runs.units()])


def _to_log(y: F64) -> F64:
    return np.asarray(np.log(y + LOG_OFFSET))


def _from_log(z: F64) -> F64:
    return np.asarray(np.exp(z) - LOG_OFFSET)


def estimator(random_state: int = 0) -> TransformedTargetRegressor:
    """Health index (PCA of the standardised changes) beside every feature, then boosting
    on the log of the remaining life."""
    return TransformedTargetRegressor(
        regressor=_pipeline(random_state),
        func=_to_log,
        inverse_func=_from_log,
        check_inverse=False,
    )


def _pipeline(random_state: int) -> Pipeline:
    plain = n_plain_features()
    changes = list(range(plain, plain + len(SENSORS) * 4))
    health = make_pipeline(StandardScaler(), PCA(3, random_state=random_state))
    return make_pipeline(
        ColumnTransformer(
            [("health", health, changes), ("all", "passthrough", list(range(plain + len(changes))))]
        ),
        HistGradientBoostingRegressor(
            max_iter=400,
            learning_rate=0.05,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            random_state=random_state,
        ),
    )


def classifier(random_state: int = 0) -> HistGradientBoostingClassifier:
    """Boosting on every feature for 'fails within ``WITHIN`` cycles'."""
    return HistGradientBoostingClassifier(
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=random_state,
    )


@dataclass(frozen=True)
class Fitted:
    """The remaining-life regressor and the within-30 classifier, trained on the same rows."""

    life: TransformedTargetRegressor
    soon: HistGradientBoostingClassifier

    def remaining(self, x: F64) -> F64:
        """Predicted remaining cycles."""
        return np.asarray(self.life.predict(x), dtype=np.float64)

    def within(self, x: F64) -> npt.NDArray[np.bool_]:
        """Whether each row fails within ``WITHIN`` cycles (probability at least a half)."""
        return np.asarray(self.soon.predict_proba(x)[:, 1] >= 0.5)


def fit(runs: Runs, random_state: int = 0) -> Fitted:
    """Learn remaining life (clipped at the plateau) and within-30 from run-to-failure units."""
    x, left = features(runs), remaining(runs)
    return Fitted(
        estimator(random_state).fit(x, np.minimum(left, PLATEAU)),
        classifier(random_state).fit(x, left <= WITHIN),
    )


def metrics(
    true_rul: F64, predicted: F64, flagged: npt.NDArray[np.bool_] | None = None
) -> dict[str, float | None]:
    """RUL RMSE (unclipped truth) and precision/recall of 'fails within 30 cycles'.

    ``flagged`` holds the within-30 answers; without it, a predicted life of 30 or less.
    """
    rmse = float(np.sqrt(np.mean((predicted - true_rul) ** 2)))
    pred_pos = predicted <= WITHIN if flagged is None else flagged
    true_pos = true_rul <= WITHIN
    tp = int((pred_pos & true_pos).sum())
    return {
        "rul_rmse": round(rmse, 3),
        "within30_precision": round(tp / pred_pos.sum(), 4) if pred_pos.any() else None,
        "within30_recall": round(tp / true_pos.sum(), 4) if true_pos.any() else None,
    }


def truncate(runs: Runs, seed: int = 0, max_rul: int = 145) -> tuple[Runs, F64]:
    """Cut each run before failure as the standard test files do (true RUL 5..145 cycles)."""
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(runs.unit), dtype=bool)
    rul = []
    for u in runs.units():
        rows = np.flatnonzero(runs.unit == u)
        left = int(rng.integers(5, min(max_rul, len(rows) - 30) + 1))
        keep[rows[: len(rows) - left]] = True
        rul.append(left)
    return Runs(runs.unit[keep], runs.cycle[keep], runs.sensors[keep]), np.array(rul, float)


def subset(runs: Runs, units: I64) -> Runs:
    """Only these units."""
    m = np.isin(runs.unit, units)
    return Runs(runs.unit[m], runs.cycle[m], runs.sensors[m])


Held = tuple[F64, F64, npt.NDArray[np.bool_]]  # true life, predicted life, within-30 answer


def held_out(runs: Runs, folds: int = 5, seed: int = 0) -> Held:
    """True and predicted remaining life of every engine, each predicted by a model without it."""
    units = runs.units()
    order = np.random.default_rng(seed).permutation(units)
    truth, pred, flags = [], [], []
    for k in range(folds):
        test_units = order[k::folds]
        model = fit(subset(runs, np.setdiff1d(units, test_units)), seed)
        cut, rul = truncate(subset(runs, test_units), seed + k)
        x = features(cut)[last_rows(cut)]
        pred.append(model.remaining(x))
        flags.append(model.within(x))
        truth.append(rul)
    return np.concatenate(truth), np.concatenate(pred), np.concatenate(flags)


def cross_validate(runs: Runs, folds: int = 5, repeats: int = 1) -> dict[str, Any]:
    """Engine-grouped cross-validation, repeated with other splits and cuts; metrics pooled.

    Each fold's engines are truncated and never trained on; with ``repeats`` > 1 every
    engine is predicted once per repeat (another split, another cut) and the figures are
    over all predictions, with each repeat's own figures beside them.
    """
    runs_of = [held_out(runs, folds, seed) for seed in range(repeats)]
    pooled = metrics(*(np.concatenate(part) for part in zip(*runs_of, strict=True)))
    if repeats == 1:
        return pooled
    return {**pooled, "repeats": [metrics(*r) for r in runs_of]}
