"""A BACnet device as its network's scheduler keeps it: where it is, what it accepts, its
health."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge.acquire.bacnet_cov import CovSubscriptions
from edge.bacnet_config import BacnetDeviceConfig
from kernel.bacnet_profiles import BacnetProfile


@dataclass
class BacnetDevice:
    """A device's schedule, what it was found to accept, and its health."""

    cfg: BacnetDeviceConfig
    profile: BacnetProfile
    next_due: float
    address: str | None = None
    read_multiple: bool = True
    per_request: int = 1
    bad_units: set[str] = field(default_factory=set)
    cov: CovSubscriptions | None = None
    cov_refused: bool = False
    failures: int = 0
    online: bool | None = None
    backoff_s: float = 0.0
    polls: int = 0
    busy: bool = False

    def status(self, network: str) -> dict[str, object]:
        """The device's row of the health endpoint."""
        return {
            "network": network,
            "asset": self.cfg.asset,
            "instance": self.cfg.instance,
            "address": self.address,
            "online": self.online,
            "failures": self.failures,
            "polls": self.polls,
            "backoff_s": self.backoff_s,
            "read_multiple": self.read_multiple,
            "objects_per_request": self.per_request,
            "cov": self.cov is not None,
        }
