"""Page the person on duty: an e-mail in their language and time zone, with a single-use
link that acknowledges the order and a link that opens it.

Who is paged: the order's assignee (the router picks the least-loaded technician on duty
from the roster), else the team lead; when the order escalates, the team lead (level 1)
and then the supervisor (level 2). Templates are files (``<dir>/page_<language>.txt``)
an operator may replace with ``PLANTWATCH_PAGE_TEMPLATES``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.people.sessions import issue_link
from cloud.settings import Settings
from cloud.tables import Asset, Team, User, WarningRow, WorkOrderRow
from cloud.workorders.order_records import aware

log = logging.getLogger("plantwatch.cloud.paging")
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Page:
    """One message to one person."""

    to: str
    subject: str
    body: str


def _recipient(session: Session, order: WorkOrderRow, level: int) -> User | None:
    team = session.get(Team, order.team_id) if order.team_id else None
    lead, supervisor = (team.lead, team.supervisor) if team is not None else (None, None)
    names = {0: (order.assignee, lead), 1: (lead, supervisor)}.get(level, (supervisor,))
    for name in names:
        if name:
            user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
            if user is not None and user.email:
                return user
    return None


class Pager:
    """Builds and sends pages through the SMTP relay the settings name."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        folder = settings.page_templates or str(TEMPLATES)
        self.env = Environment(
            loader=FileSystemLoader([folder, str(TEMPLATES)]),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text mail
            keep_trailing_newline=True,
        )

    def compose(
        self, session: Session, order_id: int, now: datetime, level: int = 0
    ) -> Page | None:
        """The page for an order's person on duty, or at an escalation ``level`` its team
        lead (1) or supervisor (2); None when nobody can be reached."""
        order = session.get(WorkOrderRow, order_id)
        if order is None:
            return None
        user = _recipient(session, order, level)
        if user is None:
            log.warning("work order %d: nobody on duty with an e-mail address to page", order_id)
            return None
        minutes = self.settings.page_link_minutes
        secret = issue_link(
            session,
            user,
            "acknowledge",
            self.settings.secret_key,
            now,
            order.id,
            timedelta(minutes=minutes),
        )
        zone = ZoneInfo(user.timezone)
        base = self.settings.public_url.rstrip("/")
        language = user.language if (TEMPLATES / f"page_{user.language}.txt").exists() else "en"
        body = self.env.get_template(f"page_{language}.txt").render(
            order=order,
            asset=session.get(Asset, order.asset_id),
            warning=session.scalar(select(WarningRow).where(WarningRow.work_order_id == order.id)),
            acknowledge_by=aware(order.acknowledge_by).astimezone(zone).strftime("%H:%M %Z"),
            on_site_by=aware(order.on_site_by).astimezone(zone).strftime("%H:%M %Z"),
            escalated=level,
            minutes=minutes,
            ack_url=f"{base}/app/l/{secret}",
            open_url=f"{base}/app/orders/{order.id}",
        )
        subject = f"[{order.priority}] work order {order.id}: {order.title}"
        if level:
            subject = f"ESCALATED: {subject}"
        return Page(user.email, subject, body)

    def _send(self, page: Page) -> None:
        s = self.settings
        assert s.alert_smtp_host is not None
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = page.subject, s.alert_email_from, page.to
        msg.set_content(page.body)
        with smtplib.SMTP(s.alert_smtp_host, s.alert_smtp_port, timeout=10) as smtp:
            if s.alert_smtp_starttls:
                smtp.starttls()
            if s.alert_smtp_user:
                smtp.login(s.alert_smtp_user, s.alert_smtp_password)
            smtp.send_message(msg)

    async def page(self, order_id: int, level: int = 0) -> Page | None:
        """Page the person on duty for an order (or, escalated, its lead or supervisor);
        failures are logged, never raised."""
        if not self.settings.alert_smtp_host:
            return None
        try:
            with self.sessions() as session:
                page = self.compose(session, order_id, datetime.now(UTC), level)
            if page is not None:
                await asyncio.to_thread(self._send, page)
                log.info("paged %s for work order %d", page.to, order_id)
            return page
        except Exception as exc:  # a page that fails must not stop the caller's work
            log.error("paging for work order %d failed: %s", order_id, exc)
            return None
