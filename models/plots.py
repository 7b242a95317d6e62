"""Pictures of an evaluation: precision/recall by threshold, lead times, one caught failure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt
import numpy as np

from models.asset_frames import AssetFrame
from models.evaluate import Evaluation, outcome
from models.features import explain
from models.warning_rule import warning_starts


def precision_recall(ev: Evaluation, path: Path, split: str) -> None:
    """Precision, recall and false alarms against the warning threshold."""
    thresholds = np.linspace(0.05, 0.95, 19)
    rows = [
        outcome(ev, "model", split, float(t), ev.fleet.consecutive).as_dict() for t in thresholds
    ]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(thresholds, [r["recall"] or 0 for r in rows], label="event recall")
    ax.plot(thresholds, [r["precision"] or 0 for r in rows], label="warning precision")
    ax.plot(
        thresholds,
        [r["false_alarms_per_asset_month"] or 0 for r in rows],
        label="false alarms / asset-month",
    )
    ax.axvline(ev.fleet.threshold, color="grey", ls="--", label="chosen on validation")
    ax.set_xlabel("warning threshold (calibrated probability)")
    ax.set_title(f"Model warnings by threshold ({split.replace('_', ' ')})")
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def lead_times(leads: list[float], path: Path) -> None:
    """Histogram of hours between a caught failure and its warning."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(leads, bins=list(range(0, 50, 3)), color="tab:blue", edgecolor="white")
    if leads:
        ax.axvline(float(np.median(leads)), color="black", ls="--", label="median")
        ax.legend()
    ax.set_xlabel("lead time (hours before the failure)")
    ax.set_ylabel("caught failures")
    ax.set_title("How early failures were warned about")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def timeline(ev: Evaluation, frame: AssetFrame, index: int, failure: int, path: Path) -> None:
    """One caught failure: risk, the warning and the top contributing signals over a week."""
    rows = ev.rows[index]
    span = (rows.t >= failure - 7 * 86_400) & (rows.t <= failure + 3600)
    p = ev.scores["model"][index]
    starts = warning_starts(
        rows.t, p, rows.labels.usable, ev.fleet.threshold, ev.fleet.warning_rule()
    )
    cm = ev.fleet.classes[rows.asset_class]
    cut = int(np.searchsorted(frame.t, failure - 3600))
    window = AssetFrame(frame.asset, frame.asset_class, frame.t[:cut], frame.signals, frame.x[:cut])
    top = [c[0] for c in explain(cm.norm, window, ev.fleet.windows)][:3]
    fig, axes = plt.subplots(len(top) + 1, 1, figsize=(9, 2.2 * (len(top) + 1)), sharex=True)
    axes = np.atleast_1d(axes)
    hours = (rows.t[span] - failure) / 3600
    raw = ev.scores.get("probability", ev.scores["model"])[index]
    gate = ev.fleet.ttf_gate()
    axes[0].plot(hours, raw[span], color="tab:grey", lw=0.8, label="probability")
    axes[0].plot(
        hours,
        p[span],
        color="tab:red",
        label="warning score"
        + (f" (0 until failure is expected within {gate:.0f} h)" if gate is not None else ""),
    )
    axes[0].axhline(ev.fleet.threshold, color="grey", ls="--")
    axes[0].legend(loc="upper left", fontsize=7)
    for s in starts[(starts >= failure - 7 * 86_400) & (starts <= failure)]:
        for ax in axes:
            ax.axvline((s - failure) / 3600, color="tab:orange", ls=":")
    axes[0].set_ylabel("P(fail < 48 h)")
    when = datetime.fromtimestamp(failure, UTC).strftime("%Y-%m-%d %H:%M")
    axes[0].set_title(f"{frame.asset}: failure at {when} UTC (0 h); warning dotted")
    fspan = (frame.t >= failure - 7 * 86_400) & (frame.t <= failure)
    for ax, sig in zip(axes[1:], top, strict=True):
        ax.plot((frame.t[fspan] - failure) / 3600, frame.column(sig)[fspan], lw=0.7)
        ax.set_ylabel(sig, fontsize=8)
    axes[-1].set_xlabel("hours relative to the failure")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(ev: Evaluation, frames: list[AssetFrame], out: Path) -> list[Path]:
    """All three pictures into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "precision_recall.png", out / "lead_times.png"]
    precision_recall(ev, written[0], "test_time")
    o = outcome(ev, "model", "test_assets", ev.fleet.threshold, ev.fleet.consecutive)
    lead_times(o.leads_h, written[1])
    by_asset = {f.asset: f for f in frames}
    h = int(ev.fleet.horizon_h * 3600)
    for i in ev.split_assets["test_assets"]:
        r = ev.rows[i]
        starts = warning_starts(
            r.t, ev.scores["model"][i], r.labels.usable, ev.fleet.threshold, ev.fleet.warning_rule()
        )
        for f in r.history.failures:
            if ((starts >= f - h) & (starts <= f - 6 * 3600)).any():
                path = out / "caught_failure.png"
                timeline(ev, by_asset[r.asset], i, int(f), path)
                return [*written, path]
    return written
