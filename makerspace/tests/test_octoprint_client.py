"""The OctoPrint client against a real OctoPrint with its Virtual Printer: uploading starts a
print (or says it could not), state is read, and every failure is a typed exception."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from makerspace import octoprint
from tests.services import free_port, wait_for

# Short G-code without heating waits (no M109/M190): prints finish in seconds.
GCODE = b"G28\nG1 Z5 F3000\nG1 X10 Y10 F3000\nG1 X20 Y20\nG1 X10 Y10\nM84\n"
LONG_GCODE = b"G28\n" + b"".join(f"G1 X{n % 50} Y{n % 40} F600\n".encode() for n in range(400))


@pytest.fixture
def client(octoprint_server):
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key) as api:
        api.disconnect()
        wait_for(lambda: api.connection().state in ("Closed", "Offline"))
        yield api
        with contextlib.suppress(octoprint.OctoPrintError):
            api.disconnect()


def connect(api: octoprint.OctoPrint) -> None:
    api.connect(port="VIRTUAL")
    wait_for(lambda: api.connection().state == "Operational")


def test_printer_state_is_not_operational_until_connected(client):
    with pytest.raises(octoprint.NotOperational):
        client.printer()
    connect(client)
    state = client.printer()
    assert state.operational and state.ready and not state.printing


def test_upload_and_print_runs_to_completion(client):
    connect(client)
    result = client.upload_and_print(name="cube.gcode", data=GCODE)
    assert result.effective_print is True
    wait_for(lambda: client.job().state in ("Printing", "Operational") and
               client.job().file_name == "cube.gcode")  # fmt: skip
    wait_for(lambda: client.job().state == "Operational" and client.job().completion == 100)
    assert client.printer().operational


def test_a_busy_printer_stores_the_file_but_does_not_print_it(client):
    connect(client)
    assert client.upload_and_print(name="long.gcode", data=LONG_GCODE).effective_print
    wait_for(lambda: client.printer().printing)
    second = client.upload_and_print(name="second.gcode", data=GCODE)
    assert second.effective_print is False
    assert client.job().file_name == "long.gcode"
    client.cancel()
    wait_for(lambda: not client.printer().printing)


def test_a_not_connected_printer_does_not_print_an_upload(client):
    result = client.upload_and_print(name="offline.gcode", data=GCODE)
    assert result.effective_print is False


def test_errors_are_typed(client, octoprint_server):
    with (
        octoprint.OctoPrint(octoprint_server.url, "0" * 32) as wrong_key,
        pytest.raises(octoprint.Forbidden),
    ):
        wrong_key.job()
    with pytest.raises(octoprint.NotFound):
        client.delete_file("does-not-exist.gcode")
    with pytest.raises(octoprint.UnsupportedFile):
        client.upload_and_print(name="virus.exe", data=b"MZ")
    with (
        octoprint.OctoPrint(f"http://127.0.0.1:{free_port()}", "x") as nobody,
        pytest.raises(octoprint.Unreachable),
    ):
        nobody.version()


def test_a_fatal_printer_error_shows_in_the_printer_state(client):
    connect(client)
    client.send_commands("!!DEBUG:trigger_fatal_error_marlin")
    # OctoPrint drops the serial connection after a firmware error ("Printer halted").
    wait_for(lambda: client.connection().state != "Operational")
    with pytest.raises(octoprint.NotOperational):
        client.printer()


def test_a_killed_server_is_unreachable_and_comes_back(octoprint_server):
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key,
                             timeout=httpx.Timeout(2.0)) as api:  # fmt: skip
        assert api.version()["server"]
        octoprint_server.kill()
        with pytest.raises(octoprint.Unreachable):
            api.job()
        octoprint_server.start()
        assert api.version()["server"]
