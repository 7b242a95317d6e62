"""Linear algebra with one rounding on every machine: the same values as numpy's (to
rounding), from elementwise operations whose order the shapes alone fix."""

from __future__ import annotations

import numpy as np
import pytest

from models.portable_linalg import (
    BLOCK,
    RowsGram,
    column_dots,
    combine,
    covariance,
    day_cycle,
    dot,
    gram,
    least_squares,
    matmul,
    matvec,
    solve,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_products_match_numpy_to_rounding(rng: np.random.Generator) -> None:
    a = rng.normal(size=(3, 50, 6)).astype(np.float32)
    b = rng.normal(size=(6, 4)).astype(np.float32)
    out = matmul(a, b)
    assert out.dtype == np.float32 and out.shape == (3, 50, 4)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)
    assert matmul(a[..., :0], b[:0]).shape == (3, 50, 4)  # no terms: zeros
    assert not matmul(a[..., :0], b[:0]).any()
    m = rng.normal(size=(7, 5))
    x = rng.normal(size=5)
    np.testing.assert_allclose(matvec(m, x), m @ x, rtol=1e-12)
    assert dot(x, x) == pytest.approx(float(x @ x), rel=1e-12)


def test_a_product_adds_its_terms_in_order_whatever_the_blocks(rng: np.random.Generator) -> None:
    a = rng.normal(size=(2, BLOCK + 77, 5)).astype(np.float32)
    b = rng.normal(size=(5, 3)).astype(np.float32)
    in_order = a[..., 0:1] * b[0]
    for i in range(1, 5):
        in_order += a[..., i : i + 1] * b[i]
    assert np.array_equal(matmul(a, b), in_order)  # to the bit: the order is the shapes'


def test_column_sums_span_several_blocks(rng: np.random.Generator) -> None:
    cols = rng.normal(size=(5, 2 * BLOCK + 123))
    y = rng.normal(size=cols.shape[1])
    np.testing.assert_allclose(gram(cols), cols @ cols.T, rtol=1e-10)
    assert (gram(cols) == gram(cols).T).all()
    np.testing.assert_allclose(column_dots(cols, y), cols @ y, rtol=1e-10)
    w = rng.normal(size=5)
    np.testing.assert_allclose(combine(cols, w), cols.T @ w, rtol=1e-10, atol=1e-12)
    rows = rng.normal(size=(300, 4))
    np.testing.assert_allclose(covariance(rows), np.cov(rows, rowvar=False), rtol=1e-10)


def test_a_subset_gram_from_the_whole_or_from_its_rows(rng: np.random.Generator) -> None:
    cols = rng.normal(size=(4, 5000))
    within = rng.random(5000) < 0.9
    few_out = within & (rng.random(5000) < 0.95)  # taken from the whole set's matrix
    many_out = within & (rng.random(5000) < 0.3)  # summed from its own rows
    grams = RowsGram(cols, within)
    for rows in (few_out, many_out, within):
        np.testing.assert_allclose(grams.of(rows), cols[:, rows] @ cols[:, rows].T, rtol=1e-9)
    assert grams.whole is not None  # the whole set's matrix was computed once and kept


def test_solve_and_least_squares(rng: np.random.Generator) -> None:
    a = rng.normal(size=(6, 6)) + 6 * np.eye(6)
    b = rng.normal(size=6)
    np.testing.assert_allclose(solve(a, b), np.linalg.solve(a, b), rtol=1e-10)
    swapped = np.array([[0.0, 2.0], [3.0, 1.0]])  # the first pivot is zero: rows swap
    np.testing.assert_allclose(solve(swapped, [4.0, 5.0]), np.linalg.solve(swapped, [4.0, 5.0]))
    with pytest.raises(np.linalg.LinAlgError):
        solve(np.ones((3, 3)), np.ones(3))
    design = np.vstack([np.ones(400), rng.normal(size=400)])
    y = 2.0 + 3.0 * design[1] + rng.normal(scale=0.01, size=400)
    coef = least_squares(gram(design), design, y)
    np.testing.assert_allclose(coef, [2.0, 3.0], atol=0.01)


def test_day_cycle_is_the_sine_of_the_time_of_day() -> None:
    t = np.array([0, 6 * 3600, 12 * 3600, 86_400 + 18 * 3600, -6 * 3600, 1_700_000_123])
    sin, cos = day_cycle(t)
    angle = 2 * np.pi * ((t % 86_400) / 3600.0) / 24
    np.testing.assert_allclose(sin, np.sin(angle), atol=1e-15)
    np.testing.assert_allclose(cos, np.cos(angle), atol=1e-15)
    assert sin[1] == 1.0 and sin[4] == -1.0  # 06:00 peaks; -6 h is 18:00 the day before
