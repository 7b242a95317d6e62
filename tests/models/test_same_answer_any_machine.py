"""Same data, same answer on another machine: the protocol and a fit, run in two processes
that round BLAS products differently (OpenBLAS's kernel forced to another CPU's, numpy's
AVX2 loops switched off, another string hash seed), give the same tables and the same model
to the bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = """
import hashlib, json, pickle, sys
from pathlib import Path

import numpy as np

from models.data import load_dataset
from models.evaluate import Protocol, run_protocol
from models.train import fit
from models.windows import Windows


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


rng = np.random.default_rng(0)
a, b = rng.normal(size=(300, 400)), rng.normal(size=(400, 60))
ds = load_dataset(Path(sys.argv[1]))
ev = run_protocol(ds, Protocol(), Windows())
tables = json.dumps([ev.table, ev.thresholds, ev.fleet.ttf_gate()], sort_keys=True)
print(json.dumps({
    "blas": digest((a @ b).tobytes()),
    "tables": digest(tables.encode()),
    "model": digest(pickle.dumps(fit(ds))),
}))
"""

ELSEWHERE = {
    # A CPU without fused multiply-add: OpenBLAS's oldest x86-64 kernels.
    "OPENBLAS_CORETYPE": "Prescott",
    "NPY_DISABLE_CPU_FEATURES": "X86_V3",
    "PYTHONHASHSEED": "2",
}


def _run(site_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "PYTHONHASHSEED"}
    }
    env |= {"PYTHONHASHSEED": "1", **extra}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(site_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


@pytest.mark.timeout(900)
def test_a_machine_rounding_blas_otherwise_gets_the_same_model(site_dir: Path) -> None:
    here = _run(site_dir, {})
    there = _run(site_dir, ELSEWHERE)
    # The two processes do round BLAS products differently...
    assert here["blas"] != there["blas"]
    # ...and the protocol's tables and the fitted model do not depend on it.
    assert here["tables"] == there["tables"]
    assert here["model"] == there["model"]
