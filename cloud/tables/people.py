"""Tables of the people: users, team memberships, sessions, sign-in failures, single-use
links and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.tables.base import Base, UtcDateTime, utcnow


class User(Base):
    """A person: who signs in, what they may do, how to reach them.

    ``username`` is the name work orders, the roster and history refer to."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    roles: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    sites: Mapped[str] = mapped_column(String(500), default="")  # comma-separated; empty: all
    # Where pages reach the person besides e-mail: an Alertmanager-format webhook (ntfy,
    # a chat bridge, an SMS gateway) and an MQTT topic on the alert broker.
    page_webhook: Mapped[str] = mapped_column(String(500), default="")
    page_topic: Mapped[str] = mapped_column(String(200), default="")
    # Any service Apprise knows (ntfy, Teams, Slack, an SMS gateway) by its URL: it may hold
    # a token, so the API says only whether it is set.
    page_apprise: Mapped[str] = mapped_column(String(500), default="")
    password_hash: Mapped[str | None] = mapped_column(String(500), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TeamMember(Base):
    """A user's membership of a team."""

    __tablename__ = "team_members"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True)


class WebSession(Base):
    """A signed-in browser: the cookie's secret is stored only as a keyed hash."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class SignInFailure(Base):
    """A failed sign-in, counted per user name for the rate limit."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ActionLink(Base):
    """A single-use, expiring link in a message (acknowledge an order, reset a password)."""

    __tablename__ = "action_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Attachment(Base):
    """A photo attached to a work order, kept on disk under the upload folder."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(64))
