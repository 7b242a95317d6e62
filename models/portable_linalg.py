"""Linear algebra with the same rounding on every machine.

BLAS libraries choose their kernels by CPU (OpenBLAS: Prescott, Haswell, SkylakeX, Zen, ...),
and the kernels add partial products in different orders and fuse multiplies with adds, so a
matrix product's last bits depend on the machine. Through the normalisers they reach every
feature, and a threshold chosen on validation can jump with them (the same data trained
under two OpenBLAS kernels gave two models). These functions compute products as
elementwise multiplies and adds, and sums with numpy's pairwise summation, in an order fixed
by the shapes alone: each operation is rounded once, whatever the vector width, so the same
inputs give the same bits on any machine.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
A = npt.NDArray[Any]

# Rows summed at a time: a block's products stay in the CPU's cache between columns.
BLOCK = 16_384


def matmul(a: A, b: A) -> A:
    """``a @ b`` for ``a`` (..., k) and ``b`` (k, m): one multiply-add pass per k, over a
    block of rows at a time laid out along the k axis (long, contiguous inner loops)."""
    k, m = a.shape[-1], b.shape[-1]
    dtype = np.result_type(a, b)
    lead = a.shape[:-1]
    n_rows = math.prod(lead)
    out = np.zeros((n_rows, m), dtype)
    if k == 0 or n_rows == 0:
        return out.reshape(*lead, m)
    rows = a.reshape(n_rows, k)
    weights = np.asarray(b, dtype)[:, :, None]  # (k, m, 1): each k's row against a block
    acc = np.empty((m, min(n_rows, BLOCK)), dtype)
    term = np.empty_like(acc)
    for start in range(0, n_rows, BLOCK):
        block = np.ascontiguousarray(rows[start : start + BLOCK].T)  # (k, rows)
        total, part = acc[:, : block.shape[1]], term[:, : block.shape[1]]
        np.multiply(weights[0], block[0], out=total)
        for i in range(1, k):
            np.multiply(weights[i], block[i], out=part)
            total += part
        out[start : start + block.shape[1]] = total.T
    return out.reshape(*lead, m)


def matvec(a: A, x: A) -> A:
    """``a @ x`` for ``a`` (..., k) and a vector ``x`` (k,)."""
    return matmul(a, np.asarray(x)[:, None])[..., 0]


def dot(x: A, y: A) -> float:
    """The inner product of two vectors."""
    return float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))


def combine(cols: A, x: A) -> F64:
    """``cols.T @ x`` for columns ``cols`` (k, N)."""
    return np.asarray(matvec(np.asarray(cols, np.float64).T, np.asarray(x, np.float64)))


def gram(cols: A) -> F64:
    """``cols @ cols.T`` in float64 for columns ``cols`` (k, N): per block of rows, each
    entry's pairwise sum, added block after block."""
    c = np.asarray(cols, np.float64)
    k, n = c.shape
    out = np.zeros((k, k))
    for start in range(0, n, BLOCK):
        block = c[:, start : start + BLOCK]
        for i in range(k):
            out[i, i:] += (block[i:] * block[i]).sum(axis=1)
    upper = np.triu_indices(k, 1)
    out[upper[::-1]] = out[upper]
    return out


def column_dots(cols: A, y: A) -> F64:
    """``cols @ y`` in float64 for columns ``cols`` (k, N) and a vector ``y`` (N,): per
    block of rows, pairwise sums, added block after block."""
    c = np.asarray(cols, np.float64)
    v = np.asarray(y, np.float64)
    out = np.zeros(len(c))
    for start in range(0, c.shape[1], BLOCK):
        out += (c[:, start : start + BLOCK] * v[start : start + BLOCK]).sum(axis=1)
    return out


class RowsGram:
    """Gram matrices of subsets of the rows ``within`` of columns ``cols`` (k, N): most
    subsets leave out few rows, so the whole set's matrix is computed once and theirs
    taken away (the same subtraction on every machine)."""

    def __init__(self, cols: F64, within: npt.NDArray[np.bool_]) -> None:
        self.cols, self.within = cols, within
        self.whole: F64 | None = None

    def of(self, rows: npt.NDArray[np.bool_]) -> F64:
        """``gram(cols[:, rows])`` for ``rows`` among ``within``."""
        left = self.within & ~rows
        n_left = int(left.sum())
        if 2 * n_left >= int(rows.sum()):
            return gram(self.cols[:, rows])
        if self.whole is None:
            self.whole = gram(self.cols[:, self.within])
        return self.whole - gram(self.cols[:, left]) if n_left else self.whole.copy()


def least_squares(g: F64, cols: F64, y: F64) -> F64:
    """Least-squares coefficients of ``y`` on the design's columns ``cols`` by the normal
    equations (``g``: their Gram matrix; for a tall, narrow design far faster than an SVD);
    a whisper of ridge settles columns that never vary, such as always running."""
    g = g.copy()
    g[np.diag_indices_from(g)] += 1e-9 * max(float(np.trace(g)), 1.0) / len(g)
    return solve(g, column_dots(cols, y))


def solve(a: A, b: A) -> F64:
    """``x`` with ``a @ x = b`` for a small square ``a`` (Gaussian elimination with partial
    pivoting); raises ``numpy.linalg.LinAlgError`` when ``a`` is singular."""
    m = np.array(a, dtype=np.float64)
    x = np.array(b, dtype=np.float64)
    n = len(m)
    for col in range(n):
        pivot = col + int(np.argmax(np.abs(m[col:, col])))
        if m[pivot, col] == 0.0:
            raise np.linalg.LinAlgError("singular matrix")
        if pivot != col:
            m[[col, pivot]] = m[[pivot, col]]
            x[[col, pivot]] = x[[pivot, col]]
        factors = m[col + 1 :, col] / m[col, col]
        m[col + 1 :] -= factors[:, None] * m[col]
        x[col + 1 :] -= factors * x[col]
    for row in range(n - 1, -1, -1):
        rest = float(np.sum(m[row, row + 1 :] * x[row + 1 :])) if row + 1 < n else 0.0
        x[row] = (x[row] - rest) / m[row, row]
    return x


def covariance(rows: A) -> F64:
    """The sample covariance of the columns of ``rows`` (as ``np.cov(rows, rowvar=False)``)."""
    r = np.asarray(rows, np.float64)
    centred = np.ascontiguousarray((r - r.mean(axis=0)).T)
    return gram(centred) / (len(r) - 1)


@functools.cache
def _day_cycle() -> tuple[F64, F64]:
    # numpy's vector sine differs between instruction sets (AVX-512 machines use other
    # kernels); the C library's is the same on every x86-64 with FMA, and a day has only
    # 86,400 seconds.
    angle = [2.0 * math.pi * (s / 3600.0) / 24.0 for s in range(86_400)]
    sin = np.array([math.sin(v) for v in angle])
    cos = np.array([math.cos(v) for v in angle])
    return sin, cos


def day_cycle(t: npt.NDArray[np.int64]) -> tuple[F64, F64]:
    """Sine and cosine of the time of day (a 24 h period) at epoch seconds ``t``."""
    sin, cos = _day_cycle()
    s = np.asarray(t, dtype=np.int64) % 86_400
    return sin[s], cos[s]
