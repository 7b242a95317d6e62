"""A fixed number of threads for fitting, so that the same data gives the same model.

Gradient-boosted trees (OpenMP) and BLAS add partial sums per thread: with another thread
count the sums round differently, the probabilities move in their last digits, and a
threshold chosen on the validation split can jump (a 24-asset fleet chose 0.188 with one
thread and 0.043 with two). Every fit runs with ``FIT_THREADS``, whatever the machine's
cores or an outer limit (joblib workers, OMP_NUM_THREADS) say.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

FIT_THREADS = 2  # results are identical across machines for one value of this; 2 suits edge boxes

P = ParamSpec("P")
T = TypeVar("T")


def fixed_threads(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn`` with FIT_THREADS OpenMP and BLAS threads."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with threadpool_limits(limits=FIT_THREADS):
            return fn(*args, **kwargs)

    return run
