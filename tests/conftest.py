"""Fixtures shared by every test folder."""

from pathlib import Path

import pytest

from plantwatch.quick_model import fit_quick, register
from tests.cloud.conftest import pg_server

__all__ = ["pg_server", "quick_registry"]


@pytest.fixture(scope="session")
def quick_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding one model fitted quickly on a small simulated fleet."""
    root = tmp_path_factory.mktemp("quick-model")
    register(root / "registry", fit_quick(root))
    return root / "registry"
