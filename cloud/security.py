"""Tokens and API keys: random secrets shown once, stored as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

GATEWAY_TOKEN_PREFIX = "pwg_"
API_KEY_PREFIX = "pwk_"


class Role(StrEnum):
    """What an API key may do, each role including the ones below it."""

    VIEWER = "viewer"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Order of privilege."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True when this role includes ``needed``."""
        return self.rank >= needed.rank


def new_secret(prefix: str) -> str:
    """A fresh high-entropy secret (256 bits) with a readable prefix."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str, pepper: str) -> str:
    """Keyed hash of a secret: a leaked table alone cannot check guesses.

    The secrets are random 256-bit strings, so one HMAC round is enough (no password stretching).
    """
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters of a secret, safe to list."""
    return secret[:12]
