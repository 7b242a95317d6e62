"""From a dataset to per-asset feature rows and labels, and from rows to a fitted fleet model."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame, events_of
from models.data import Dataset
from models.estimators import FailureWarner
from models.features import eval_index, feature_names, features
from models.health import HealthScore
from models.interval import widen
from models.labels import SETTLED_H, Labels, make_labels, repairs_after
from models.normalise import ClassNormaliser
from models.signatures import fit_signatures
from models.threads import fixed_threads
from models.warning_rule import WarningRule
from models.windows import Windows

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class AssetHistory:
    """One asset's events: failures (with modes and repairs), maintenance."""

    failures: I64
    modes: list[str]
    repaired: I64
    maintenance: I64

    @classmethod
    def of(cls, ds: Dataset, asset: str) -> AssetHistory:
        """From the dataset's event log."""
        failures, modes = events_of(ds, asset, "failure")
        maintenance, _ = events_of(ds, asset, "maintenance")
        return cls(failures, modes, repairs_after(failures, maintenance), maintenance)


@dataclass(frozen=True)
class AssetRows:
    """One asset's evaluated instants: features, labels and the failure modes ahead."""

    asset: str
    asset_class: str
    t: I64
    x: F32
    labels: Labels
    history: AssetHistory

    def modes(self) -> npt.NDArray[np.object_]:
        """Mode of the next failure for each row ('' when none follows)."""
        m = np.array([*self.history.modes, ""], dtype=object)
        return m[self.labels.next_failure]


@dataclass
class ClassModel:
    """Everything one asset class needs to be scored."""

    norm: ClassNormaliser
    warner: FailureWarner
    health: HealthScore
    feature_names: list[str]
    # Why this class is scored by the site's warner or by one trained elsewhere
    # (``models.transfer``); empty for a model trained on one dataset alone.
    source: str = ""

    @property
    def scored_by(self) -> str:
        """Which model scores the class, and why."""
        if getattr(self, "source", ""):  # versions stored before transfer have none
            return self.source
        if self.warner.learned_failures:
            return "failure warner (supervised on the class's failures) and health score"
        return "health score only: no failure of this class in the training data"


@dataclass
class FleetModel:
    """Per-class models plus the settings warnings are raised with."""

    classes: dict[str, ClassModel]
    windows: Windows = field(default_factory=Windows)
    horizon_h: float = 48.0
    threshold: float = 0.5
    consecutive: int = 2
    health_threshold: float = 0.6
    # A warning waits until the median expected time to failure is at most this: a long
    # precursor looks like failure within the horizon days before it is.
    ttf_gate_h: float = float("inf")
    # How far the 10-90 % time-to-failure interval's ends move out (low, high), calibrated
    # on validation warnings (models/interval.py): shares of the expected time, or for a
    # model stored before those, hours; none for a model fitted without the protocol.
    ttf_margin_h: tuple[float, float] = (0.0, 0.0)
    ttf_margin_rel: tuple[float, float] = (0.0, 0.0)

    def warning_rule(self, close_after: int = 6) -> WarningRule:
        """When this model's scores open and close warnings (one evaluation per cadence)."""
        return WarningRule(self.consecutive, close_after, int(self.windows.every_h * 3600))

    def ttf_gate(self) -> float | None:
        """The time-to-failure gate in hours (None: warnings open on the probability alone)."""
        return self.ttf_gate_h if np.isfinite(self.ttf_gate_h) else None

    def proba(self, rows: AssetRows) -> F64:
        """Failure-within-horizon probability per row (0 for a class without a model)."""
        cm = self.classes.get(rows.asset_class)
        if cm is None or len(rows.t) == 0:
            return np.zeros(len(rows.t))
        return np.asarray(cm.warner.predict_proba(rows.x)[:, 1])

    def ttf_median(self, rows: AssetRows, where: npt.NDArray[np.bool_] | None = None) -> F64:
        """Median expected hours to failure per row (NaN without a time-to-failure model,
        and at the rows outside ``where`` when given)."""
        out = np.full(len(rows.t), np.nan)
        cm = self.classes.get(rows.asset_class)
        pick = slice(None) if where is None else where  # a slice reads the rows without a copy
        X = rows.x[pick]
        if cm is not None and len(X):
            out[pick] = cm.warner.predict_ttf(X)[:, 1]
        return out

    def ttf(self, cm: ClassModel, X: F32) -> F64:
        """Hours to failure per row: 10th, 50th, 90th percentile, the interval calibrated."""
        return widen(cm.warner.predict_ttf(X), self.ttf_margin_h, self.ttf_margin_rel)

    def health(self, rows: AssetRows) -> F64:
        """IsolationForest unusualness per row."""
        cm = self.classes.get(rows.asset_class)
        if cm is None or len(rows.t) == 0:
            return np.zeros(len(rows.t))
        return cm.health.score_samples(rows.x)


@fixed_threads
def fit_normalisers(
    ds: Dataset, frames: list[AssetFrame], until: int | None = None
) -> dict[str, ClassNormaliser]:
    """One normaliser per asset class, with its failure-mode signatures, from frames and
    their events (only data before ``until`` if given)."""
    out: dict[str, ClassNormaliser] = {}
    for cls in sorted({f.asset_class for f in frames}):
        mine = [cut(f, until) for f in frames if f.asset_class == cls]
        histories = [AssetHistory.of(ds, f.asset) for f in mine]
        events = [
            (f, h.failures, h.modes, h.repaired) for f, h in zip(mine, histories, strict=True)
        ]
        settled = [settled_rows(f.t, h) for f, h in zip(mine, histories, strict=True)]
        out[cls] = fit_signatures(ClassNormaliser(cls).fit(mine, settled=settled), events, until)
    return out


def settled_rows(t: I64, history: AssetHistory) -> npt.NDArray[np.bool_]:
    """One asset's settled instants (``Labels.settled``) among ``t``."""
    return make_labels(t, history.failures, history.repaired).settled()


def cut(f: AssetFrame, until: int | None) -> AssetFrame:
    """The frame's data before ``until`` (all of it for None)."""
    if until is None:
        return f
    n = int(np.searchsorted(f.t, until))
    return AssetFrame(f.asset, f.asset_class, f.t[:n], f.signals, f.x[:n])


def asset_rows(
    ds: Dataset,
    frames: Iterable[AssetFrame],
    norms: dict[str, ClassNormaliser],
    win: Windows = Windows(),
    horizon_h: float = 48.0,
    progress: Progress | None = None,
) -> list[AssetRows]:
    """Feature rows and labels of every asset whose class has a normaliser."""
    out = []
    for frame in frames:
        norm = norms.get(frame.asset_class)
        if norm is None:
            continue
        hist = AssetHistory.of(ds, frame.asset)
        idx = eval_index(frame, win)
        t = frame.t[idx]
        x = features(norm, frame, idx, hist.maintenance, win)
        labels = make_labels(t, hist.failures, hist.repaired, horizon_h)
        out.append(AssetRows(frame.asset, frame.asset_class, t, x, labels, hist))
        if progress:
            progress(frame.asset, 1)
    return out


@fixed_threads
def _training_set(
    rows: list[AssetRows], cls: str, keep: Callable[[AssetRows], npt.NDArray[np.bool_]]
) -> tuple[list[tuple[AssetRows, npt.NDArray[np.bool_]]], npt.NDArray[np.float64]] | None:
    """A class's usable rows that ``keep`` selects (per asset, with its mask) and the
    hours to failure of each, or None when there are none."""
    parts = [(r, keep(r) & r.labels.usable) for r in rows if r.asset_class == cls]
    parts = [(r, m) for r, m in parts if m.any()]
    if not parts:
        return None
    return parts, np.concatenate([r.labels.hours_to_failure[m] for r, m in parts])


def _health(X: npt.NDArray[Any], hours: npt.NDArray[np.float64], seed: int) -> HealthScore:
    """The health score learned from the rows a week or more from any failure."""
    normal = np.flatnonzero(hours > SETTLED_H)
    return HealthScore(random_state=seed).fit(X, rows=normal if len(normal) > 100 else None)


def fit_health(
    rows: list[AssetRows],
    classes: list[str],
    keep: Callable[[AssetRows], npt.NDArray[np.bool_]],
    random_state: int = 0,
) -> dict[str, HealthScore]:
    """Each class's health score alone, on the rows ``keep`` selects."""
    out = {}
    for cls in classes:
        found = _training_set(rows, cls, keep)
        if found is not None:
            parts, hours = found
            out[cls] = _health(np.vstack([r.x[m] for r, m in parts]), hours, random_state)
    return out


def fit_classes(
    rows: list[AssetRows],
    norms: dict[str, ClassNormaliser],
    keep: Callable[[AssetRows], npt.NDArray[np.bool_]],
    random_state: int = 0,
    progress: Progress | None = None,
    warner: dict[str, Any] | None = None,
    health: dict[str, HealthScore] | None = None,
    name_modes: bool = True,
) -> dict[str, ClassModel]:
    """Fit each class's warner (``warner``: its settings) and health score on the rows
    ``keep`` selects; a class in ``health`` keeps the score given there. Without
    ``name_modes`` the warners learn no failure mode (the protocol never names one)."""
    models: dict[str, ClassModel] = {}
    for cls, norm in norms.items():
        found = _training_set(rows, cls, keep)
        if found is None:
            continue
        parts, hours = found
        X = np.vstack([r.x[m] for r, m in parts])
        y = np.concatenate([r.labels.y[m] for r, m in parts])
        modes = np.concatenate([r.modes()[m] for r, m in parts]) if name_modes else None
        groups = np.concatenate(
            [(i * 1000 + r.t[m] // (7 * 86_400)) for i, (r, m) in enumerate(parts)]
        )
        warner_ = FailureWarner(random_state=random_state, **(warner or {})).fit(
            X, y, groups, hours, modes
        )
        given = (health or {}).get(cls)
        score = given if given is not None else _health(X, hours, random_state)
        models[cls] = ClassModel(norm, warner_, score, feature_names(norm))
        if progress:
            progress(cls, 1)
    return models
