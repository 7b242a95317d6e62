import logging

import pytest
from pymodbus.logging import Log

import simulators.modbus_server  # noqa: F401  (installs the filter)


def test_a_client_hanging_up_is_not_logged_as_an_error_but_other_errors_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="pymodbus"):
        Log.error("Cancel send, because not connected!")
        Log.error("Cancel send, because not connected!")  # pymodbus: "Repeating...."
        Log.error("Unable to decode request {}", "x")
        Log.error("Unable to decode request {}", "x")
    messages = [r.getMessage() for r in caplog.records]
    assert not any(m.startswith("Cancel send") for m in messages)
    # the other error and its repeat still show
    assert [m.split("\n")[0][:28] for m in messages] == [
        "Unable to decode request x",
        "Repeating....",
    ]
