"""Fixtures shared by every test folder."""

from tests.cloud.conftest import pg_server

__all__ = ["pg_server"]
