"""The cloud's domain errors, raised by crud and record functions and never by HTTP code.

The API turns each into one answer (``cloud/api/errors.py``): ``NotFound`` 404, ``Conflict``
409, ``Invalid`` 422, ``Forbidden`` 403, ``TooMany`` 429, with the ``reason`` as the answer's
machine-readable reason and metrics label.
"""

from __future__ import annotations


class NotFound(LookupError):
    """No such record (an asset, a gateway, a work order, a warning...)."""

    def __init__(self, detail: str, reason: str = "not_found") -> None:
        super().__init__(detail)
        self.detail, self.reason = detail, reason


class Conflict(ValueError):
    """The change contradicts what is stored."""

    def __init__(self, detail: str, reason: str = "conflict") -> None:
        super().__init__(detail)
        self.detail, self.reason = detail, reason


class Invalid(ValueError):
    """The change names something that does not fit (an unknown team, an empty shift)."""

    def __init__(self, detail: str, reason: str = "invalid") -> None:
        super().__init__(detail)
        self.detail, self.reason = detail, reason


class Forbidden(PermissionError):
    """The person may not see or do this (their roles, teams or sites do not reach it)."""

    def __init__(self, detail: str, reason: str = "forbidden") -> None:
        super().__init__(detail)
        self.detail, self.reason = detail, reason


class TooMany(RuntimeError):
    """Too many attempts in a short time (sign-in): wait ``retry_after_s``."""

    def __init__(self, detail: str, retry_after_s: int, reason: str = "too_many_attempts") -> None:
        super().__init__(detail)
        self.detail, self.reason, self.retry_after_s = detail, reason, retry_after_s
