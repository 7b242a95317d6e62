"""Printable QR labels for equipment, and the small chart of a warning's signals."""

from __future__ import annotations

import json
from datetime import timedelta
from html import escape

import segno
from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from cloud.api.deps import ClockDep, SessionDep, SettingsDep, StoreDep
from cloud.errors import Forbidden
from cloud.people.access import check_see
from cloud.people.users import PersonRole
from cloud.storage.base import SeriesTags
from cloud.tables import Asset, WarningRow
from cloud.web.deps import TEMPLATES, ViewerWeb, page
from cloud.workorders import order_records as orders

router = APIRouter(prefix="/app", include_in_schema=False)
WIDTH, HEIGHT, PAD = 480, 160, 6
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#741b47")


def signals_text(contributions: str) -> str:
    """A warning's contributing signals as one line."""
    items = json.loads(contributions or "[]")
    return (
        ", ".join(
            f"{c['signal']} {c['value']:.3g} (normal {c['normal']:.3g}, z {c['z']:.1f})"
            for c in items
        )
        or "not named by the model"
    )


TEMPLATES.env.filters["signals"] = signals_text


def label_svg(url: str) -> str:
    """The QR code of an asset's page, as inline SVG."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2)


@router.get("/labels")
def labels(
    request: Request, viewer: ViewerWeb, session: SessionDep, settings: SettingsDep
) -> Response:
    """A sheet of QR labels, one per piece of equipment, to print and stick on."""
    if not viewer.person.has(PersonRole.DISPATCHER, PersonRole.ADMIN):
        raise Forbidden("labels are printed by dispatchers and admins", "not_allowed")
    assets = [
        a
        for a in session.scalars(select(Asset).where(Asset.retired.is_(False)).order_by(Asset.id))
        if viewer.person.reaches_site(a.site)
    ]
    base = settings.public_url.rstrip("/")
    sheet = [(a, label_svg(f"{base}/app/report?asset={a.id}")) for a in assets]
    return page(request, "labels.html", viewer, sheet=sheet)


def polyline_svg(series: dict[str, list[tuple[float, float]]], start: float, end: float) -> str:
    """Each signal scaled to its own range, over [start, end] seconds: a sparkline chart."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff" stroke="#ccc"/>',
    ]
    span = max(end - start, 1.0)
    for k, (name, points) in enumerate(sorted(series.items())):
        values = [v for _, v in points]
        if not values:
            continue
        lo, hi = min(values), max(values)
        rng = (hi - lo) or 1.0
        xy = " ".join(
            f"{PAD + (t - start) / span * (WIDTH - 2 * PAD):.1f},"
            f"{HEIGHT - PAD - (v - lo) / rng * (HEIGHT - 2 * PAD):.1f}"
            for t, v in points
        )
        colour = COLOURS[k % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{xy}"/>')
        parts.append(
            f'<text x="{PAD + 4}" y="{16 + 14 * k}" font-size="12" fill="{colour}">'
            f"{escape(name)} {lo:.3g} to {hi:.3g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/orders/{order_id}/chart.svg")
def chart(
    order_id: int, viewer: ViewerWeb, session: SessionDep, store: StoreDep, clock: ClockDep
) -> Response:
    """The warning's contributing signals over the 48 hours before now."""
    row = orders.get(session, order_id)
    check_see(session, viewer.person, row)
    warning = session.scalar(select(WarningRow).where(WarningRow.work_order_id == row.id))
    asset = session.get(Asset, row.asset_id)
    names = [c["signal"] for c in json.loads(warning.contributions or "[]")] if warning else []
    end = clock.now()
    start = end - timedelta(hours=48)
    series: dict[str, list[tuple[float, float]]] = {n: [] for n in names[:4]}
    if asset is not None and series:
        tags = SeriesTags(asset.asset_class, asset.site, asset.building, asset.room, asset.id)
        for s in store.window([tags], list(series), start, end):
            if s.value is not None and s.signal in series:
                series[s.signal].append((s.ts.timestamp(), s.value))
    svg = polyline_svg(series, start.timestamp(), end.timestamp())
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
