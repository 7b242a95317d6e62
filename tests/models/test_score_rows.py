"""The protocol's scores are each scorer's own, the time to failure read where the
probability is above zero."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.asset_frames import build_frames
from models.data import load_dataset
from models.evaluate import score_rows, static_score
from models.pipeline import asset_rows, fit_normalisers
from models.train import fit
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    export(Simulation(synthetic_fleet(10, seed=4), horizon_days=120), root, 600)
    return root


def test_scores_are_each_scorers_own(fleet: Path) -> None:
    ds = load_dataset(fleet)
    frames = build_frames(ds, 600)
    rows = asset_rows(ds, frames, fit_normalisers(ds, frames))
    model = fit(ds, threshold=0.3)
    scores, ttf = score_rows(model, rows)
    names = {cls: cm.feature_names for cls, cm in model.classes.items()}
    risky = 0
    for i, r in enumerate(rows):
        p = model.proba(r)
        assert np.array_equal(scores["model"][i], p)
        assert np.array_equal(scores["isolation_forest"][i], model.health(r))
        assert np.array_equal(scores["static_threshold"][i], static_score(r, names[r.asset_class]))
        # the median time to failure is read where the probability is above zero, only
        on = p > 0
        assert np.array_equal(ttf[i][on], model.ttf_median(r)[on], equal_nan=True)
        assert np.isnan(ttf[i][~on]).all()
        risky += int(on.sum())
    assert risky > 0
