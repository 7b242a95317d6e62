"""Lint and type checks run as part of the tests."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_clean() -> None:
    r = _run("ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_clean() -> None:
    r = _run("ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_clean() -> None:
    r = _run("mypy", "kernel", "plantwatch", "edge", "cloud", "models", "simulators")
    assert r.returncode == 0, r.stdout + r.stderr


def test_urllib3_is_urllib3() -> None:
    """grafana-client's urllib3-future must sit beside urllib3, not replace it (see ./dev)."""
    import urllib3

    patch = int(urllib3.__version__.split(".")[2])
    assert patch < 900, (
        f"urllib3 {urllib3.__version__} is urllib3-future: reinstall with "
        "URLLIB3_NO_OVERRIDE=1 pip install --no-binary urllib3-future"
    )
