"""Two processes putting versions in service at once (a retraining worker and a hand-run
``plantwatch model train``) never fail, and the marker always names one whole version."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.queues import Queue
from pathlib import Path

import pytest

from models.registry import IN_SERVICE, put_in_service

ROUNDS = 300


def _promote(registry: Path, version: str, results: Queue[str]) -> None:
    try:
        for _ in range(ROUNDS):
            put_in_service(registry, version)
        results.put("ok")
    except OSError as exc:
        results.put(repr(exc))


def test_two_processes_put_versions_in_service_together(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    results: Queue[str] = ctx.Queue()
    names = ("20260101T000000-aaaaaaaa", "20260101T000001-bbbbbbbb")
    procs = [ctx.Process(target=_promote, args=(tmp_path, v, results)) for v in names]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert outcomes == ["ok", "ok"]
    assert (tmp_path / IN_SERVICE).read_text().strip() in names
    assert [p.name for p in tmp_path.iterdir()] == [IN_SERVICE]  # no temporary file left


def test_the_marker_is_on_disk_before_and_after_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        real_fsync(fd)

    def replace(src: Path, dst: Path) -> None:
        steps.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    put_in_service(tmp_path, "20260101T000000-aaaaaaaa")
    assert [s[0] for s in steps] == ["fsync", "replace", "fsync"]
    assert steps[0][1].startswith(f".{IN_SERVICE}.") and steps[1][1] == IN_SERVICE
    assert steps[2][1] == tmp_path.name  # the directory that holds the rename
