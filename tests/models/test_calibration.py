"""The failure warner's calibration: it is fitted on a share of its calibration rows'
negatives, weighted back, so its probabilities keep the true failure rate; and it is centred
isotonic regression, rising strictly between the isotonic fit's blocks, so one threshold
reads every class alike."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression

from models.estimators import FailureWarner, centred_knots


def _rows(n: int, seed: int, intercept: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose failure odds rise with the first feature."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    p = 1.0 / (1.0 + np.exp(-(intercept + 1.5 * X[:, 0])))
    return X, rng.random(n) < p


def test_probabilities_keep_the_failure_rate_when_negatives_are_a_share() -> None:
    X, y = _rows(60_000, 1, -3.5)
    warner = FailureWarner(max_iter=30, min_negatives=1_000, random_state=0)
    warner.fit(X, y, groups=np.arange(len(y)) // 100)
    assert warner.kept_share_ < 0.5  # negatives were thinned for the trees and calibration
    X_new, y_new = _rows(60_000, 2, -3.5)
    p = warner.predict_proba(X_new)[:, 1]
    # unweighted, the thinned negatives raise the mean by a fifth here (0.081 against 0.067)
    assert abs(p.mean() - y_new.mean()) < 0.15 * y_new.mean()
    high = p > np.quantile(p, 0.9)
    assert abs(p[high].mean() - y_new[high].mean()) < 0.2 * y_new[high].mean()


def test_one_knot_per_block_at_its_middle() -> None:
    iso = IsotonicRegression(out_of_bounds="clip").fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    x, y = centred_knots(iso)
    np.testing.assert_allclose(x, [0.1, 0.25, 0.4])
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])
    # the isotonic step holds 0.5 from 0.2 to 0.3; the centred curve rises through it
    np.testing.assert_allclose(np.interp([0.2, 0.25, 0.3], x, y), [1 / 3, 0.5, 2 / 3])
    assert iso.predict([0.2])[0] == iso.predict([0.3])[0] == 0.5


def test_probabilities_rise_where_the_plain_isotonic_fit_is_flat() -> None:
    X, y = _rows(40_000, 3, -3.0)
    groups = np.arange(len(y)) // 100
    centred = FailureWarner(max_iter=30, min_negatives=1_000).fit(X, y, groups=groups)
    plain = FailureWarner(max_iter=30, min_negatives=1_000, centred=False).fit(X, y, groups)
    grid = np.zeros((400, 3), dtype=np.float32)
    grid[:, 0] = np.linspace(-2.0, 4.0, 400)
    p_centred = centred.predict_proba(grid)[:, 1]
    p_plain = plain.predict_proba(grid)[:, 1]
    order = np.argsort(centred._raw(grid), kind="stable")  # the trees' own score
    assert (np.diff(p_centred[order]) >= -1e-12).all()
    # the plain fit repeats values over whole steps; the centred one takes many more values
    assert len(np.unique(p_centred.round(6))) > 2 * len(np.unique(p_plain.round(6)))
    # and both keep the failure rate
    X_new, y_new = _rows(40_000, 4, -3.0)
    for warner in (centred, plain):
        assert abs(warner.predict_proba(X_new)[:, 1].mean() - y_new.mean()) < 0.15 * y_new.mean()


def test_a_warner_stored_before_centring_keeps_its_plain_curve() -> None:
    X, y = _rows(20_000, 5, -3.0)
    warner = FailureWarner(max_iter=20, min_negatives=1_000).fit(X, y, np.arange(len(y)) // 100)
    state = warner.__getstate__()
    del state["centred"], state["knots_"]  # what a warner pickled before them holds
    old = FailureWarner.__new__(FailureWarner)
    old.__setstate__(state)
    assert "centred=False" in repr(old)
    assert warner.calibrator_ is not None
    np.testing.assert_allclose(
        old.predict_proba(X[:500])[:, 1], warner.calibrator_.predict(warner._raw(X[:500]))
    )
