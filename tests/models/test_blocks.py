"""Predictions over blocks of rows equal the predictions over the whole array."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from models.blocks import in_blocks


def test_blocks_give_the_whole_arrays_predictions_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5000, 12)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    y = X[:, 0] + rng.normal(size=len(X)) > 1.0
    trees = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    whole = trees.predict_proba(X)
    blocked = in_blocks(trees.predict_proba, X, rows=777)  # the last block is short
    assert blocked.shape == whole.shape
    assert np.array_equal(blocked, whole)


def test_fewer_rows_than_a_block_are_predicted_in_one_call() -> None:
    calls: list[int] = []

    def predict(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        return np.asarray(x.sum(axis=1))

    X = np.ones((10, 3))
    assert np.array_equal(in_blocks(predict, X, rows=10), np.full(10, 3.0))
    assert calls == [10]
    assert np.array_equal(in_blocks(predict, X, rows=4), np.full(10, 3.0))
    assert calls == [10, 4, 4, 2]
