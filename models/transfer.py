"""A new site's first months: a model trained elsewhere scores a class until the site's own
failures teach a better one.

The donor (a model trained on the simulator's fleets or on another site's export) brings,
per class, its normaliser and its failure warner. A few months of a site cannot teach a
condition model (a season of outdoor temperatures, a term of occupancy), so the donor's
stays; the site's own data sets each residual's spread, so a residual of 2 means "twice
this site's typical residual" to the donor's warner as it did at home. A class whose
signals differ from the donor's is the site's alone.

Which model scores a class is decided on the site's validation period, never by a constant
count of failures: the site's supervised warner takes over when it ranks the class's
validation rows at least as well as the transferred warner (average precision over rows
with a failure within the horizon ahead) in at least ``TAKEOVER_SHARE`` of resamples of the
class's validation assets, and the donor stays while the site has no validation failure of
the class to judge by or its own warner learned no failure. Three validation failures
where the site's warner happened to rank one higher say little; the resamples say how
often the ranking holds when a failure more or less had fallen in the period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score

from models.asset_frames import AssetFrame
from models.data import Dataset
from models.normalise import ClassNormaliser
from models.pipeline import AssetRows, ClassModel, FleetModel, asset_rows, fit_health

Keep = Callable[[AssetRows], npt.NDArray[np.bool_]]
Period = tuple[int, int]
Scored = list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]]  # per asset: labels, scores

TAKEOVER_SHARE = 0.9  # one-sided: the site's warner ranks better in 9 resamples of 10
RESAMPLES = 200
TRANSFERRED = "transferred failure warner"  # how a class the donor scores says so


@dataclass(frozen=True)
class Choice:
    """Which model scores one class at this site, and the evidence."""

    asset_class: str
    source: str  # "site" or "donor"
    site_failures: int  # failures of the class in the site's training period
    validation_failures: int
    site_ap: float | None  # validation average precision of the site's own warner
    donor_ap: float | None
    site_share: float | None = None  # share of resamples where the site's ranks at least as well

    def reason(self) -> str:
        """The choice in words, as the registry and the class tables show it."""
        ap = f"validation average precision {_fmt(self.site_ap)} (site) vs {_fmt(self.donor_ap)}"
        ap += f" (transferred) over {self.validation_failures} failure(s)"
        if self.site_share is not None:
            ap += f", the site's at least as good in {self.site_share:.0%} of resamples"
        if self.source == "site":
            return f"site's failure warner ({self.site_failures} training failures): {ap}"
        if self.validation_failures == 0:
            why = "no validation failure of the class to judge the site's own warner by"
        elif self.site_ap is None:
            why = "the site's own warner learned no failure"
        else:
            why = ap
        return f"{TRANSFERRED} ({self.site_failures} training failures): {why}"


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def same_signals(site: ClassNormaliser, donor: ClassNormaliser) -> bool:
    """Whether the donor's warner can read this site's class: the same analog and status
    signals."""
    return site.analog == donor.analog and site.status == donor.status


def adapt(donor: ClassNormaliser, frames: list[AssetFrame], every: int = 3) -> ClassNormaliser:
    """The donor's normaliser with each residual channel rescaled to unit spread on the
    site's ``frames`` (a robust spread: the median absolute deviation), so the donor's
    warner reads this site's residuals in the units it learned."""
    out = replace(donor, scale=donor.scale.copy(), cross_scale=donor.cross_scale.copy())
    if not frames or not donor.analog:
        return out
    r = np.concatenate([donor.residuals(f)[::every] for f in frames]).astype(np.float64)
    enough = np.isfinite(r).sum(axis=0) >= 100
    if not enough.any():
        return out
    with np.errstate(all="ignore"):
        centre = np.nanmedian(r[:, enough], axis=0)
        spread = 1.4826 * np.nanmedian(np.abs(r[:, enough] - centre), axis=0)
    factor = np.ones(len(donor.analog))
    factor[enough] = np.where(np.isfinite(spread) & (spread > 1e-6), spread, 1.0)
    if donor.cross.size:  # residuals are divided by the cross scale last
        out.cross_scale = out.cross_scale * factor
    else:
        out.scale = out.scale * factor
    return out


def transferable(
    donor: FleetModel, norms: dict[str, ClassNormaliser], learn: list[AssetFrame]
) -> dict[str, ClassNormaliser]:
    """Per class the donor can score here (the same signals as the site's normaliser in
    ``norms``; a warner that learned failures): the donor's normaliser adapted to the
    site's frames ``learn``."""
    out = {}
    for cls, norm in sorted(norms.items()):
        cm = donor.classes.get(cls)
        if cm is not None and same_signals(norm, cm.norm) and cm.warner.learned_failures:
            out[cls] = adapt(cm.norm, [f for f in learn if f.asset_class == cls])
    return out


def _validation_rows(
    rows: list[AssetRows], proba: Callable[[AssetRows], npt.NDArray[np.float64]], period: Period
) -> tuple[dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]], int]:
    """Per asset, the labels and ``proba`` of the period's usable rows; and its failures."""
    out, failures = {}, 0
    for r in rows:
        m = r.labels.usable & (r.t >= period[0]) & (r.t < period[1])
        if m.any():
            out[r.asset] = (r.labels.y[m], proba(r)[m])
        failures += int(
            ((r.history.failures >= period[0]) & (r.history.failures < period[1])).sum()
        )
    return out, failures


def _ap(scored: Scored) -> float | None:
    """Average precision over the assets' rows pooled (None without a failure ahead)."""
    if not scored:
        return None
    y = np.concatenate([a for a, _ in scored])
    if not y.any():
        return None
    return float(average_precision_score(y, np.concatenate([p for _, p in scored])))


def site_share(mine: Scored, theirs: Scored, seed: int = 0) -> float:
    """Share of resamples (the assets drawn with replacement, the same draw for both) in
    which the site's warner (``mine``) ranks at least as well as the transferred one."""
    rng = np.random.default_rng(seed)
    wins = counted = 0
    for _ in range(RESAMPLES):
        pick = rng.integers(0, len(mine), len(mine))
        a, b = _ap([mine[i] for i in pick]), _ap([theirs[i] for i in pick])
        if a is not None and b is not None:
            counted += 1
            wins += a >= b
    return wins / counted if counted else 0.0


@dataclass(frozen=True)
class Transfer:
    """The donor at this site: per class it can score, its normaliser adapted to the site,
    and the site's feature rows as that normaliser makes them."""

    norms: dict[str, ClassNormaliser]
    rows: list[AssetRows]

    def only(self, classes: set[str]) -> Transfer:
        """The same for some classes."""
        return Transfer(
            {c: n for c, n in self.norms.items() if c in classes},
            [r for r in self.rows if r.asset_class in classes],
        )


def transfer(
    donor: FleetModel,
    ds: Dataset,
    frames: list[AssetFrame],
    norms: tuple[dict[str, ClassNormaliser], list[AssetFrame]],
    horizon_h: float,
    classes: set[str] | None = None,
) -> Transfer:
    """The donor adapted to the site (``norms``: the site's normalisers and the frames they
    learned from), for ``classes`` (default: every class it can score) and the site's rows
    of them from ``frames``."""
    adapted = transferable(donor, *norms)
    if classes is not None:
        adapted = {c: n for c, n in adapted.items() if c in classes}
    rows = asset_rows(
        ds, [f for f in frames if f.asset_class in adapted], adapted, donor.windows, horizon_h
    )
    return Transfer(adapted, rows)


def choose(
    donor: FleetModel,
    moved: Transfer,
    site: FleetModel,
    site_rows: list[AssetRows],
    periods: tuple[Period, int],
    judged: set[str],
    seed: int = 0,
) -> dict[str, Choice]:
    """Per class the donor could score (``moved``), site or donor (``periods``: validation
    and the end of training; ``judged``: the assets whose validation rows count)."""
    validation, train_end = periods
    out = {}
    for cls in sorted(moved.norms):
        mine = [r for r in site_rows if r.asset_class == cls and r.asset in judged]
        other = [r for r in moved.rows if r.asset_class == cls and r.asset in judged]
        trained = sum(int((r.history.failures < train_end).sum()) for r in mine)
        own = site.classes.get(cls)
        theirs, n_val = _validation_rows(other, donor.proba, validation)
        donor_ap = _ap(list(theirs.values()))
        site_ap = share = None
        if own is not None and own.warner.learned_failures:
            ours, _ = _validation_rows(mine, site.proba, validation)
            site_ap = _ap(list(ours.values()))
            both = sorted(ours.keys() & theirs.keys())
            paired = [ours[a] for a in both], [theirs[a] for a in both]
            if site_ap is not None and _ap(paired[1]) is not None:
                share = site_share(*paired, seed)
        takes_over = (
            site_ap is not None
            and n_val > 0
            and (donor_ap is None or (share is not None and share >= TAKEOVER_SHARE))
        )
        source = "site" if takes_over else "donor"
        out[cls] = Choice(cls, source, trained, n_val, site_ap, donor_ap, share)
    return out


def kept(choices: dict[str, Choice]) -> set[str]:
    """The classes the donor keeps."""
    return {c for c, ch in choices.items() if ch.source == "donor"}


def adopt(
    donor: FleetModel,
    moved: Transfer,
    choices: dict[str, Choice],
    fitted: tuple[dict[str, ClassModel], list[AssetRows]],
    keep: Keep,
    seed: int = 0,
) -> tuple[dict[str, ClassModel], list[AssetRows]]:
    """The site's models and rows (``fitted``) with each class the donor keeps scored by the
    donor's warner on its normaliser adapted to the site (``moved``), the health score
    fitted on the site's rows; every chosen class says why."""
    models, rows = fitted
    moved = moved.only(kept(choices))
    health = fit_health(moved.rows, sorted(moved.norms), keep, seed)
    out = {
        c: replace(m, source=choices[c].reason()) if c in choices else m for c, m in models.items()
    }
    for c, norm in moved.norms.items():
        d = donor.classes[c]
        out[c] = ClassModel(
            norm, d.warner, health.get(c, d.health), d.feature_names, source=choices[c].reason()
        )
    by_asset = {r.asset: r for r in moved.rows}
    return out, [by_asset.get(r.asset, r) for r in rows]


def donor_scored(fleet: FleetModel) -> list[str]:
    """The classes a donor's warner scores in ``fleet``."""
    return sorted(c for c, m in fleet.classes.items() if m.scored_by.startswith(TRANSFERRED))


def donor_alone(
    donor: FleetModel, norms: dict[str, ClassNormaliser], learn: list[AssetFrame]
) -> FleetModel:
    """The donor as the site's whole model while its history is too short to measure
    anything (``norms``: the site's normalisers, for its signals; ``learn``: the frames the
    donor's are rescaled on): every class it can score, at its own operating point."""
    why = f"{TRANSFERRED}: the site's history is too short for its own"
    classes = {
        c: replace(donor.classes[c], norm=n, source=why)
        for c, n in transferable(donor, norms, learn).items()
    }
    return replace(donor, classes=classes)
