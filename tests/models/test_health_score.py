"""The health score learns the same from float32 or float64 rows, and from chosen rows;
models stored before it had its own module still load."""

from __future__ import annotations

import numpy as np

from models.health import HealthScore


def _rows() -> np.ndarray:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 5)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:, 4] = np.nan  # a column with no value at all is filled with 0
    return X


def test_float32_and_float64_rows_learn_the_same() -> None:
    X = _rows()
    a = HealthScore(n_estimators=20, max_rows=2000).fit(X)
    b = HealthScore(n_estimators=20, max_rows=2000).fit(X.astype(np.float64))
    assert np.array_equal(a.fill_, b.fill_) and a.fill_[4] == 0.0
    assert np.array_equal(a.score_samples(X), b.score_samples(X.astype(np.float64)))


def test_chosen_rows_learn_as_their_copy_does() -> None:
    X = _rows()
    rows = np.flatnonzero(np.arange(len(X)) % 3 != 0)  # 2000 rows, more than max_rows
    a = HealthScore(n_estimators=20, max_rows=1500).fit(X, rows=rows)
    b = HealthScore(n_estimators=20, max_rows=1500).fit(X[rows])
    assert np.array_equal(a.fill_, b.fill_)
    assert np.array_equal(a.score_samples(X), b.score_samples(X))


def test_a_health_score_stored_under_its_former_module_loads() -> None:
    import pickle

    X = _rows()
    model = HealthScore(n_estimators=10, max_rows=1000).fit(X)
    HealthScore.__module__ = "models.estimators"  # as models stored before models/health.py
    try:
        stored = pickle.dumps(model)
    finally:
        HealthScore.__module__ = "models.health"
    assert b"models.estimators" in stored and b"models.health" not in stored
    loaded = pickle.loads(stored)
    assert isinstance(loaded, HealthScore)
    assert np.array_equal(loaded.score_samples(X), model.score_samples(X))
