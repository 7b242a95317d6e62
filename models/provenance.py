"""What an answer was computed with: the numeric libraries, the threads and the machine.

The same data gives the same model on one machine with one set of libraries; another
release of the trees or of BLAS, or another CPU, can round sums differently and move a
threshold chosen on validation. Two virtual machines may both call their CPU "AMD EPYC"
and still differ in the vector instructions numpy and OpenBLAS pick (AVX-512 or AVX2
kernels round differently), so those are recorded too. The registry and ``evaluate
--json`` record this beside each answer, so two answers from one dataset can be told apart.
"""

from __future__ import annotations

import importlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from models.threads import FIT_THREADS

LIBRARIES = ("numpy", "scipy", "scikit-learn", "pyarrow", "threadpoolctl")


def _cpu() -> str:
    """The CPU's model name (Linux), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _kernels() -> dict[str, str]:
    """The vector kernels the numerics run on: OpenBLAS's architecture per library that
    loads one, and the widest instruction set numpy dispatches to on this CPU."""
    from threadpoolctl import threadpool_info

    # numpy publishes these only on its private core module; a release without them says so
    umath = importlib.import_module("numpy._core._multiarray_umath")
    dispatch: list[str] = list(getattr(umath, "__cpu_dispatch__", []))
    features: dict[str, bool] = dict(getattr(umath, "__cpu_features__", {}))

    blas = sorted(
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info()
        if i.get("internal_api") in ("openblas", "mkl", "blis")
    )
    simd = [f for f in dispatch if features.get(f)]
    return {"blas": "; ".join(blas) or "none", "simd": simd[-1] if simd else "baseline"}


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def computed_with() -> dict[str, str | int]:
    """The Python, library versions, fit threads and CPU of this process."""
    out: dict[str, str | int] = {"python": platform.python_version()}
    out |= {name: _version(name) for name in LIBRARIES}
    out |= {"fit_threads": FIT_THREADS, "machine": platform.machine(), "cpu": _cpu()}
    return out | _kernels()
