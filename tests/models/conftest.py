"""A donor trained elsewhere and a small site, shared by the protocol, transfer and replay
tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.data import load_dataset
from models.evaluate import Evaluation, Protocol, run_protocol
from models.pipeline import FleetModel
from models.train import fit
from models.windows import Windows
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export


@pytest.fixture(scope="session")
def donor(tmp_path_factory: pytest.TempPathFactory) -> FleetModel:
    """A 16-asset fleet's model, fitted without the protocol at a threshold of 0.6."""
    root = tmp_path_factory.mktemp("donor")
    export(Simulation(synthetic_fleet(16, seed=5), horizon_days=200), root, 600)
    return fit(load_dataset(root), threshold=0.6)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new site: 8 assets, 120 days."""
    root = tmp_path_factory.mktemp("site")
    export(Simulation(synthetic_fleet(8, seed=9), horizon_days=120), root, 600)
    return root


@pytest.fixture(scope="session")
def site_alone(site_dir: Path) -> Evaluation:
    """The protocol on the new site with no donor, at the default thread count."""
    return run_protocol(load_dataset(site_dir), Protocol(), Windows())
