"""Checking G-code before it goes to a printer, and reading the slicer's estimates.

* Content: G-code is plain text made of G/M/T commands; anything else (a program, an image
  renamed .gcode) is refused.
* Deny-list: firmware and settings commands a maker must never send (by default M500 save
  settings, M502 factory reset, M997 firmware update, M999 restart after error), named with
  their line numbers.
* Build volume: the extent of absolute and relative moves must fit the printer.
* Estimates: PrusaSlicer writes ``; estimated printing time (normal mode) = 1h 2m 3s`` and
  ``; filament used [g] = 12.3`` comments; we read them, never trusting the maker's numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_DENY = ("M500", "M502", "M997", "M999")
MAX_BYTES = 200 * 1024 * 1024
_COMMAND = re.compile(r"^([GMT])(\d+)(?:\.\d+)?\b", re.IGNORECASE)
_AXIS = re.compile(r"([XYZ])(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_TIME = re.compile(r";\s*estimated printing time(?: \(normal mode\))?\s*=\s*(.+)", re.IGNORECASE)
_FILAMENT_G = re.compile(r";\s*(?:total )?filament used \[g\]\s*=\s*([\d.]+)", re.IGNORECASE)
_FILAMENT_MM = re.compile(r";\s*filament used \[mm\]\s*=\s*([\d.]+)", re.IGNORECASE)


class GCodeError(ValidationError):
    pass


@dataclass
class Analysis:
    lines: int = 0
    commands: int = 0
    seconds: int | None = None
    filament_g: float | None = None
    filament_mm: float | None = None
    extent: dict[str, tuple[float, float]] = field(default_factory=dict)

    def fits(self, *, x: float, y: float, z: float) -> bool:
        limits = {"X": x, "Y": y, "Z": z}
        return all(low >= -0.001 and high <= limits[axis] + 0.001
                   for axis, (low, high) in self.extent.items())  # fmt: skip


def _duration(text: str) -> int | None:
    parts = re.findall(r"(\d+)\s*([dhms])", text)
    if not parts:
        return None
    scale = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(value) * scale[unit] for value, unit in parts)


def analyse(data: bytes, *, deny: tuple[str, ...] = DEFAULT_DENY) -> Analysis:
    """Check G-code; return what it does and what the slicer estimated, or a GCodeError."""
    if len(data) > MAX_BYTES:
        raise GCodeError(_("The G-code file is larger than %(mb)d MB.") % {"mb": MAX_BYTES >> 20})
    if b"\0" in data[:65536]:
        raise GCodeError(_("This is not a G-code file (it contains binary data)."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    denied = {command.upper() for command in deny}
    found_denied: dict[str, list[int]] = {}
    result = Analysis()
    relative = False
    position = {"X": 0.0, "Y": 0.0, "Z": 0.0}
    for number, raw in enumerate(text.splitlines(), start=1):
        result.lines = number
        comment = raw.find(";")
        if comment >= 0:
            note = raw[comment:]
            if (match := _TIME.match(note)) and result.seconds is None:
                result.seconds = _duration(match.group(1))
            elif match := _FILAMENT_G.match(note):
                result.filament_g = float(match.group(1))
            elif match := _FILAMENT_MM.match(note):
                result.filament_mm = float(match.group(1))
        line = (raw[:comment] if comment >= 0 else raw).strip()
        if not line:
            continue
        line = re.sub(r"^N\d+\s+", "", line, flags=re.IGNORECASE)
        command = _COMMAND.match(line)
        if command is None:
            raise GCodeError(_("Line %(line)d is not a G-code command: %(text)s")
                             % {"line": number, "text": line[:40]})  # fmt: skip
        result.commands += 1
        name = f"{command.group(1).upper()}{int(command.group(2))}"
        if name in denied:
            found_denied.setdefault(name, []).append(number)
        if name == "G90":
            relative = False
        elif name == "G91":
            relative = True
        elif name in ("G0", "G1"):
            for axis, value in _AXIS.findall(line[command.end() :]):
                axis = axis.upper()
                start = position[axis]  # the head travels from here
                position[axis] = start + float(value) if relative else float(value)
                low, high = result.extent.get(axis, (start, start))
                result.extent[axis] = (min(low, position[axis]), max(high, position[axis]))
        elif name == "G28":
            position = {"X": 0.0, "Y": 0.0, "Z": 0.0}
    if result.commands == 0:
        raise GCodeError(_("The file contains no G-code commands."))
    if found_denied:
        listed = "; ".join(
            f"{name} ({_('line')} {', '.join(str(n) for n in lines[:5])})"
            for name, lines in sorted(found_denied.items())
        )
        raise GCodeError(_("The G-code contains commands the library does not allow: %(list)s")
                         % {"list": listed})  # fmt: skip
    return result
