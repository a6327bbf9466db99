"""OctoPrint servers with their Virtual Printer, for the demo (`make run`) and the tests.

The print farm talks to real OctoPrint; where no real printer is attached, OctoPrint's own
Virtual Printer plugin stands in for one (it answers G-code like a Marlin printer). This module
prepares a server's folder (settings, an admin user, the API key) and starts it. It imports
nothing from Django, so the launcher can use it before Django is set up.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

OCTOPRINT_VENV = Path(
    os.environ.get(
        "OCTOPRINT_VENV",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "liaotu-commons"
        / "octoprint-venv",
    )
)
OCTOPRINT = OCTOPRINT_VENV / "bin" / "octoprint"

#: The demo's printers (makerspace/demo.py): equipment slug -> the port of its OctoPrint.
DEMO_PORTS = {"3d-printer-a": 5001, "3d-printer-b": 5002, "3d-printer-c": 5003}
#: The API key the demo stores for its printers and the demo's OctoPrint servers accept.
DEMO_API_KEY = "demo-key-not-a-real-octoprint-key"


def config(*, autoconnect: bool) -> str:
    """OctoPrint's settings: no first-run wizard, nothing that phones home, the Virtual Printer
    enabled (fast), and connecting to it at start-up when ``autoconnect``."""
    return f"""\
server:
  firstRun: false
  onlineCheck:
    enabled: false
  pluginBlacklist:
    enabled: false
plugins:
  _disabled: [announcements, softwareupdate, pluginmanager, tracking, discovery, backup,
              firmware_check, achievements, health_check, errortracking]
  virtual_printer:
    enabled: true
    simulated_errors: []
    okAfterResend: true
    waitOnLongMoves: false
    throttle: 0.001
serial:
  additionalPorts: []
  autoconnect: {"true" if autoconnect else "false"}
  port: VIRTUAL
  baudrate: 115200
"""


def prepare(base_dir: Path, *, api_key: str, autoconnect: bool = False) -> None:
    """Settings, an admin user (once) and ``api_key`` in ``base_dir``."""
    base_dir.mkdir(parents=True, exist_ok=True)
    (base_dir / "config.yaml").write_text(config(autoconnect=autoconnect))
    if not (base_dir / "users.yaml").exists():
        subprocess.run(
            [str(OCTOPRINT), "-b", str(base_dir), "user", "add", "--password", "local-only",
             "--admin", "admin"],
            check=True, capture_output=True,
        )  # fmt: skip
    keys = base_dir / "data" / "appkeys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "keys.yaml").write_text(f"admin:\n- app_id: liaotu\n  api_key: {api_key}\n")


def serve(base_dir: Path, *, port: int, log) -> subprocess.Popen:
    """Start the server in ``base_dir`` on 127.0.0.1:``port``; ``log`` is a binary file."""
    return subprocess.Popen(
        [str(OCTOPRINT), "-b", str(base_dir), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--iknowwhatimdoing"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
