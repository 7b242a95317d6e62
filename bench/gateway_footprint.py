"""Benchmark what a gateway costs a plant-room box: the environment plantwatch[edge] installs
against the full one (every part, the demo, the tests), side by side in one run.

For each environment: its size on disk, the gateway's start-up time (from exec to its health
endpoint answering) and its resident memory after a few seconds of running, with the
example north-library config (its Modbus devices and cloud unreachable, so it polls,
quarantines and spools as a box whose network is down does). The edge environment is built
once with `pip install '.[edge]'` and kept for later runs.

    python bench/gateway_footprint.py [--runs 3] [--seconds 5] [--edge-venv DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "gateway_config" / "north-library.yaml"
HEAVY = ("sklearn", "scipy", "pyarrow", "matplotlib", "fastapi", "sqlalchemy")


def build_edge_venv(path: Path) -> None:
    """A virtual environment holding plantwatch[edge] and nothing else."""
    if (path / "bin" / "plantwatch").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{REPO}[edge]"],
        check=True,
    )


def size_mb(path: Path) -> float:
    """Bytes under ``path`` (files only, links not followed), in MB."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            f = Path(root) / name
            if not f.is_symlink():
                total += f.stat().st_size
    return total / 1e6


def importable(venv: Path) -> list[str]:
    """Which of the cloud's and models' libraries the environment can import."""
    out = []
    for module in HEAVY:
        r = subprocess.run(
            [str(venv / "bin" / "python"), "-c", f"import {module}"],
            capture_output=True,
            check=False,
        )
        if r.returncode == 0:
            out.append(module)
    return out


def free_port() -> int:
    """A free loopback port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(folder: Path) -> tuple[Path, int]:
    """The example config with its token, spool and health port under ``folder``."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    port = free_port()
    token = folder / "gw.token"
    token.write_text("pwg_benchmark")
    doc["profiles_dir"] = str(EXAMPLE.parent / "profiles")
    doc["uplink"].update({"url": "http://127.0.0.1:9", "token_file": str(token)})
    doc["spool"]["path"] = str(folder / "spool.db")
    doc["health"]["port"] = port
    for link in doc["links"]:
        link["port"] = 9
    doc["mqtt"][0]["port"] = 9
    path = folder / "gw.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, port


def run_once(venv: Path, seconds: float) -> tuple[float, float]:
    """(start-up s, RSS MB after ``seconds``) of one gateway run."""
    with tempfile.TemporaryDirectory() as folder:
        path, port = config(Path(folder))
        began = time.perf_counter()
        proc = subprocess.Popen(
            [str(venv / "bin" / "plantwatch"), "gateway", "run", "--log-level", "ERROR", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = began + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"gateway in {venv} did not start")
                time.sleep(0.01)
            startup = time.perf_counter() - began
            time.sleep(seconds)
            rss = psutil.Process(proc.pid).memory_info().rss / 1e6
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return startup, rss


def main() -> None:
    """Measure both environments and print them side by side."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--edge-venv", type=Path, default=Path(tempfile.gettempdir()) / "pw-edge-venv")
    args = ap.parse_args()
    build_edge_venv(args.edge_venv)
    envs = {"plantwatch[edge]": args.edge_venv, "full (reference)": Path(sys.prefix)}
    rows = {}
    for name, venv in envs.items():
        runs = [run_once(venv, args.seconds) for _ in range(max(1, args.runs))]
        rows[name] = (
            size_mb(venv),
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            importable(venv),
        )
    print(f"{'environment':<18} {'size MB':>9} {'start-up s':>11} {'RSS MB':>8}  heavy libraries")
    for name, (size, startup, rss, heavy) in rows.items():
        print(f"{name:<18} {size:>9.0f} {startup:>11.2f} {rss:>8.1f}  {', '.join(heavy) or 'none'}")
    edge, full = rows["plantwatch[edge]"], rows["full (reference)"]
    print(
        f"{'edge / full':<18} {edge[0] / full[0]:>9.2f} {edge[1] / full[1]:>11.2f} "
        f"{edge[2] / full[2]:>8.2f}"
    )


if __name__ == "__main__":
    main()
