"""People as the API takes and shows them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cloud.people.users import PersonRole


class UserPut(BaseModel):
    """A user as an admin sets them (teams and roles replace the old ones)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    language: str = Field(default="en", pattern="^(en|zh)$")
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    roles: list[PersonRole] = Field(default=[PersonRole.REQUESTER], max_length=5)
    teams: list[str] = Field(default=[], max_length=50)
    sites: list[str] = Field(default=[], max_length=200)
    password: str | None = Field(default=None, min_length=10, max_length=200)
    page_webhook: str = Field(default="", max_length=500, description="Alertmanager-format URL")
    page_topic: str = Field(default="", max_length=200, description="MQTT topic for pages")


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
    can_sign_in: bool
