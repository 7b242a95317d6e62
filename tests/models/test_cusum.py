"""Page's CUSUM over a window's hours: the vectorised form against the textbook recursion."""

from __future__ import annotations

import numpy as np

from models.cusum import K, block_means, page


def _recursion(x: np.ndarray) -> tuple[float, int]:
    """S_t = max(0, S_{t-1} + x_t) from zero, and the steps since S last was 0."""
    s, run = 0.0, 0
    for v in x:
        s = max(0.0, s + v)
        run = run + 1 if s > 0 else 0
    return s, run


def _sums(x: np.ndarray) -> np.ndarray:
    p = np.zeros(len(x) + 1)
    p[1:] = np.cumsum(x)
    return p


def test_page_equals_the_recursion_from_each_window_start() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(-0.5, 1.0, 300)
    x[200:] += np.linspace(0.0, 3.0, 100)  # a fault that grows
    p = _sums(x)[None, :, None]
    at = np.array([[60, 150, 230, 299]])
    for lowest in (np.zeros_like(at), at - 24, np.array([[0, 140, 200, 290]])):
        s, run = page(p, at, lowest)
        for j, b in enumerate(at[0]):
            want_s, want_run = _recursion(x[lowest[0, j] : b])
            assert abs(s[0, j, 0] - want_s) < 1e-9
            assert run[0, j, 0] == want_run
    s, run = page(p, at, np.zeros_like(at))
    assert s[0, 3, 0] > 20 and 60 <= run[0, 3, 0] <= 100  # it has been growing for a while


def test_hours_without_readings_add_no_evidence() -> None:
    s1 = np.array([[[3.0], [0.0], [12.0]]])
    n = np.array([[[6.0], [0.0], [6.0]]])
    means = block_means(s1, n)
    np.testing.assert_allclose(means[0, :, 0], [0.5 - K, 0.0, 2.0 - K])


def test_the_newest_boundary_can_be_the_low() -> None:
    p = _sums(np.array([-1.0, -1.0, 2.0]))[None, :, None]
    for at in (np.array([[2]]), np.array([[2, 1]])):  # one instant, and several
        s, run = page(p, at, np.zeros_like(at))
        assert s[0, 0, 0] == 0.0 and run[0, 0, 0] == 0
    s, run = page(p, np.array([[3]]), np.zeros((1, 1), np.int64))
    assert s[0, 0, 0] == 2.0 and run[0, 0, 0] == 1


def test_one_instant_of_many_assets_reads_as_many_instants_of_one() -> None:
    rng = np.random.default_rng(1)
    p = np.cumsum(rng.normal(size=(5, 80, 2)), axis=1)
    lowest = np.array([[0], [10], [79], [40], [3]])
    at = np.full((5, 1), 79)
    s, run = page(p, at, lowest)
    for i in range(5):  # each asset alone, beside an instant it does not share
        two = np.array([[79, 60]])
        s1, run1 = page(
            p[i : i + 1],
            two,
            np.array([[lowest[i, 0], 0]]),
        )
        np.testing.assert_allclose(s1[0, 0], s[i, 0])
        np.testing.assert_allclose(run1[0, 0], run[i, 0])


def test_lows_of_many_windows_match_a_scan_even_with_ties() -> None:
    rng = np.random.default_rng(2)
    for _ in range(50):
        n_b = int(rng.integers(2, 200))
        p = np.cumsum(np.round(rng.normal(size=(2, n_b, 2)), 1), axis=1)  # rounded: ties
        at = rng.integers(0, n_b, size=(2, 12))
        lowest = np.maximum(0, at - rng.integers(-3, 150, size=at.shape))
        s, run = page(p, at, lowest)
        for a, r, c in np.ndindex(s.shape):
            b, lo = at[a, r], min(lowest[a, r], at[a, r])
            seg = p[a, lo : b + 1, c]
            latest_low = lo + len(seg) - 1 - int(np.argmin(seg[::-1]))
            assert s[a, r, c] == p[a, b, c] - seg.min()
            assert run[a, r, c] == (b - latest_low if s[a, r, c] > 0 else 0)
