"""The health score: how unusual feature rows are against normal operation, following
scikit-learn's contract; it scores the classes without failure history (and is a baseline)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest

from models.threads import fixed_threads

F64 = npt.NDArray[np.float64]


class HealthScore(BaseEstimator):  # type: ignore[misc]
    """Unusualness of feature rows against normal operation (higher is less healthy)."""

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 4096,
        max_rows: int = 200_000,
        random_state: int = 0,
    ):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_rows = max_rows
        self.random_state = random_state

    @fixed_threads
    def fit(self, X: Any, y: Any = None, rows: Any = None) -> HealthScore:
        """Learn normal operation from rows (all, or the indices ``rows``; NaN filled with
        each column's median); at most ``max_rows`` of them, drawn at random: the forest's
        trees draw ``max_samples`` each, so a year of a fleet's rows adds time, not knowledge."""
        X = np.asarray(X)
        pick = np.arange(len(X)) if rows is None else np.asarray(rows)
        if len(pick) > self.max_rows:
            rng = np.random.default_rng(self.random_state)
            pick = pick[np.sort(rng.choice(len(pick), self.max_rows, replace=False))]
        X = X[pick]
        self.fill_ = np.array([_median(c) for c in X.T])
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, len(X)),
            random_state=self.random_state,
        ).fit(self._filled(X))
        return self

    def _filled(self, X: Any) -> npt.NDArray[np.float32]:
        # The forest works in float32 (it would convert anything else), so the rows do too.
        X = np.asarray(X, dtype=np.float32)
        return np.where(np.isfinite(X), X, self.fill_.astype(np.float32))

    def score_samples(self, X: Any) -> F64:
        """Anomaly score: higher means further from normal."""
        return np.asarray(-self.forest_.score_samples(self._filled(X)), dtype=np.float64)


def _median(column: npt.NDArray[Any]) -> float:
    """The median of a column's finite values, taken in float64 (0 when it has none)."""
    finite = column[np.isfinite(column)]
    return float(np.median(finite.astype(np.float64))) if len(finite) else 0.0
