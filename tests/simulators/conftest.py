import pytest

from kernel.catalogue import active_catalogue
from simulators.config import FleetConfig, synthetic_fleet


@pytest.fixture
def fleet() -> FleetConfig:
    """Eight assets, two of each class, failing often so a short span holds failures."""
    cfg = synthetic_fleet(8, seed=11)
    realism = cfg.realism.model_copy(
        update={"failures": cfg.realism.failures.model_copy(update={"mtbf_days": 20.0})}
    )
    return cfg.model_copy(update={"realism": realism})


@pytest.fixture
def every_class_fleet() -> FleetConfig:
    """Two assets of every catalogue class, failing often."""
    names = active_catalogue().names()
    cfg = synthetic_fleet(2 * len(names), seed=11, classes=names)
    realism = cfg.realism.model_copy(
        update={"failures": cfg.realism.failures.model_copy(update={"mtbf_days": 20.0})}
    )
    return cfg.model_copy(update={"realism": realism})


def without(cfg: FleetConfig, *, failures: bool = True, sensor_faults: bool = True) -> FleetConfig:
    """The same fleet with failures and/or sensor faults switched off."""
    r = cfg.realism
    update = {}
    if failures:
        update["failures"] = r.failures.model_copy(update={"mtbf_days": 1e12})
    if sensor_faults:
        update["sensor_faults"] = r.sensor_faults.model_copy(
            update={"episodes_per_sensor_year": 0.0}
        )
    return cfg.model_copy(update={"realism": r.model_copy(update=update)})
