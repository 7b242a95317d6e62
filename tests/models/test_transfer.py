"""A new site scored by a model trained elsewhere until its own warner does better."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sklearn
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from models.asset_frames import AssetFrame
from models.compare import (
    BASELINES,
    baseline_points,
    precision_at,
    recall_at,
    recall_key,
    same_false_alarms,
    same_recall,
)
from models.data import load_dataset
from models.evaluate import TUNING_FAILURES, Evaluation, Protocol, outcome, run_protocol
from models.normalise import ClassNormaliser
from models.pipeline import AssetRows, FleetModel
from models.registry import in_service as registry_in_service
from models.registry import load, save
from models.retrain import retrain
from models.small_site import out_of_fold
from models.threads import FIT_THREADS
from models.transfer import TAKEOVER_SHARE, adapt, same_signals, site_share
from models.warning_rule import gated
from models.windows import Windows
from plantwatch.cli import app


@pytest.fixture(scope="module")
def evaluated(donor: FleetModel, site_dir: Path) -> Evaluation:
    return run_protocol(load_dataset(site_dir), Protocol(), Windows(), None, None, donor)


def _frames(n: int, spread: float, seed: int) -> list[AssetFrame]:
    rng = np.random.default_rng(seed)
    t = np.arange(0, 20 * 86_400, 600, dtype=np.int64)
    out = []
    for a in range(n):
        common = rng.normal(0, spread, len(t))  # the two signals move together, as physics ties
        x = np.column_stack(
            [
                50 + common + rng.normal(0, spread, len(t)),
                20 + common + rng.normal(0, spread, len(t)),
            ]
        )
        out.append(AssetFrame(f"a{a}", "test_class", t, ("flow", "head"), x.astype(np.float32)))
    return out


def _mad(r: np.ndarray) -> np.ndarray:
    return np.asarray(1.4826 * np.nanmedian(np.abs(r - np.nanmedian(r, axis=0)), axis=0))


def _assets(rng: np.random.Generator, n: int, sharp: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per asset: 500 rows, the last 10 before a failure, scored with that much signal."""
    y = np.zeros(500, bool)
    y[-10:] = True
    return [(y, rng.normal(0.0, 1.0, 500) + sharp * y) for _ in range(n)]


def test_the_sites_warner_takes_over_when_its_ranking_holds_across_resamples() -> None:
    rng = np.random.default_rng(2)
    clear, weak = _assets(rng, 12, 4.0), _assets(rng, 12, 1.0)
    assert site_share(clear, weak) >= TAKEOVER_SHARE  # better on every asset
    assert site_share(weak, clear) == 0.0
    # Three failures, each warner best on a different one: the pooled ranking may favour
    # either, but not in nine resamples of ten.
    a, b = _assets(rng, 3, 2.0), _assets(rng, 3, 2.0)
    a[0], b[1] = (a[0][0], a[0][1] + 3.0 * a[0][0]), (b[1][0], b[1][1] + 3.0 * b[1][0])
    assert 0.1 < site_share(a, b) < TAKEOVER_SHARE
    assert site_share(a, b, seed=0) == site_share(a, b, seed=0)  # seeded: the same answer


def test_the_donors_normaliser_reads_the_site_in_its_own_units() -> None:
    donor = ClassNormaliser("test_class").fit(_frames(4, 1.0, 0))
    site = _frames(3, 3.0, 1)  # three times the noise of the donor's assets
    before = _mad(np.concatenate([donor.residuals(f) for f in site]))
    adapted = adapt(donor, site)
    after = _mad(np.concatenate([adapted.residuals(f) for f in site]))
    assert np.all(before > 2.5) and np.allclose(after, 1.0, atol=0.05)
    assert np.array_equal(adapted.coef, donor.coef) and adapted.analog == donor.analog
    assert not np.array_equal(donor.cross_scale, adapted.cross_scale)  # the donor is untouched
    assert same_signals(ClassNormaliser("test_class").fit(site), donor)
    assert not same_signals(ClassNormaliser("test_class", analog=["flow"]), donor)


def test_each_class_is_scored_by_the_model_validation_prefers_and_says_why(
    evaluated: Evaluation, donor: FleetModel
) -> None:
    ev = evaluated
    assert set(ev.choices) == set(donor.classes) & {r.asset_class for r in ev.rows}
    for cls, choice in ev.choices.items():
        cm = ev.fleet.classes[cls]
        site_wins = (
            choice.site_ap is not None
            and choice.validation_failures > 0
            and (
                choice.donor_ap is None
                or (choice.site_share is not None and choice.site_share >= TAKEOVER_SHARE)
            )
        )
        assert choice.source == ("site" if site_wins else "donor")
        assert cm.scored_by == choice.reason()
        if choice.source == "donor":
            assert cm.warner is donor.classes[cls].warner
            assert cm.scored_by.startswith("transferred failure warner")
            # the donor's normaliser, its residuals rescaled to the site's spread
            d = donor.classes[cls].norm
            assert np.array_equal(cm.norm.coef, d.coef) and cm.norm.sig_modes == d.sig_modes
            assert not np.array_equal(cm.norm.cross_scale, d.cross_scale)
            assert cm.feature_names == donor.classes[cls].feature_names
        else:
            assert cm.warner is not donor.classes[cls].warner
    assert any(c.source == "donor" for c in ev.choices.values())


def test_a_site_too_small_to_tune_keeps_the_donors_operating_point(
    evaluated: Evaluation, donor: FleetModel
) -> None:
    ev = evaluated
    n_val = outcome(ev, "model", "validation", ev.thresholds["model"], 2).failures
    assert n_val < TUNING_FAILURES
    assert ev.thresholds["model"] == donor.threshold
    assert ev.fleet.ttf_gate_h == donor.ttf_gate_h
    assert ev.operating_point.startswith("the donor's")


def test_a_small_site_alone_chooses_its_point_over_training_out_of_fold_and_validation(
    site_alone: Evaluation,
) -> None:
    ev = site_alone
    n_val = outcome(ev, "model", "validation", ev.thresholds["model"], 1).failures
    assert n_val < TUNING_FAILURES and not ev.choices
    pooled = int(ev.operating_point.split(": ")[1].split(" ")[0])
    assert ev.operating_point.startswith("chosen over the training period (out of fold)")
    assert pooled > n_val  # the training period's failures count too
    # the model warns at that point with the site's own scores, gated as chosen
    gate = ev.fleet.ttf_gate_h
    for p, ttf, s in zip(ev.scores["probability"], ev.ttf_median, ev.scores["model"], strict=True):
        assert np.array_equal(s, gated(p, ttf, gate))
    train_end = ev.periods["validation"][0] - 48 * 3600 - Windows().longest_s
    label_end = train_end - 48 * 3600

    def keep(r: AssetRows) -> np.ndarray:
        return np.asarray(r.t < label_end)

    proba, _ = out_of_fold(ev, {c: m.norm for c, m in ev.fleet.classes.items()}, keep, 0)
    seen = ev.split_assets["validation"]
    changed = 0
    for i in seen:
        r, own = ev.rows[i], ev.scores["probability"][i]
        assert np.array_equal(proba[i][~keep(r)], own[~keep(r)])  # beyond training: the site's
        changed += int((proba[i][keep(r)] != own[keep(r)]).sum())
    assert changed > 0  # in training: a warner that never learned from the asset


def test_baselines_are_compared_at_the_models_false_alarms(evaluated: Evaluation) -> None:
    same = same_false_alarms(evaluated)
    for split, row in same.items():
        key = recall_key(evaluated.table[split]["model"])
        fa = row["false_alarms_per_asset_month"]
        for b in ("isolation_forest", "static_threshold"):
            assert 0.0 <= row[b] <= recall_at(evaluated, b, split, float("inf"), key) <= 1.0
            tuned = evaluated.table[split][b]
            if (tuned["false_alarms_per_asset_month"] or 0.0) <= fa:  # its own point qualifies
                assert row[b] >= (tuned[key] or 0.0)
        assert row["margin"] == pytest.approx(
            row["model"] - max(row["isolation_forest"], row["static_threshold"])
        )


def test_baselines_are_compared_at_the_models_recall(evaluated: Evaluation) -> None:
    points = baseline_points(evaluated)
    at = same_recall(evaluated, points)
    for split, row in at.items():
        key = row["recall"]
        recall = row["model"][key]
        assert row["model"]["precision"] == evaluated.table[split]["model"]["precision"]
        for b in BASELINES:
            reach = [p for p in points[b, split] if (p[key] or 0.0) >= recall - 1e-12]
            if not reach:
                assert row[b]["precision"] is None
                assert all((p[key] or 0.0) < recall for p in points[b, split])
            else:
                assert row[b]["precision"] == max((p["precision"] or 0.0) for p in reach)


def test_precision_at_a_recall_is_the_best_point_that_reaches_it() -> None:
    points = [
        {"recall": 0.5, "precision": 0.9, "false_alarms_per_asset_month": 0.01},
        {"recall": 0.8, "precision": 0.4, "false_alarms_per_asset_month": 0.30},
        {"recall": 0.9, "precision": 0.4, "false_alarms_per_asset_month": 0.20},
        {"recall": 0.95, "precision": 0.2, "false_alarms_per_asset_month": 0.60},
    ]
    # 0.9 precision only at half the recall: at 0.8 the tie goes to fewer false alarms
    assert precision_at(points, 0.8, "recall") == {
        "precision": 0.4,
        "false_alarms_per_asset_month": 0.2,
    }
    assert precision_at(points, 0.95, "recall")["precision"] == 0.2
    assert precision_at(points, 0.96, "recall") == {
        "precision": None,
        "false_alarms_per_asset_month": None,
    }


def test_evaluate_with_a_donor_prints_the_choices_and_the_same_false_alarm_table(
    donor: FleetModel, site_dir: Path, tmp_path: Path, evaluated: Evaluation
) -> None:
    version = save(tmp_path / "donor", donor, {})
    runner = CliRunner()
    args = ["model", "evaluate", str(site_dir), "--json", "--donor", str(tmp_path / "donor")]
    # under one thread, the same answer to the last digit as the fixture's default threads
    with threadpool_limits(limits=1):
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["donor"] == str(tmp_path / "donor") and body["donor_version"] == version
    assert body["splits"] == json.loads(json.dumps(evaluated.table))
    assert body["thresholds"] == json.loads(json.dumps(evaluated.thresholds))
    assert body["scored_by"] == {c: m.scored_by for c, m in evaluated.fleet.classes.items()}
    assert body["operating_point"].startswith("the donor's")
    assert body["thresholds"]["model"] == donor.threshold
    assert any(v.startswith("transferred failure warner") for v in body["scored_by"].values())
    # The donor was stored without a measurement, and scores a class here: the site is told.
    assert body["donor_at_home"] is None and "without a measurement" in body["donor_caution"]
    assert "caution" in result.stderr
    for split in ("test_time", "test_assets"):
        row = body["same_false_alarms"][split]
        assert row["margin"] == pytest.approx(
            row["model"] - max(row["isolation_forest"], row["static_threshold"])
        )
        at = body["same_recall"][split]
        assert set(at) == {"recall", "model", "isolation_forest", "static_threshold"}
    assert body["computed_with"]["numpy"] == np.__version__
    assert body["computed_with"]["scikit-learn"] == sklearn.__version__


def test_retraining_a_transferred_model_keeps_its_donor(
    donor: FleetModel, site_dir: Path, tmp_path: Path
) -> None:
    save(tmp_path / "donor", donor, {})
    site = tmp_path / "site"
    ds = load_dataset(site_dir)
    first, _ = retrain(ds, site_dir, site, donor_dir=tmp_path / "donor")
    stored, meta = load(site, first)
    assert meta["donor"] == str(tmp_path / "donor")
    # each class is stored with the model that scores it and why; a kept class, the donor's
    kept = [c for c, why in meta["scored_by"].items() if why.startswith("transferred")]
    assert kept and all(stored.classes[c].scored_by == meta["scored_by"][c] for c in stored.classes)
    rng = np.random.default_rng(0)
    for cls in kept:
        x = rng.normal(size=(50, len(donor.classes[cls].feature_names)))
        mine, theirs = stored.classes[cls].warner, donor.classes[cls].warner
        np.testing.assert_array_equal(mine.predict_proba(x), theirs.predict_proba(x))
        np.testing.assert_array_equal(mine.predict_ttf(x), theirs.predict_ttf(x))
    assert meta["donor_version"] == registry_in_service(tmp_path / "donor")
    # The scheduled round names no donor: the model in service's is used again.
    second, _ = retrain(ds, site_dir, site)
    _, meta = load(site, second)
    assert meta["donor"] == str(tmp_path / "donor")
    assert any(v.startswith("transferred failure warner") for v in meta["scored_by"].values())
    # what the model was computed with is stored beside it
    assert meta["computed_with"]["numpy"] == np.__version__
    assert meta["computed_with"]["fit_threads"] == FIT_THREADS
    # and the vector kernels: the same CPU name can hide AVX-512 on one machine, AVX2 on another
    from numpy._core._multiarray_umath import __cpu_features__

    assert __cpu_features__[meta["computed_with"]["simd"]]
    assert "openblas" in meta["computed_with"]["blas"]
