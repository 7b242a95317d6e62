"""Read-then-write under concurrency: look again when another request wrote first."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 3


def look_again_on_conflict(
    session: Session, write: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run ``write`` (which reads, writes and commits on ``session``); when a unique
    constraint shows another request stored the same rows first, roll back and run it
    again, so it finds them this time (up to three attempts)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return write(*args, **kwargs)
        except IntegrityError:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
