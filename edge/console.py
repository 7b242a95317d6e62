"""The console the gateway's commands print to (rich loads only when a command prints)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@functools.cache
def console() -> Console:
    """The shared console; rich is imported on first use, not by the daemon."""
    from rich.console import Console

    return Console(soft_wrap=True)
