"""Checking G-code before it goes to a printer, and reading the slicer's estimates.

The file is *interpreted*, line by line, the way Marlin (the firmware behind our OctoPrint
hosts) reads it, so that what we check is what the printer will do:

* Content: G-code is plain text made of G/M/T commands; anything else (a program, an image
  renamed .gcode) is refused.
* Understood commands: only the commands in ``UNDERSTOOD`` are accepted; anything else is refused
  by name, because a command we cannot follow could move the head in ways we cannot check.
* Deny-list: firmware and settings commands a maker must never send (by default M500 save
  settings, M502 factory reset, M997 firmware update, M999 restart after error), named with
  their line numbers. The deny-list is policy on top of ``UNDERSTOOD`` (settings can change it).
* Build volume: the head's path (lines, arcs with their full sweep, homing, G92 offsets, inch
  units, relative moves) is followed in physical machine coordinates from home at (0, 0, 0);
  ``Analysis.extent`` is its bounding box and must fit the printer.
* Estimates: PrusaSlicer writes ``; estimated printing time (normal mode) = 1h 2m 3s`` and
  ``; filament used [g] = 12.3`` comments; we read them, never trusting the maker's numbers.

The dialect, and why each rule is there (Marlin's parser is the reference; where printers could
read a line in two ways, we refuse the line rather than guess):

* A line is ``[N<digits> ]<command>[ <word>...][*<checksum>][;comment]``. Lines end at ``\\n``,
  ``\\r\\n`` or ``\\r`` only. Code (without the ``;`` comment) is at most ``MAX_LINE`` characters:
  Marlin's command buffer is 96 bytes and a longer line would be cut short by the printer.
* ``N`` must be directly followed by digits and a space (Marlin skips up to the first space).
  ``*<0-255>`` is a checksum: the XOR of every byte of the line before ``*``; a wrong or
  malformed one is refused. A checksum is checked whether or not there is a line number.
* Words are ``<letter><number>``; spaces between the letter and the number are allowed, as
  Marlin skips them (``X 10`` is X10). Numbers have an optional ``+``/``-`` sign and decimals
  (``.5``, ``5.``, ``5.25``), **no exponents**: ``E`` is always the extruder word, as in Marlin,
  so ``X1E3`` is X1 and E3, never X1000. Only spaces separate words (no tabs or other white
  space inside the code); a word may not repeat on a line.
* Letters are case-insensitive for M and T commands (``m500`` is M500, as with Marlin's default
  GCODE_CASE_INSENSITIVE), but G commands must be written in capitals: a firmware built
  without case-insensitive parsing would skip a lower-case move, and every later relative move
  would then differ from what we followed.
* Command numbers are integers and normalised (``M0500`` is M500). A sub-code (``G1.5``) makes
  another command, which is not understood; a *denied* command is denied with any sub-code.
* ``( ... )`` comments may not nest or stay open. Marlin only strips them when built with
  PAREN_COMMENTS; otherwise it reads the letters inside as parameters (``G1 X10 (x)`` would move
  X to 0). So they are accepted on their own line and on M/T lines, and refused on G lines.
* G20 (inches) is ignored by Marlin built without INCH_MODE_SUPPORT. Units may therefore only
  change while the head is at home with no G92 offset (before any move, or right after a full
  G28): then every position read in the wrong unit is the right one scaled by 25.4 towards home,
  so a path that fits in one reading fits in the other.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import reduce
from operator import xor

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_DENY = ("M500", "M502", "M997", "M999")
MAX_BYTES = 200 * 1024 * 1024
MAX_LINE = 80  # characters of code on one line; Marlin's buffer holds 95 with N and checksum

#: Commands that move the head, set how positions are read, or wait. G10/G11 are Marlin's
#: firmware retraction (PrusaSlicer's "use firmware retraction"): they move the extruder, and Z
#: only by the printer's own M207 lift; G10 with L/P (coordinate systems elsewhere) is refused.
MOTION = frozenset(
    {"G0", "G1", "G2", "G3", "G4", "G10", "G11", "G20", "G21", "G28", "G90", "G91", "G92"}
)
#: Printer set-up commands slicers emit; none of them moves the head or changes coordinates.
SETUP = frozenset(
    {
        "M17", "M18", "M84",  # steppers on/off
        "M82", "M83",  # extruder absolute/relative (E does not count for the extent)
        "M104", "M109", "M140", "M190", "M141", "M191", "M105",  # temperatures
        "M106", "M107",  # fan
        "M73", "M117",  # progress, message
        "M201", "M202", "M203", "M204", "M205",  # acceleration, feed-rate and jerk limits
        "M220", "M221", "M900", "M400",  # speed and flow factors, linear advance, finish moves
        "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7",  # tool (extruder) change
    }
)  # fmt: skip
#: Firmware and settings commands with no motion: whether they may be sent is the deny-list's
#: decision alone (settings.MAKERSPACE_GCODE_DENY), so they are understood here.
FIRMWARE = frozenset(DEFAULT_DENY)
UNDERSTOOD = MOTION | SETUP | FIRMWARE

_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
# The whole code of a well-formed line: line number, command, words (letter, spaces, number).
_LINE = re.compile(
    rf"(?:[Nn]([0-9]+) +)?([GMTgmt]) *([0-9]+)(?:\.([0-9]+))?((?: *[A-Za-z] *(?:{_NUMBER})?)*)"
)
_WORD = re.compile(rf" *([A-Za-z]) *({_NUMBER})?")
_HEAD = re.compile(r"(?:[Nn][0-9]+ +)?([GMTgmt]) *([0-9]+)(?:\.([0-9]+))?")
_DENY_ENTRY = re.compile(r"\s*([GMTgmt])\s*([0-9]+)(?:\.([0-9]+))?\s*")
_TIME = re.compile(r";\s*estimated printing time(?: \(normal mode\))?\s*=\s*(.+)", re.IGNORECASE)
_FILAMENT_G = re.compile(
    r";\s*(?:total )?filament used \[g\]\s*=\s*([0-9]+(?:\.[0-9]*)?)", re.IGNORECASE
)
_FILAMENT_MM = re.compile(r";\s*filament used \[mm\]\s*=\s*([0-9]+(?:\.[0-9]*)?)", re.IGNORECASE)

# Which words each motion command takes (set-up and firmware commands take any).
_PARAMETERS = {
    "G0": frozenset("XYZEF"),
    "G1": frozenset("XYZEF"),
    "G2": frozenset("XYZEFIJR"),
    "G3": frozenset("XYZEFIJR"),
    "G4": frozenset("PS"),
    "G10": frozenset("S"),
    "G11": frozenset(),
    "G20": frozenset(),
    "G21": frozenset(),
    "G28": frozenset("XYZ"),
    "G90": frozenset(),
    "G91": frozenset(),
    "G92": frozenset("XYZE"),
    "M82": frozenset(),
    "M83": frozenset(),
}
_NEED_VALUE = frozenset("XYZIJR")  # Marlin reads a bare X in a move as X0
_INCH = 25.4
_ARC_SLACK_MM = 0.05  # rounding in slicer output: radius mismatch and R shorter than half-chord
_FULL_TURN = math.tau
_SAME_ANGLE = 1e-6  # sweeps this close to 0 or a full turn are taken as a full circle


class GCodeError(ValidationError):
    """A refused file; ``code`` says why, for callers and tests (the message is for makers):
    gcode_too_large, gcode_binary, gcode_empty, gcode_not_command, gcode_line_too_long,
    gcode_bad_checksum, gcode_bad_comment, gcode_bad_word, gcode_bad_number,
    gcode_bad_parameter, gcode_lowercase, gcode_unknown_command, gcode_denied, gcode_bad_arc,
    gcode_unit_change."""


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


def normalise(command: str) -> str:
    """A deny-list entry as commands are named: ``m0500`` → ``M500``, ``g 1.05`` → ``G1.5``."""
    match = _DENY_ENTRY.fullmatch(command)
    if match is None:
        raise ValueError(f"not a G-code command name: {command!r}")
    letter, code, sub = match.groups()
    return f"{letter.upper()}{int(code)}" + (f".{int(sub)}" if sub is not None else "")


class _Machine:
    """The head's physical position, the G92 offset (physical = logical + offset), the modes,
    and the bounding box of every point the head has passed through."""

    def __init__(self) -> None:
        self.position = [0.0, 0.0, 0.0]
        self.offset = [0.0, 0.0, 0.0]
        self.relative = False
        self.scale = 1.0  # mm per unit: 25.4 after G20
        self.low = [0.0, 0.0, 0.0]
        self.high = [0.0, 0.0, 0.0]

    def at_home(self) -> bool:
        return not any(self.position) and not any(self.offset)

    def target(self, words: dict[str, str]) -> list[float]:
        """Where a move ends, physically, from its X/Y/Z words in the current modes."""
        end = self.position[:]
        for index, axis in enumerate("XYZ"):
            value = words.get(axis)
            if value is not None:
                value = float(value) * self.scale
                end[index] = end[index] + value if self.relative else value + self.offset[index]
        return end

    def include(self, x: float, y: float, z: float) -> None:
        low, high = self.low, self.high
        if x < low[0]:
            low[0] = x
        elif x > high[0]:
            high[0] = x
        if y < low[1]:
            low[1] = y
        elif y > high[1]:
            high[1] = y
        if z < low[2]:
            low[2] = z
        elif z > high[2]:
            high[2] = z

    def arc(self, words: dict[str, str], *, clockwise: bool, line: int) -> None:
        """G2/G3 in the XY plane as Marlin draws it: the circle through the start around the
        centre (I/J from the start, or found from R), swept to the end point's angle, then Z
        linearly. The extent takes the start, the end, and every axis-extreme point (0°, 90°,
        180°, 270° from the centre) the sweep passes."""
        start = self.position
        end = self.target(words)
        has_r = "R" in words
        if has_r and ("I" in words or "J" in words):
            raise _arc_error(line, _("give either I and J, or R, not both"))
        if has_r:
            radius = float(words["R"]) * self.scale
            dx, dy = end[0] - start[0], end[1] - start[1]
            chord = math.hypot(dx, dy)
            if radius == 0 or chord == 0:
                raise _arc_error(line, _("an arc with R needs a radius and an end point"))
            half = chord / 2
            if abs(radius) < half - _ARC_SLACK_MM:
                raise _arc_error(line, _("the radius R is too small to reach the end point"))
            # Marlin's construction: the centre is on the chord's perpendicular bisector, on
            # the right of the chord for a short clockwise arc, on the left for a negative R.
            h = math.sqrt(max(radius * radius - half * half, 0.0))
            side = -1.0 if clockwise != (radius < 0) else 1.0
            centre_x = (start[0] + end[0]) / 2 + side * h * (-dy / chord)
            centre_y = (start[1] + end[1]) / 2 + side * h * (dx / chord)
        elif "I" in words or "J" in words:
            centre_x = start[0] + float(words.get("I", 0)) * self.scale
            centre_y = start[1] + float(words.get("J", 0)) * self.scale
        else:
            raise _arc_error(line, _("the arc has no centre: give I and J, or R"))
        radius = math.hypot(start[0] - centre_x, start[1] - centre_y)
        if radius == 0:
            raise _arc_error(line, _("the arc's centre is its start point"))
        if abs(math.hypot(end[0] - centre_x, end[1] - centre_y) - radius) > _ARC_SLACK_MM:
            raise _arc_error(line, _("the end point is not on the arc's circle"))
        begin = math.atan2(start[1] - centre_y, start[0] - centre_x)
        finish = math.atan2(end[1] - centre_y, end[0] - centre_x)
        sweep = (begin - finish if clockwise else finish - begin) % _FULL_TURN
        full = sweep < _SAME_ANGLE or sweep > _FULL_TURN - _SAME_ANGLE
        for quarter in range(4):
            angle = quarter * math.pi / 2
            passed = (begin - angle if clockwise else angle - begin) % _FULL_TURN
            if full or passed <= sweep:
                point_x = centre_x + radius * (1.0, 0.0, -1.0, 0.0)[quarter]
                point_y = centre_y + radius * (0.0, 1.0, 0.0, -1.0)[quarter]
                self.include(point_x, point_y, start[2])
                self.include(point_x, point_y, end[2])
        # The circle up to the end's angle, then on to the end point itself, which may lie a
        # little off the circle (slicers round it): both belong to the path.
        self.include(
            centre_x + radius * math.cos(finish), centre_y + radius * math.sin(finish), end[2]
        )
        self.include(*end)
        self.position = end

    def home(self, words: dict[str, str]) -> None:
        """G28 homes the axes it names (all without names); Marlin also clears their offset."""
        for index, axis in enumerate("XYZ"):
            if not words or axis in words:
                self.position[index] = 0.0
                self.offset[index] = 0.0
        self.include(*self.position)

    def set_position(self, words: dict[str, str]) -> None:
        """G92: the current point is now the given logical position; the head does not move."""
        for index, axis in enumerate("XYZ"):
            value = words.get(axis)
            if value is not None:
                self.offset[index] = self.position[index] - float(value) * self.scale

    def extent(self) -> dict[str, tuple[float, float]]:
        return {axis: (self.low[i], self.high[i]) for i, axis in enumerate("XYZ")}


def _error(code: str, message: str, **values) -> GCodeError:
    return GCodeError(message % values if values else message, code=code)


def _arc_error(line: int, reason: str) -> GCodeError:
    return _error(
        "gcode_bad_arc", _("Line %(line)d: this arc cannot be drawn: %(reason)s."),
        line=line, reason=reason,
    )  # fmt: skip


def _strip_parentheses(code: str, line: int) -> str:
    """Remove ``( ... )`` comments; refuse nested or unclosed ones."""
    kept: list[str] = []
    rest = code
    while rest:
        opening, closing = rest.find("("), rest.find(")")
        if opening < 0 and closing < 0:
            kept.append(rest)
            break
        end = rest.find(")", opening + 1) if opening >= 0 else -1
        if opening < 0 or closing < opening or end < 0 or "(" in rest[opening + 1 : end]:
            raise _error(
                "gcode_bad_comment",
                _("Line %(line)d: a comment in brackets is not closed, or is nested."),
                line=line,
            )
        kept.append(rest[:opening])
        rest = rest[end + 1 :]
    return " ".join(part.strip(" ") for part in kept if part.strip(" "))


def _checksum(raw: str, encoding: str, line: int) -> str:
    """Check ``*<checksum>``: the XOR of every byte of the line before ``*``."""
    star = raw.index("*")
    written = raw[star + 1 :].split(";", 1)[0].strip()
    if not (written.isascii() and written.isdigit() and int(written) <= 255):
        raise _error(
            "gcode_bad_checksum",
            _("Line %(line)d: the checksum after * must be a number from 0 to 255."),
            line=line,
        )
    if reduce(xor, raw[:star].encode(encoding), 0) != int(written):
        raise _error("gcode_bad_checksum", _("Line %(line)d: the checksum is wrong."), line=line)
    return raw[:star]


def _unreadable(code: str, line: int, start: int) -> GCodeError:
    """Why the words of a line (from ``start``, after its command) cannot be read."""
    position = word_start = start
    while position < len(code):
        word = _WORD.match(code, position)
        if word is None:
            break
        word_start, position = word.start(1), word.end()
    glued = position > start and code[position] != " "
    while code[position] == " ":
        position += 1
    first = word_start if glued else position
    text = code[first:].split(" ", 1)[0][:20]
    if code[position] in "+-.,0123456789":
        return _error(
            "gcode_bad_number", _("Line %(line)d: %(text)s is not a number G-code can use."),
            line=line, text=text,
        )  # fmt: skip
    return _error("gcode_bad_word", _("Line %(line)d: cannot read %(text)s."), line=line, text=text)


def _words(name: str, params: str, line: int) -> dict[str, str]:
    """The words of a line as letter → number text ('' for a letter without a number)."""
    found = _WORD.findall(params)
    words = {letter.upper(): value for letter, value in found}
    if len(words) != len(found):
        letters = [letter.upper() for letter, _value in found]
        twice = next(letter for letter in letters if letters.count(letter) > 1)
        raise _error(
            "gcode_bad_parameter", _("Line %(line)d: %(command)s gives %(word)s twice."),
            line=line, command=name, word=twice,
        )  # fmt: skip
    allowed = _PARAMETERS.get(name)
    if allowed is not None:
        for letter, value in words.items():
            if letter not in allowed:
                raise _error(
                    "gcode_bad_parameter",
                    _("Line %(line)d: %(command)s does not take the parameter %(word)s."),
                    line=line, command=name, word=letter,
                )  # fmt: skip
            if not value and letter in _NEED_VALUE and name != "G28":
                raise _error(
                    "gcode_bad_parameter",
                    _("Line %(line)d: %(command)s needs a number after %(word)s."),
                    line=line, command=name, word=letter,
                )  # fmt: skip
    return words


def analyse(data: bytes, *, deny: tuple[str, ...] = DEFAULT_DENY) -> Analysis:
    """Check G-code; return what it does and what the slicer estimated, or a GCodeError."""
    if len(data) > MAX_BYTES:
        raise _error(
            "gcode_too_large", _("The G-code file is larger than %(mb)d MB."), mb=MAX_BYTES >> 20
        )
    if b"\0" in data[:65536]:
        raise _error("gcode_binary", _("This is not a G-code file (it contains binary data)."))
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    denied = {normalise(command) for command in deny}
    found_denied: dict[str, list[int]] = {}
    result = Analysis()
    machine = _Machine()
    # Only \n, \r\n and \r end a line, as for the printer (str.splitlines knows more).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and not lines[-1]:
        lines.pop()
    number = 0
    for number, raw in enumerate(lines, start=1):
        comment = raw.find(";")
        if comment >= 0:
            note = raw[comment:]
            if (match := _TIME.match(note)) and result.seconds is None:
                result.seconds = _duration(match.group(1))
            elif match := _FILAMENT_G.match(note):
                result.filament_g = float(match.group(1))
            elif match := _FILAMENT_MM.match(note):
                result.filament_mm = float(match.group(1))
            code = raw[:comment]
        else:
            code = raw
        if "*" in code:
            code = _checksum(raw, encoding, number)
        code = code.rstrip().lstrip(" ")  # a leading tab is not skipped by the printer
        if not code:
            continue
        if len(code) > MAX_LINE:
            raise _error(
                "gcode_line_too_long",
                _("Line %(line)d is longer than %(limit)d characters (without its comment)."),
                line=number, limit=MAX_LINE,
            )  # fmt: skip
        bracketed = "(" in code or ")" in code
        if bracketed:
            code = _strip_parentheses(code, number)
            if not code:
                continue
        line = _LINE.fullmatch(code)
        if line is not None:
            letter, digits, sub, params = line.group(2, 3, 4, 5)
        else:  # a message, a command we refuse by name anyway, or unreadable words
            head = _HEAD.match(code)
            if head is None:
                raise _error(
                    "gcode_not_command", _("Line %(line)d is not a G-code command: %(text)s"),
                    line=number, text=code[:40],
                )  # fmt: skip
            letter, digits, sub = head.groups()
            params = None
        result.commands += 1
        base = f"{letter.upper()}{int(digits)}"
        name = base if sub is None else f"{base}.{int(sub)}"
        if base in denied or name in denied:
            found_denied.setdefault(base if base in denied else name, []).append(number)
            continue
        if name not in UNDERSTOOD:
            raise _error(
                "gcode_unknown_command",
                _("%(command)s (line %(line)d) is not a command the library's printers accept."),
                command=name, line=number,
            )  # fmt: skip
        if name == "M117":
            continue  # the rest of the line is a message for the printer's screen
        if params is None:
            raise _unreadable(code, number, head.end())
        if letter in "Gg":
            if bracketed:
                raise _error(
                    "gcode_bad_comment",
                    _(
                        "Line %(line)d: comments in brackets are not allowed on G commands, "
                        "because some printers read the letters inside them."
                    ),
                    line=number,
                )
            if code != code.upper():
                raise _error(
                    "gcode_lowercase",
                    _("Line %(line)d: write G commands in capital letters (%(text)s)."),
                    line=number, text=code[:40],
                )  # fmt: skip
        words = _words(name, params, number) if params else {}
        if name == "G1" or name == "G0":
            end = machine.target(words)
            machine.include(*end)
            machine.position = end
        elif name == "G2" or name == "G3":
            machine.arc(words, clockwise=name == "G2", line=number)
        elif name == "G92":
            if not words.keys() & set("XYZE"):
                raise _error(
                    "gcode_bad_parameter",
                    _("Line %(line)d: G92 needs at least one axis (X, Y, Z or E)."),
                    line=number,
                )
            machine.set_position(words)
        elif name == "G90":
            machine.relative = False
        elif name == "G91":
            machine.relative = True
        elif name == "G28":
            machine.home(words)
        elif name == "G20" or name == "G21":
            scale = _INCH if name == "G20" else 1.0
            if scale != machine.scale and not machine.at_home():
                raise _error(
                    "gcode_unit_change",
                    _(
                        "Line %(line)d: units may only change at the home position (before "
                        "any move, or right after G28)."
                    ),
                    line=number,
                )
            machine.scale = scale
    result.lines = number
    result.extent = machine.extent()
    if result.commands == 0:
        raise _error("gcode_empty", _("The file contains no G-code commands."))
    if found_denied:
        listed = "; ".join(
            f"{name} ({_('line')} {', '.join(str(n) for n in where[:5])})"
            for name, where in sorted(found_denied.items())
        )
        raise _error(
            "gcode_denied",
            _("The G-code contains commands the library does not allow: %(list)s"),
            list=listed,
        )
    return result
