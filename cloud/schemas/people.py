"""People as the API takes and shows them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloud.people.users import PersonRole

Plain = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]  # no control chars


class UserPut(BaseModel):
    """A user as an admin sets them (teams and roles replace the old ones)."""

    model_config = ConfigDict(extra="forbid")
    name: Plain = Field(default="", max_length=200)
    email: Plain = Field(default="", max_length=254)
    phone: Plain = Field(default="", max_length=40)
    language: str = Field(default="en", pattern="^(en|zh)$")
    timezone: Plain = Field(default="UTC", min_length=1, max_length=64)
    roles: list[PersonRole] = Field(default=[PersonRole.REQUESTER], max_length=5)
    teams: list[Plain] = Field(default=[], max_length=50)
    sites: list[Plain] = Field(default=[], max_length=200)
    password: str | None = Field(default=None, min_length=10, max_length=200)
    page_webhook: Plain = Field(default="", max_length=500, description="Alertmanager-format URL")
    page_topic: Plain = Field(default="", max_length=200, description="MQTT topic for pages")
    page_apprise: Plain | None = Field(
        default=None,
        max_length=500,
        description="Apprise URL for pages (ntfy, Teams, SMS...); absent: unchanged, '': none",
    )


class UserPublic(BaseModel):
    """A user as the API shows them (never a password or its hash)."""

    username: str
    name: str
    email: str
    phone: str
    language: str
    timezone: str
    roles: list[str]
    teams: list[str]
    sites: list[str]
    page_webhook: str
    page_topic: str
    page_apprise_set: bool  # the URL itself may hold a token and is never shown
    can_sign_in: bool
