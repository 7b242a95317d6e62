"""What an answer was computed with: the numeric libraries, the threads and the machine.

The same data gives the same model on one machine with one set of libraries; another
release of the trees or of BLAS, or another CPU, can round sums differently and move a
threshold chosen on validation. The registry and ``evaluate --json`` record this beside
each answer, so two answers from one dataset can be told apart.
"""

from __future__ import annotations

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


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def computed_with() -> dict[str, str | int]:
    """The Python, library versions, fit threads and CPU of this process."""
    out: dict[str, str | int] = {"python": platform.python_version()}
    out |= {name: _version(name) for name in LIBRARIES}
    return out | {"fit_threads": FIT_THREADS, "machine": platform.machine(), "cpu": _cpu()}
