"""The console entry point loads one part at a time and still routes every subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plantwatch.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_every_part_is_reachable() -> None:
    top = _run("--help")
    assert top.returncode == 0
    for part in ("sim", "gateway", "cloud", "model", "grafana", "demo"):
        assert part in top.stdout
        assert _run(part, "--help").returncode == 0, part


def test_demo_runs_and_stops_by_itself(quick_registry: Path) -> None:
    r = _run("demo", "--duration", "2", "--models", str(quick_registry), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scenario:" in r.stdout and "demo stopped" in r.stdout
