import logging
import threading

import pytest
from pymodbus.logging import Log

import simulators.modbus_server  # noqa: F401  (installs the filter)


def test_a_client_hanging_up_is_not_logged_as_an_error_but_other_errors_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # pymodbus keeps the last message in a class attribute: start from a clean slate, and
    # count only this thread's records (a server of an earlier test may still be closing)
    Log.last_log_text, Log.repeat_log = "", False
    with caplog.at_level(logging.WARNING, logger="pymodbus"):
        Log.error("Cancel send, because not connected!")
        Log.error("Cancel send, because not connected!")  # pymodbus: "Repeating...."
        Log.error("Unable to decode request {}", "x")
        Log.error("Unable to decode request {}", "x")
    messages = [r.getMessage() for r in caplog.records if r.thread == threading.get_ident()]
    assert not any(m.startswith("Cancel send") for m in messages)
    # the other error and its repeat still show
    assert [m.split("\n")[0][:28] for m in messages] == [
        "Unable to decode request x",
        "Repeating....",
    ]
