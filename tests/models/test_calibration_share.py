"""The failure warner calibrates on a share of its calibration rows' negatives, weighted
back, so its probabilities keep the true failure rate."""

from __future__ import annotations

import numpy as np

from models.estimators import FailureWarner


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    p = 1.0 / (1.0 + np.exp(-(-3.5 + 1.5 * X[:, 0])))
    return X, rng.random(n) < p


def test_probabilities_keep_the_failure_rate_when_negatives_are_a_share() -> None:
    X, y = _rows(60_000, 1)
    warner = FailureWarner(max_iter=30, min_negatives=1_000, random_state=0)
    warner.fit(X, y, groups=np.arange(len(y)) // 100)
    assert warner.kept_share_ < 0.5  # negatives were thinned for the trees and calibration
    X_new, y_new = _rows(60_000, 2)
    p = warner.predict_proba(X_new)[:, 1]
    # unweighted, the thinned negatives raise the mean by a fifth here (0.081 against 0.067)
    assert abs(p.mean() - y_new.mean()) < 0.15 * y_new.mean()
    high = p > np.quantile(p, 0.9)
    assert abs(p[high].mean() - y_new[high].mean()) < 0.2 * y_new[high].mean()
