"""C-MAPSS: the loader, the pipeline and `plantwatch model cmapss` on NASA's FD001 data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models import cmapss as cm
from models.data import DataError
from plantwatch.cli import app

FD001 = Path(__file__).resolve().parents[2] / "datasets" / "cmapss" / "train_FD001.txt"


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, np.ndarray]:
    """Engines 1-80 to train on; 81-100 cut before failure as a standard test file."""
    assert FD001.is_file(), f"{FD001} is missing (NASA C-MAPSS FD001 training set)"
    root = tmp_path_factory.mktemp("cmapss")
    lines = FD001.read_text().splitlines()
    unit = np.array([int(line.split()[0]) for line in lines])
    (root / "train.txt").write_text("\n".join(np.array(lines)[unit <= 80]) + "\n")
    runs = cm.subset(cm.load_runs(FD001), np.arange(81, 101))
    cut, rul = cm.truncate(runs, seed=4)
    keep = [i for i, u in enumerate(unit) if u > 80]
    rows = np.array(lines)[keep]
    mask = np.zeros(len(rows), dtype=bool)
    for u in cut.units():
        n = int((cut.unit == u).sum())
        mask[np.flatnonzero(unit[keep] == u)[:n]] = True
    (root / "test.txt").write_text("\n".join(rows[mask]) + "\n")
    (root / "rul.txt").write_text("\n".join(str(int(r)) for r in rul) + "\n")
    return root / "train.txt", root / "test.txt", root / "rul.txt", rul


def test_cli_reports_the_standard_metrics(split: tuple[Path, Path, Path, np.ndarray]) -> None:
    train, test, rul_file, rul = split
    r = CliRunner().invoke(
        app,
        [
            "model",
            "cmapss",
            "--train",
            str(train),
            "--test",
            str(test),
            "--rul",
            str(rul_file),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"rul_rmse", "within30_precision", "within30_recall", "predictions"}
    assert sorted(int(u) for u in out["predictions"]) == list(range(81, 101))
    pred = np.array([out["predictions"][str(u)] for u in range(81, 101)])
    assert np.isclose(out["rul_rmse"], np.sqrt(np.mean((pred - rul) ** 2)), atol=0.01)
    # far better than predicting the mean remaining life for every engine
    assert out["rul_rmse"] < 0.6 * float(np.sqrt(np.mean((rul - rul.mean()) ** 2)))
    # two of these twenty engines fail within 30 cycles: the classifier finds at least one
    # and raises no more false answers than right ones
    assert (rul <= 30).sum() == 2
    assert out["within30_recall"] >= 0.5 and out["within30_precision"] >= 0.5


def test_bad_files_are_named_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 1 0 0 100 " + " ".join(["1.0"] * 21) + "\n1 2 0 0\n")
    with pytest.raises(DataError, match=r"bad.txt:2: expected 26 columns, found 4"):
        cm.load_runs(bad)
    r = CliRunner().invoke(app, ["model", "cmapss", "--train", str(bad)])
    assert r.exit_code == 2 and "bad.txt:2" in r.output
    bad.write_text("1 1 0 0 100 " + " ".join(["nan"] + ["1.0"] * 20) + "\n")
    with pytest.raises(DataError, match=r"bad.txt:1: a value is not a finite number"):
        cm.load_runs(bad)


def test_metrics_of_the_within_30_question() -> None:
    m = cm.metrics(np.array([10.0, 50.0, 25.0, 100.0]), np.array([20.0, 20.0, 40.0, 100.0]))
    assert m["within30_precision"] == 0.5 and m["within30_recall"] == 0.5
    assert m["rul_rmse"] == round(float(np.sqrt((100 + 900 + 225) / 4)), 3)
    # the classifier's answers, when given, decide instead of the predicted life
    flagged = cm.metrics(
        np.array([10.0, 50.0, 25.0, 100.0]),
        np.array([20.0, 20.0, 40.0, 100.0]),
        np.array([True, False, True, False]),
    )
    assert flagged["within30_precision"] == 1.0 and flagged["within30_recall"] == 1.0
    assert flagged["rul_rmse"] == m["rul_rmse"]


def test_features_of_a_cut_run_are_the_full_run_s_first_rows() -> None:
    """No look-ahead: the engine's start level and smoothed levels use only cycles seen so far."""
    runs = cm.subset(cm.load_runs(FD001), np.arange(1, 6))
    cut, _ = cm.truncate(runs, seed=1)
    full, part = cm.features(runs), cm.features(cut)
    for u in cut.units():
        n = int((cut.unit == u).sum())
        np.testing.assert_allclose(part[cut.unit == u], full[runs.unit == u][:n], rtol=1e-9)
    assert full.shape[1] == cm.n_plain_features() + len(cm.SENSORS) * 4
