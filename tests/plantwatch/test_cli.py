"""The console entry point loads one part at a time and still routes every subcommand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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


def test_the_listing_says_what_each_part_says_of_itself() -> None:
    """`plantwatch --help` imports no part; its help lines are the parts' own."""
    import typer

    from plantwatch.cli import PARTS, build_app, listing

    listed = typer.main.get_command(listing()).commands  # type: ignore[attr-defined]
    assert list(listed) == list(PARTS)
    for name in PARTS:
        real = typer.main.get_command(build_app(name)).commands  # type: ignore[attr-defined]
        assert listed[name].help == real[name].help, name
    modules = [part.module for part in PARTS.values()] + ["sklearn", "fastapi", "pymodbus"]
    code = (
        "import sys\n"
        "sys.argv = ['plantwatch', '--help']\n"
        "from plantwatch.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {modules!r} if m in sys.modules])\n"
    )
    top = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert top.returncode == 0, top.stderr
    assert "Grafana dashboards as code." in top.stdout
    assert top.stdout.splitlines()[-1] == "[]"  # nothing of any part was imported


@pytest.mark.integration  # the demo starts Mosquitto and a cloud
def test_demo_runs_and_stops_by_itself(quick_registry: Path) -> None:
    r = _run("demo", "--duration", "2", "--models", str(quick_registry), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scenario:" in r.stdout and "demo stopped" in r.stdout


def test_a_part_whose_extra_is_missing_says_which_to_install() -> None:
    # A stand-in for a plant-room box: the cloud's web framework cannot be imported.
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('fastapi', 'sqlalchemy'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from plantwatch.cli import main\n"
        "sys.argv = ['plantwatch', *sys.argv[1:]]\n"
        "main()\n"
    )
    for args in (["cloud", "serve", "--port", "1"], ["cloud", "--help"], ["cloud"]):
        r = subprocess.run(
            [sys.executable, "-c", blocker, *args], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.strip().splitlines() == [
            "plantwatch cloud needs the 'cloud' extra (sqlalchemy is not installed): "
            "pip install 'plantwatch[cloud]'"
        ], args
        assert r.stdout == ""
    # the demo's own module is light (its help answers at once); running it needs the extra
    r = subprocess.run(
        [sys.executable, "-c", blocker, "demo", "--duration", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and r.stdout == "", (r.stdout, r.stderr)
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("plantwatch demo needs the 'demo' extra (")
    assert line.endswith("is not installed): pip install 'plantwatch[demo]'")
    top = subprocess.run(
        [sys.executable, "-c", blocker, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert top.returncode == 0 and "(not installed: pip install 'plantwatch[cloud]')" in top.stdout
