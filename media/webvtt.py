"""A strict-enough WebVTT check for caption files that readers and staff upload.

It checks what a browser needs to show captions: the signature, well-formed cue timings that
do not run backwards, and text that decodes as UTF-8. Errors name the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 512 * 1024
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}\s+-->\s+{_TIMESTAMP}(?:\s+.*)?$")


class WebVTTError(ValueError):
    pass


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
        raise WebVTTError(_("The file is larger than %(size)d KB.") % {"size": max_bytes // 1024})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise WebVTTError(_("The captions file must be UTF-8 text.")) from error
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT") or (len(lines[0]) > 6 and lines[0][6] not in " \t"):
        raise WebVTTError(_("A WebVTT file must start with the line WEBVTT."))
    cues: list[Cue] = []
    index = 1
    while index < len(lines):
        line = lines[index].strip()
        if "-->" in line:
            match = _TIMING.match(line)
            if not match:
                raise WebVTTError(
                    _("Line %(line)d: the cue timing is not valid.") % {"line": index + 1}
                )
            start = _seconds(*match.groups()[:4])
            end = _seconds(*match.groups()[4:])
            if end <= start:
                raise WebVTTError(
                    _("Line %(line)d: the cue ends before it starts.") % {"line": index + 1}
                )
            body = []
            index += 1
            while index < len(lines) and lines[index].strip():
                body.append(lines[index])
                index += 1
            cues.append(Cue(start, end, "\n".join(body)))
        index += 1
    if not cues:
        raise WebVTTError(_("The captions file has no cues."))
    return cues
