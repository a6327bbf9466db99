"""Slicing STL and 3MF models with PrusaSlicer's command line, and the printer types we slice for.

A printer type is a PrusaSlicer ``.ini`` kept in the project (``makerspace/profiles/``, plus any
directory in ``MAKERSPACE_PROFILE_DIRS``); each material has its own ``.ini`` under
``materials/`` with temperatures, density and price, loaded after the printer's. PrusaSlicer
writes its estimates as comments, which ``gcode.analyse`` reads.

PrusaSlicer is Debian's ``prusa-slicer`` package. Where it is not installed, slicing raises
``SlicerMissing`` and the queue refuses models with a clear message; G-code still works.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
MATERIALS_DIR = PROFILES_DIR / "materials"


class SlicerError(Exception):
    """The model could not be sliced; the message is for the maker."""


class SlicerMissing(SlicerError):
    pass


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str
    bed_x: float
    bed_y: float
    height: float
    nozzle_mm: Decimal


def _read_ini(path: Path) -> tuple[dict[str, str], str]:
    values: dict[str, str] = {}
    description = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not description:
            description = line.lstrip("# ").split(":", 1)[-1].strip()
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values, description


def _profile(path: Path) -> Profile:
    values, description = _read_ini(path)
    corners = [
        tuple(float(n) for n in point.split("x")) for point in values["bed_shape"].split(",")
    ]
    return Profile(
        name=path.stem,
        path=path,
        description=description,
        bed_x=max(x for x, _y in corners),
        bed_y=max(y for _x, y in corners),
        height=float(values["max_print_height"]),
        nozzle_mm=Decimal(values["nozzle_diameter"].split(",")[0]).quantize(Decimal("0.01")),
    )


@cache
def _profiles(dirs: tuple[str, ...]) -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for directory in dirs:
        for path in sorted(Path(directory).glob("*.ini")):
            found[path.stem] = _profile(path)
    return found


def profiles() -> dict[str, Profile]:
    dirs = (str(PROFILES_DIR), *map(str, getattr(settings, "MAKERSPACE_PROFILE_DIRS", ())))
    return _profiles(dirs)


def _number(value) -> str:
    """0.40 → "0.4", 220.0 → "220": how people say sizes."""
    return format(Decimal(str(value)).normalize(), "f")


def type_name(profile: str, nozzle_mm=None) -> str:
    """What makers and staff read for a printer type: its bed and nozzle in words, in the
    reader's language (e.g. 通用 220 mm 打印机（0.4 mm 喷嘴）), never the profile's file name."""
    known = profiles().get(profile)
    nozzle = _number(nozzle_mm if nozzle_mm is not None else known.nozzle_mm if known else 0.4)
    if known is None:
        return _("Other printer (%(nozzle)s mm nozzle)") % {"nozzle": nozzle}
    x, y = _number(known.bed_x), _number(known.bed_y)
    return _("Generic %(size)s mm printer (%(nozzle)s mm nozzle)") % {
        "size": x if x == y else f"{x} × {y}",
        "nozzle": nozzle,
    }


def profile_choices() -> list[tuple[str, str]]:
    """For the admin: the name people read, with the profile file it loads."""
    return [(name, f"{type_name(name)} · {name}") for name in profiles()]


def missing_message() -> str:
    return _(
        "The slicer is not installed on this server, so models cannot be sliced here. "
        "Please upload ready G-code, or ask the maker space staff."
    )


def executable() -> str | None:
    return shutil.which(getattr(settings, "MAKERSPACE_SLICER", "prusa-slicer"))


def slice_model(*, model: Path, profile: str, material: str, quantity: int, output: Path) -> None:
    """Write G-code for ``quantity`` copies of ``model`` arranged on one bed."""
    binary = executable()
    if binary is None:
        raise SlicerMissing(
            _(
                "The slicer is not installed on this server, so models cannot be sliced here. "
                "Please upload ready G-code, or ask the maker space staff."
            )
        )
    printer = profiles().get(profile)
    if printer is None:
        raise SlicerError(_("Unknown printer type."))
    command = [binary, "--export-gcode", "--load", str(printer.path)]
    material_ini = MATERIALS_DIR / f"{material}.ini"
    if material_ini.exists():
        command += ["--load", str(material_ini)]
    if quantity > 1:
        command += ["--duplicate", str(quantity)]
    command += ["--output", str(output), str(model)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=settings.MAKERSPACE_SLICE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SlicerError(_("Slicing took too long; the model may be too detailed.")) from error
    if done.returncode != 0 or not output.exists() or output.stat().st_size == 0:
        # PrusaSlicer's own reason (e.g. "Objects could not fit on the bed") helps the maker.
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if "[trace]" not in ln]
        detail = lines[-1].strip()[:200] if lines else ""
        raise SlicerError(_("The model could not be sliced: %(detail)s") % {"detail": detail})
