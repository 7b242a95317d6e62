"""Estimators on feature rows, following scikit-learn's contract (fit / predict_*).

``FailureWarner``: gradient-boosted trees for "fails within the horizon", calibrated on
held-out groups with isotonic regression; quantile trees for the time to failure, on the
rows an out-of-fold warner finds likely (those the gate judges); a mode
classifier where the history names failure modes. ``HealthScore`` (``models/health.py``):
an IsolationForest on normal rows for assets without failure history (and as a baseline).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.isotonic import IsotonicRegression

from models.blocks import in_blocks
from models.health import HealthScore
from models.threads import fixed_threads

# Models stored before the health score had its own module name it from here.
__all__ = ["FailureWarner", "HealthScore"]

F64 = npt.NDArray[np.float64]
TTF_QUANTILES = (0.1, 0.5, 0.9)
TTF_CAP_H = 168.0  # the time to failure reads no further than a week
MIN_TTF_ROWS = 500  # fewer rows than this near failures: no time-to-failure model
# Asset-weeks with a failure ahead that the time to failure needs before it learns from the
# rows an out-of-fold warner picks: each half then has about 20 failures to learn from.
MIN_OOF_FAILURE_WEEKS = 40


def _no_empty_columns(X: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A column with no value at all (a signal the rows never had) becomes a constant.

    The trees' binning cannot handle an all-missing column; a constant is never split on.
    """
    empty = np.isnan(X).all(axis=0)
    if not empty.any():
        return X
    X = X.copy()
    X[:, empty] = 0.0
    return X


def _unshared(p: F64, share: float) -> F64:
    """Probabilities of trees fitted on ``share`` of the negatives, with the odds scaled back
    to all of them."""
    odds = share * p
    return np.asarray(odds / (odds + 1.0 - p), dtype=np.float64)


def centred_knots(iso: IsotonicRegression) -> tuple[F64, F64]:
    """Centred isotonic regression (Oron and Flournoy, 2017): one knot per constant block
    of the fitted curve, at the block's middle, so the curve rises strictly between blocks
    instead of stepping from plateau to plateau."""
    x = np.asarray(iso.X_thresholds_, dtype=np.float64)
    y = np.asarray(iso.y_thresholds_, dtype=np.float64)
    block = np.concatenate([[0], np.cumsum(np.diff(y) != 0)])
    n = int(block[-1]) + 1
    counts = np.bincount(block, minlength=n)
    xs = np.bincount(block, weights=x, minlength=n) / counts
    ys = np.bincount(block, weights=y, minlength=n) / counts
    return xs, ys


class FailureWarner(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Probability of failure within the horizon, expected time to failure, failure mode."""

    def __init__(
        self,
        max_iter: int = 140,
        learning_rate: float = 0.11,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 1.0,
        negative_fraction: float = 0.35,
        min_negatives: int = 50_000,
        calibration_fraction: float = 0.25,
        centred: bool = True,
        ttf_min_proba: float = 0.1,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.negative_fraction = negative_fraction
        self.min_negatives = min_negatives
        self.calibration_fraction = calibration_fraction
        self.centred = centred
        self.ttf_min_proba = ttf_min_proba
        self.random_state = random_state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A warner stored before centred calibration keeps its plain isotonic curve.
        state.setdefault("centred", False)
        state.setdefault("knots_", None)
        # One stored before its time to failure learned the likely rows learned the week's.
        state.setdefault("ttf_min_proba", 0.0)
        super().__setstate__(state)

    def _trees(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2_regularization,
            random_state=self.random_state,
        )

    @fixed_threads
    def fit(
        self,
        X: Any,
        y: Any,
        groups: Any = None,
        hours_to_failure: Any = None,
        modes: Any = None,
    ) -> FailureWarner:
        """Fit on rows; ``groups`` (e.g. asset-week) keep calibration rows apart."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=bool)
        rng = np.random.default_rng(self.random_state)
        g = np.asarray(groups) if groups is not None else np.arange(len(y)) // 1000
        uniq = np.unique(g)
        cal_groups = rng.choice(uniq, max(1, int(len(uniq) * self.calibration_fraction)), False)
        cal = np.isin(g, cal_groups)
        if y[~cal].all() or not y[~cal].any() or len(uniq) < 2:
            cal = np.zeros(len(y), dtype=bool)
        # Most rows are far from any failure: keep a share of them. The odds are corrected
        # for it afterwards (``_raw``) instead of weighting rows: weighted rows make the
        # trees' binning compute weighted percentiles, ten times the cost of the fit itself.
        # A small history keeps all of its negatives (at least ``min_negatives``).
        negatives = int((~cal & ~y).sum())
        self.kept_share_ = max(
            self.negative_fraction, min(1.0, self.min_negatives / max(negatives, 1))
        )
        kept = y | (rng.random(len(y)) < self.kept_share_)
        keep = ~cal & kept
        self.classes_ = np.array([False, True])
        self.n_features_in_ = X.shape[1]
        # A class with no failure in its history has nothing to learn a warning from: it
        # predicts no failure and is scored by its health score alone (``has_failures_``).
        self.has_failures_ = bool(y.any())
        self.classifier_ = (
            self._trees().fit(_no_empty_columns(X[keep]), y[keep]) if self.has_failures_ else None
        )
        self.calibrator_: IsotonicRegression | None = None
        self.knots_: tuple[F64, F64] | None = None
        if cal.any() and y[cal].any():
            # The calibration rows keep the same share of negatives, each standing for
            # 1 / share of them: the same curve from a third of the predictions.
            checked = cal & kept
            weight = np.where(y[checked], 1.0, 1.0 / self.kept_share_)
            raw = self._raw(X[checked])
            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
            self.calibrator_.fit(raw, y[checked], sample_weight=weight)
            if self.centred:
                self.knots_ = centred_knots(self.calibrator_)
        self.ttf_: list[HistGradientBoostingRegressor] = []
        if hours_to_failure is not None:
            h = np.asarray(hours_to_failure, dtype=np.float64)
            near = self._ttf_rows(X, y, g, kept, h)
            if near.sum() >= MIN_TTF_ROWS:
                self.ttf_ = [
                    HistGradientBoostingRegressor(
                        loss="quantile",
                        quantile=q,
                        max_iter=60,
                        min_samples_leaf=40,
                        random_state=self.random_state,
                    ).fit(_no_empty_columns(X[near]), np.minimum(h[near], TTF_CAP_H))
                    for q in TTF_QUANTILES
                ]
        self.mode_: HistGradientBoostingClassifier | None = None
        if modes is not None:
            m = np.asarray(modes, dtype=object)
            pos = y & (m != "")
            if len(set(m[pos])) >= 2:
                self.mode_ = HistGradientBoostingClassifier(
                    max_iter=100, random_state=self.random_state
                ).fit(_no_empty_columns(X[pos]), m[pos].astype(str))
        return self

    def _ttf_rows(
        self,
        X: npt.NDArray[np.float32],
        y: npt.NDArray[np.bool_],
        g: npt.NDArray[Any],
        kept: npt.NDArray[np.bool_],
        h: F64,
    ) -> npt.NDArray[np.bool_]:
        """Rows the time to failure learns from: the week before failures, or with
        ``ttf_min_proba`` the rows an out-of-fold warner finds at least that likely to fail
        (those beyond the week counted as a week away): the rows the gate will judge."""
        week = h <= TTF_CAP_H
        if self.ttf_min_proba <= 0 or len(np.unique(g[y])) < MIN_OOF_FAILURE_WEEKS:
            return week
        uniq = np.unique(g)
        half = np.random.default_rng(self.random_state + 1).random(len(uniq)) < 0.5
        fold = np.isin(g, uniq[half])
        honest = np.zeros(len(y))
        for part in (fold, ~fold):
            train = ~part & kept
            if not y[train].any() or y[train].all():
                return week
            trees = self._trees().fit(_no_empty_columns(X[train]), y[train])
            honest[part] = _unshared(
                in_blocks(trees.predict_proba, X[part])[:, 1], self.kept_share_
            )
        return np.asarray(honest >= self.ttf_min_proba)

    @property
    def learned_failures(self) -> bool:
        """False when the training data held no failure (models saved before this was
        recorded always had failures to learn from)."""
        return bool(getattr(self, "has_failures_", True))

    def _raw(self, X: Any) -> F64:
        """The trees' probability with the odds scaled back to the kept share of negatives."""
        assert self.classifier_ is not None
        p = in_blocks(self.classifier_.predict_proba, np.asarray(X, dtype=np.float32))[:, 1]
        return _unshared(p, self.kept_share_)

    def predict_proba(self, X: Any) -> F64:
        """Columns: no failure, failure within the horizon."""
        if not self.learned_failures:
            return np.column_stack([np.ones(len(X)), np.zeros(len(X))])
        raw = self._raw(X)
        if self.knots_ is not None:
            p = np.interp(raw, *self.knots_)
        elif self.calibrator_ is not None:
            p = self.calibrator_.predict(raw)
        else:
            p = raw
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> npt.NDArray[np.bool_]:
        """Failure within the horizon at probability 0.5."""
        return np.asarray(self.predict_proba(X)[:, 1] >= 0.5)

    def predict_ttf(self, X: Any) -> F64:
        """Hours to failure: 10th, 50th and 90th percentile (NaN without TTF models)."""
        X = np.asarray(X, dtype=np.float32)
        if not self.ttf_:
            return np.full((len(X), len(TTF_QUANTILES)), np.nan)
        q = np.column_stack([in_blocks(m.predict, X) for m in self.ttf_])
        q = np.clip(np.sort(q, axis=1), 0.0, TTF_CAP_H)  # quantiles never cross
        return np.asarray(q, dtype=np.float64)

    def predict_mode(self, X: Any) -> tuple[list[str], F64]:
        """Most likely failure mode and its probability ('' without a mode model)."""
        if self.mode_ is None:
            return [""] * len(X), np.zeros(len(X))
        proba = in_blocks(self.mode_.predict_proba, np.asarray(X, dtype=np.float32))
        best = proba.argmax(axis=1)
        return [str(self.mode_.classes_[i]) for i in best], proba.max(axis=1)
