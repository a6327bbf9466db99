"""A small typed client for OctoPrint's REST API (the design card's ``octoprint-client``).

The clients on PyPI are unmaintained or cannot upload, so this one does only what the print
queue needs, with httpx: upload-and-print, job and printer state, connection, cancel, and
printer commands. Every HTTP and connection failure becomes one of the typed exceptions
below, so the queue can decide what a failure means for a job without parsing messages.

OctoPrint's documented answers this client relies on:

* ``POST /api/files/local`` with ``print=true`` answers 201 with ``effectivePrint``; it is
  ``false`` when the printer was busy or not operational and the file was only stored.
* ``GET /api/printer`` answers 409 when the printer is not operational (not connected).
* 403 means a wrong API key, 404 an unknown file or resource, 415 an unsupported file type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class OctoPrintError(Exception):
    """Anything that went wrong talking to OctoPrint."""


class Unreachable(OctoPrintError):
    """No answer: the server is down, the address is wrong, or the connection dropped."""


class Forbidden(OctoPrintError):
    """403: the API key is wrong or lacks the permission."""


class NotFound(OctoPrintError):
    """404: no such file or resource."""


class NotOperational(OctoPrintError):
    """409: the printer is not connected or not ready for this command."""


class UnsupportedFile(OctoPrintError):
    """415: OctoPrint does not accept this file type."""


class UnexpectedAnswer(OctoPrintError):
    """Any other status, or a body that is not the JSON the API documents."""


@dataclass(frozen=True)
class UploadResult:
    name: str
    effective_print: bool
    effective_select: bool


@dataclass(frozen=True)
class PrinterState:
    text: str
    operational: bool
    printing: bool
    paused: bool
    error: bool
    ready: bool
    closed_or_error: bool


@dataclass(frozen=True)
class JobState:
    state: str
    file_name: str | None
    completion: float | None  # percent
    print_time: int | None  # seconds so far
    print_time_left: int | None
    error: str | None


@dataclass(frozen=True)
class Connection:
    state: str
    port: str | None


class OctoPrint:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"X-Api-Key": api_key},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OctoPrint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise Unreachable(f"{method} {path}: {error.__class__.__name__}: {error}") from error
        status = response.status_code
        if status < 400:
            return response
        detail = response.text[:300]
        kind = {403: Forbidden, 404: NotFound, 409: NotOperational, 415: UnsupportedFile}.get(
            status, UnexpectedAnswer
        )
        raise kind(f"{method} {path}: {status} {detail}")

    def _json(self, response: httpx.Response) -> dict:
        try:
            data = response.json()
        except ValueError as error:
            raise UnexpectedAnswer(f"not JSON: {response.text[:200]}") from error
        if not isinstance(data, dict):
            raise UnexpectedAnswer(f"not a JSON object: {response.text[:200]}")
        return data

    # --- API ---

    def version(self) -> dict:
        return self._json(self._request("GET", "/api/version"))

    def connection(self) -> Connection:
        current = self._json(self._request("GET", "/api/connection")).get("current", {})
        return Connection(state=str(current.get("state", "")), port=current.get("port"))

    def connect(self, *, port: str = "AUTO", baudrate: int | None = None) -> None:
        body: dict[str, Any] = {"command": "connect", "port": port}
        if baudrate:
            body["baudrate"] = baudrate
        self._request("POST", "/api/connection", json=body)

    def disconnect(self) -> None:
        self._request("POST", "/api/connection", json={"command": "disconnect"})

    def printer(self) -> PrinterState:
        """The printer's state; NotOperational (409) when it is not connected."""
        state = self._json(
            self._request("GET", "/api/printer", params={"exclude": "temperature,sd"})
        )
        flags = state.get("state", {}).get("flags", {})
        return PrinterState(
            text=str(state.get("state", {}).get("text", "")),
            operational=bool(flags.get("operational")),
            printing=bool(flags.get("printing")),
            paused=bool(flags.get("paused") or flags.get("pausing")),
            error=bool(flags.get("error")),
            ready=bool(flags.get("ready")),
            closed_or_error=bool(flags.get("closedOrError")),
        )

    def job(self) -> JobState:
        data = self._json(self._request("GET", "/api/job"))
        file = (data.get("job") or {}).get("file") or {}
        progress = data.get("progress") or {}
        return JobState(
            state=str(data.get("state", "")),
            file_name=file.get("name"),
            completion=progress.get("completion"),
            print_time=progress.get("printTime"),
            print_time_left=progress.get("printTimeLeft"),
            error=data.get("error"),
        )

    def upload_and_print(self, *, name: str, data: bytes | BinaryIO) -> UploadResult:
        """Upload G-code to local storage and ask OctoPrint to print it at once.

        Check ``effective_print``: OctoPrint stores the file and answers 201 even when it could
        not start the print (printer busy or not operational).
        """
        response = self._request(
            "POST",
            "/api/files/local",
            files={"file": (name, data, "application/octet-stream")},
            data={"select": "true", "print": "true"},
        )
        body = self._json(response)
        return UploadResult(
            name=str((body.get("files", {}).get("local", {}) or {}).get("name", name)),
            effective_print=bool(body.get("effectivePrint")),
            effective_select=bool(body.get("effectiveSelect")),
        )

    def last_print_succeeded(self, name: str) -> bool | None:
        """How the last print of a stored file ended (None: never printed to the end or cancel).

        OctoPrint records ``prints.last.success`` when a print finishes (true) or is cancelled
        or fails (false), which tells a finished print from a cancelled one.
        """
        data = self._json(self._request("GET", f"/api/files/local/{name}"))
        last = (data.get("prints") or {}).get("last") or {}
        return last.get("success") if isinstance(last.get("success"), bool) else None

    def delete_file(self, name: str) -> None:
        self._request("DELETE", f"/api/files/local/{name}")

    def cancel(self) -> None:
        self._request("POST", "/api/job", json={"command": "cancel"})

    def send_commands(self, *commands: str) -> None:
        self._request("POST", "/api/printer/command", json={"commands": list(commands)})
