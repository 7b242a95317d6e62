"""Leases: several worker processes may run for availability; one acts, the others wait.

A lease is one row, taken or renewed by a single conditional UPDATE (atomic on PostgreSQL and
SQLite alike): it succeeds for its holder, or for anyone once it has expired. A holder that
dies stops renewing, and another process takes over when the lease runs out.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.tables import LeaseRow


def this_process() -> str:
    """A holder name that tells hosts and processes apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Lease:
    """A named lease held for ``seconds`` at a time by ``holder``."""

    name: str
    seconds: float
    holder: str = field(default_factory=this_process)

    def hold(self, session: Session, now: datetime) -> bool:
        """Take or renew the lease; False while another live holder has it."""
        until = now + timedelta(seconds=self.seconds)
        result = session.execute(
            update(LeaseRow)
            .where(
                LeaseRow.name == self.name,
                or_(LeaseRow.holder == self.holder, LeaseRow.expires_at < now),
            )
            .values(holder=self.holder, expires_at=until)
        )
        if cast("CursorResult[Any]", result).rowcount:
            session.commit()
            return True
        session.add(LeaseRow(name=self.name, holder=self.holder, expires_at=until))
        try:
            session.commit()
        except IntegrityError:  # the row exists: another live holder has it
            session.rollback()
            return False
        return True
