"""A strict-enough WebVTT check for caption files that readers and staff upload.

It checks what a browser needs to show captions: the signature, well-formed cue timings that
do not run backwards, and text that decodes as UTF-8. Errors name the line.

``repair`` is a separate, lenient pass for transcripts that arrive inside other archives' files
(OHMS exports): it mends what has one obvious meaning (a zero-length or open cue, an overlap,
stray blank lines, a byte-order mark, CR LF) and reports each mend, but still refuses what it
would have to guess at. Files people upload or edit here go through ``parse`` only, unchanged.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 512 * 1024
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}\s+-->\s+{_TIMESTAMP}(?:\s+.*)?$")


class WebVTTError(ValueError):
    """``code`` names the problem for callers and tests; the message is for people."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def timestamp(seconds: float) -> str:
    """``seconds`` as a WebVTT timestamp, hh:mm:ss.ttt."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _seconds(hours, minutes, seconds, millis) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def parse(data: bytes, *, max_bytes: int = MAX_BYTES) -> list[Cue]:
    if len(data) > max_bytes:
        raise WebVTTError(
            _("The file is larger than %(size)d KB.") % {"size": max_bytes // 1024}, "too_large"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise WebVTTError(_("The captions file must be UTF-8 text."), "not_utf8") from error
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT") or (len(lines[0]) > 6 and lines[0][6] not in " \t"):
        raise WebVTTError(_("A WebVTT file must start with the line WEBVTT."), "no_header")
    cues: list[Cue] = []
    index = 1
    while index < len(lines):
        line = lines[index].strip()
        if "-->" in line:
            match = _TIMING.match(line)
            if not match:
                raise WebVTTError(
                    _("Line %(line)d: the cue timing is not valid.") % {"line": index + 1},
                    "bad_timing",
                )
            start = _seconds(*match.groups()[:4])
            end = _seconds(*match.groups()[4:])
            if end <= start:
                raise WebVTTError(
                    _("Line %(line)d: the cue ends before it starts.") % {"line": index + 1},
                    "ends_before_start",
                )
            body = []
            index += 1
            while index < len(lines) and lines[index].strip():
                body.append(lines[index])
                index += 1
            cues.append(Cue(start, end, "\n".join(body)))
        index += 1
    if not cues:
        raise WebVTTError(_("The captions file has no cues."), "no_cues")
    return cues


# --- Lenient repair (for imports from other systems only) ------------------------------------

# A cue may start up to this many milliseconds before the cue above it: players show cues by
# their times, so putting them in time order changes nothing on screen. Further back than this
# the file was more likely pasted together wrongly, and it is refused.
OUT_OF_ORDER_TOLERANCE_MS = 5_000
# A cue with no usable end and no later cue after it (the last one) is shown for this long.
OPEN_END_MS = 10_000
_BARE_TIMESTAMP = re.compile(rf"^{_TIMESTAMP}$")
_NOT_A_CUE = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
# A repair that concerns many lines names this many of them.
_LISTED_LINES = 30


@dataclass(frozen=True)
class Repair:
    """One mend ``repair`` made: ``code`` for programs, ``message`` (naming the line) for people."""

    code: str
    line: int
    message: str


@dataclass(frozen=True)
class Repaired:
    text: str
    repairs: tuple[Repair, ...]


@dataclass
class _Cue:
    preamble: list[str]  # the cue identifier (and any stray lines before the timing)
    line: int  # 1-based line of the timing
    raw_timing: str
    start: int  # milliseconds
    end: int | None  # None: no end was written
    settings: str
    body: list[str] = field(default_factory=list)
    retime: bool = False


@dataclass
class _Block:
    lines: list[tuple[int, str]]  # (1-based line number, text)
    gap: int  # blank lines before it
    blank_missing: bool = False  # a cue that followed the line above without a blank line
    cue: _Cue | None = None


def _millis(match: re.Match) -> int:
    hours, minutes, seconds, millis = match.groups()
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def _bad_timing(line: int) -> WebVTTError:
    return WebVTTError(
        _("Line %(line)d: the cue timing is not valid.") % {"line": line}, "bad_timing"
    )


def _read_timing(number: int, text: str, fixes: list[Repair]) -> _Cue:
    """A timing line, or a lone start time; the end is None when none is written."""
    raw = text.strip()
    left, _arrow, right = raw.partition("-->")
    parts = right.split(None, 1)
    start = _BARE_TIMESTAMP.match(left.strip())
    if start is None:
        raise _bad_timing(number)
    cue = _Cue([], number, text, _millis(start), None, parts[1] if len(parts) > 1 else "")
    if parts:
        end = _BARE_TIMESTAMP.match(parts[0])
        if end is None:
            raise _bad_timing(number)
        cue.end = _millis(end)
        if not _TIMING.match(raw):
            cue.retime = True
            message = _("Line %(line)d: the spaces around “-->” were corrected.")
            fixes.append(Repair("timing_spacing", number, message % {"line": number}))
    return cue


def _starts_cue(lines: list[tuple[int, str]], k: int) -> bool:
    """Is line ``k`` of a block a cue timing, or a lone start time with text under it?"""
    if "-->" in lines[k][1]:
        return True
    lone = _BARE_TIMESTAMP.match(lines[k][1].strip()) is not None
    return lone and k + 1 < len(lines) and "-->" not in lines[k + 1][1]


def _starts_next_cue(lines: list[tuple[int, str]], k: int) -> bool:
    """Inside a cue's text, does line ``k`` begin the next cue (no blank line between)? Only if
    it starts with a time: other text with "-->" in it stays text, as ``parse`` reads it."""
    text = lines[k][1]
    if "-->" in text:
        return _BARE_TIMESTAMP.match(text.partition("-->")[0].strip()) is not None
    return _starts_cue(lines, k)


def _split_blocks(lines: list[str], first: int) -> tuple[list[_Block], int]:
    """Blocks of non-blank lines from line index ``first`` on, and the blank lines at the end."""
    blocks: list[_Block] = []
    gap = 0
    current: _Block | None = None
    for index in range(first, len(lines)):
        if not lines[index]:
            current, gap = None, gap + 1
        elif current is None:
            current = _Block([(index + 1, lines[index])], gap)
            blocks.append(current)
            gap = 0
        else:
            current.lines.append((index + 1, lines[index]))
    return blocks, gap


def _read_blocks(blocks: list[_Block], fixes: list[Repair]) -> list[_Block]:
    """Cue blocks get their ``cue``; text after a blank line inside a cue joins that cue; a cue
    that follows another without a blank line becomes a block of its own. Linear in the number
    of lines, however the file is laid out."""
    out: list[_Block] = []
    missing = _("Line %(line)d: a cue began without a blank line before it; one was added.")
    joined = _("Line %(line)d: text after a blank line was joined to the cue above it.")
    for block in blocks:
        lines, gap, blank_missing = block.lines, block.gap, block.blank_missing
        at = next((k for k in range(len(lines)) if _starts_cue(lines, k)), None)
        previous = out[-1].cue if out else None
        text_of_previous = previous is not None and not _NOT_A_CUE.match(lines[0][1])
        if text_of_previous and (at is None or at >= 2):
            # Text after a blank line continues the cue above; several lines of it before a
            # timing mean the next cue starts without a blank line (only one line can be an id).
            end = len(lines) if at is None else at
            previous.body.extend(text for _n, text in lines[:end])
            fixes.append(Repair("joined_text", lines[0][0], joined % {"line": lines[0][0]}))
            if at is None:
                continue
            fixes.append(Repair("missing_blank_line", lines[at][0],
                                missing % {"line": lines[at][0]}))  # fmt: skip
            gap, blank_missing, start = 0, True, at
        elif at is None:
            out.append(block)
            continue
        else:
            start = 0
        while at is not None:
            cue = _read_timing(*lines[at], fixes)
            cue.preamble = [text for _n, text in lines[start:at]]
            body = range(at + 1, len(lines))
            following = next((k for k in body if _starts_next_cue(lines, k)), None)
            cue.body = [text for _n, text in lines[at + 1 : following]]
            out.append(_Block(lines[start:following], gap, blank_missing, cue))
            if following is not None:
                number = lines[following][0]
                fixes.append(Repair("missing_blank_line", number, missing % {"line": number}))
                gap, blank_missing = 0, True
            start = at = following
    return out


def _retime(cues: list[_Cue], fixes: list[Repair]) -> list[_Cue]:
    """End cues that have no usable end, trim overlaps, put slightly disordered cues in time
    order (a stable sort); return the cues in that order."""
    unknown: dict[int, str] = {}
    latest: _Cue | None = None
    for n, cue in enumerate(cues):
        if cue.end is None:
            unknown[n] = "missing_end"
        elif cue.end == cue.start:
            unknown[n] = "zero_length"
        elif cue.end == 0:
            unknown[n] = "open_end"  # OHMS writes --> 00:00:00.000 for an end it does not know
        elif cue.end < cue.start:
            raise WebVTTError(
                _("Line %(line)d: the cue ends before it starts.") % {"line": cue.line},
                "ends_before_start",
            )
        if latest is not None and cue.start < latest.start:
            if latest.start - cue.start > OUT_OF_ORDER_TOLERANCE_MS:
                message = _("Line %(line)d: the cue starts long before the cue on line %(other)d.")
                raise WebVTTError(
                    message % {"line": cue.line, "other": latest.line}, "out_of_order"
                )
            message = _(
                "Line %(line)d: the cue starts before the cue on line %(other)d; the cues were "
                "put in time order."
            )
            fixes.append(
                Repair("out_of_order", cue.line, message % {"line": cue.line, "other": latest.line})
            )
        else:
            latest = cue
    messages = {
        "missing_end": _("Line %(line)d: the cue had no end time; it now ends at %(end)s."),
        "zero_length": _("Line %(line)d: the cue ended as it started; it now ends at %(end)s."),
        "open_end": _(
            "Line %(line)d: the cue ended at 00:00:00.000 (not known); it now ends at %(end)s."
        ),
        "overlap": _("Line %(line)d: the cue ran into the next one; it now ends at %(end)s."),
    }
    order = sorted(range(len(cues)), key=lambda n: cues[n].start)
    starts = [cues[n].start for n in order]
    for position, n in enumerate(order):
        cue = cues[n]
        later_at = bisect_right(starts, cue.start)
        later = starts[later_at] if later_at < len(starts) else None
        code = unknown.get(n)
        if code is not None:
            cue.end = later if later is not None else cue.start + OPEN_END_MS
        elif later is not None and cue.end > later:
            code, cue.end = "overlap", later
        if code is not None:
            cue.retime = True
            end = timestamp(cue.end / 1000)
            fixes.append(Repair(code, cue.line, messages[code] % {"line": cue.line, "end": end}))
        if position + 1 < len(order) and starts[position + 1] == cue.start:
            other = cues[order[position + 1]]
            message = _(
                "Line %(line)d: the cue starts at the same time as the cue on line %(other)d; "
                "both are kept and shown together."
            )
            fixes.append(
                Repair("same_start", other.line, message % {"line": other.line, "other": cue.line})
            )
    return [cues[n] for n in order]


def repair(text: str) -> Repaired:
    """Mend ``text`` into a file that ``parse`` accepts, listing every mend. Raise
    ``WebVTTError`` for what has no single reading: no WEBVTT line, a timing that is not a time,
    a cue that ends before it starts, cues far out of order. Cue text is never changed."""
    fixes: list[Repair] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        fixes.append(Repair("bom", 1, _("The byte-order mark at the start was removed.")))
    if "\r" in text:
        number = text[: text.index("\r")].count("\n") + 1
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        message = _("CR LF or CR line endings were changed to LF.")
        fixes.append(Repair("line_endings", number, message))
    lines = text.split("\n")
    spaces = [n + 1 for n, line in enumerate(lines) if line and not line.strip()]
    if spaces:
        lines = [line if line.strip() else "" for line in lines]
        listed = ", ".join(str(n) for n in spaces[:_LISTED_LINES])
        if len(spaces) > _LISTED_LINES:
            listed += ", …"
        message = _("Lines holding only spaces were made blank: %(lines)s.")
        fixes.append(Repair("blank_spaces", spaces[0], message % {"lines": listed}))
    first = next((n for n, line in enumerate(lines) if line), len(lines))
    header = lines[first].lstrip() if first < len(lines) else ""
    if not header.startswith("WEBVTT") or (len(header) > 6 and header[6] not in " \t"):
        raise WebVTTError(_("A WebVTT file must start with the line WEBVTT."), "no_header")
    if first or header != lines[first]:
        message = _("Blank lines and spaces before WEBVTT were removed.")
        fixes.append(Repair("before_header", 1, message))
    end = next(
        (n for n in range(first + 1, len(lines)) if not lines[n] or "-->" in lines[n]), len(lines)
    )
    blocks, tail = _split_blocks(lines, end)
    if end < len(lines) and lines[end]:
        blocks[0].blank_missing = True
        message = _("Line %(line)d: a cue began without a blank line before it; one was added.")
        fixes.append(Repair("missing_blank_line", end + 1, message % {"line": end + 1}))
    blocks = _read_blocks(blocks, fixes)
    slots = [block for block in blocks if block.cue is not None]
    if not slots:
        raise WebVTTError(_("The captions file has no cues."), "no_cues")
    ordered = _retime([block.cue for block in slots], fixes)
    for block, cue in zip(slots, ordered, strict=True):
        block.cue = cue
    out = [header, *lines[first + 1 : end]]
    for block in blocks:
        out += [""] * (1 if block.blank_missing else block.gap)
        cue = block.cue
        if cue is None:
            out += [text for _n, text in block.lines]
            continue
        timing = cue.raw_timing
        if cue.retime:
            timing = f"{timestamp(cue.start / 1000)} --> {timestamp(cue.end / 1000)}"
            timing += f" {cue.settings}" if cue.settings else ""
        out += [*cue.preamble, timing, *cue.body]
    out += [""] * tail
    fixes.sort(key=lambda fix: fix.line)
    return Repaired("\n".join(out), tuple(fixes))
