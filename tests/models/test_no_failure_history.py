"""A class with no failure in its training data is scored by its health score and says so."""

from __future__ import annotations

import numpy as np

from models.estimators import FailureWarner
from models.health import HealthScore
from models.normalise import ClassNormaliser
from models.pipeline import ClassModel


def test_a_warner_without_failures_predicts_none_and_the_class_says_health_only() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5)).astype(np.float32)
    y = np.zeros(2000, dtype=bool)
    warner = FailureWarner(max_iter=10).fit(X, y, hours_to_failure=np.full(2000, np.inf))
    assert not warner.learned_failures
    p = warner.predict_proba(X[:10])
    assert p.shape == (10, 2) and (p[:, 1] == 0).all() and (p[:, 0] == 1).all()
    assert np.isnan(warner.predict_ttf(X[:3])).all()
    model = ClassModel(ClassNormaliser("water_tank"), warner, HealthScore().fit(X), [])
    assert model.scored_by.startswith("health score only")


def test_a_warner_with_failures_says_supervised() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4)).astype(np.float32)
    y = X[:, 0] > 1.5
    warner = FailureWarner(max_iter=20).fit(X, y)
    assert warner.learned_failures
    p = warner.predict_proba(np.array([[3, 0, 0, 0], [-3, 0, 0, 0]], dtype=np.float32))[:, 1]
    assert p[0] > p[1]
    model = ClassModel(ClassNormaliser("pump"), warner, HealthScore().fit(X), [])
    assert model.scored_by.startswith("failure warner")
