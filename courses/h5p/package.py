"""Reading and checking an ``.h5p`` package before anything is stored (our own H5P bridge).

Everything is refused with a reason a librarian can act on. Extraction is safe: no absolute
paths, no ``..``, no symlinks, entries starting with ``.`` or ``_`` skipped, a cap on the
number of entries, and per-file and total sizes counted on the bytes really read, because the
sizes a zip declares can lie (a zip bomb declares small sizes).
"""

from __future__ import annotations

import json
import posixpath
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# H5P's own whitelists (h5p-php-library: H5PCore::$defaultContentWhitelist / library extras).
CONTENT_EXTENSIONS = frozenset(
    [
        "json",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "tif",
        "tiff",
        "eot",
        "ttf",
        "woff",
        "woff2",
        "otf",
        "webm",
        "mp4",
        "ogg",
        "mp3",
        "m4a",
        "wav",
        "txt",
        "pdf",
        "rtf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "csv",
        "diff",
        "patch",
        "md",
        "textile",
        "vtt",
        "webvtt",
        "gltf",
        "glb",
    ]
)
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | {"js", "css", "svg", "xml"}
MAX_ENTRIES = 2000
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
CHUNK = 64 * 1024
LIBRARY_FOLDER = re.compile(r"^([A-Za-z0-9_.-]+)-(\d+)\.(\d+)$")
H5P_REQUIRED = ("title", "language", "mainLibrary", "embedTypes", "preloadedDependencies")
LIBRARY_REQUIRED = (
    "title",
    "machineName",
    "majorVersion",
    "minorVersion",
    "patchVersion",
    "runnable",
)


class PackageError(ValidationError):
    pass


@dataclass
class Library:
    machine_name: str
    major: int
    minor: int
    patch: int
    title: str
    runnable: bool
    preloaded_js: list[str]
    preloaded_css: list[str]
    dependencies: list[tuple[str, int, int]]
    files: dict[str, bytes] = field(default_factory=dict)  # path inside the library folder

    @property
    def folder(self) -> str:
        return f"{self.machine_name}-{self.major}.{self.minor}"


@dataclass
class Package:
    h5p: dict
    content: dict
    content_files: dict[str, bytes]  # path under content/
    libraries: dict[str, Library]  # by folder

    @property
    def title(self) -> str:
        return str(self.h5p.get("title", ""))[:255]

    @property
    def main_library(self) -> str:
        return str(self.h5p["mainLibrary"])


def _refuse(message: str) -> PackageError:
    return PackageError(message)


def _safe_name(info: zipfile.ZipInfo) -> str | None:
    """The entry's path, None for entries to skip; a refusal for dangerous ones."""
    name = info.filename
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise _refuse(_("The package contains an absolute path: %(name)s") % {"name": name})
    parts = [p for p in name.split("/") if p]
    if any(p == ".." for p in parts):
        raise _refuse(
            _("The package contains a path leaving its folder: %(name)s") % {"name": name}
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse(_("The package contains a symbolic link: %(name)s") % {"name": name})
    if not parts or any(p.startswith((".", "_")) for p in parts):
        return None
    if info.is_dir():
        return None
    return posixpath.join(*parts)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """Read an entry, counting the bytes that really come out (not the declared size)."""
    try:
        return _read_counted(archive, info, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        # e.g. a size or checksum that does not match the data: the archive lies or is broken
        raise _refuse(_("The archive is damaged: %(name)s") % {"name": info.filename}) from error


def _read_counted(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    chunks, size = [], 0
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            budget[0] += len(chunk)
            if size > MAX_FILE_BYTES:
                raise _refuse(
                    _("A file in the package is larger than %(mb)d MB: %(name)s")
                    % {"mb": MAX_FILE_BYTES // 2**20, "name": info.filename}
                )
            if budget[0] > MAX_TOTAL_BYTES:
                raise _refuse(
                    _("The package unpacks to more than %(mb)d MB.")
                    % {"mb": MAX_TOTAL_BYTES // 2**20}
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _json(data: bytes, name: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(
            _("%(name)s is not valid JSON: %(error)s") % {"name": name, "error": error}
        ) from error
    if not isinstance(value, dict):
        raise _refuse(_("%(name)s must be a JSON object.") % {"name": name})
    return value


def _extension(path: str) -> str:
    base = posixpath.basename(path)
    return base.rsplit(".", 1)[1].lower() if "." in base else ""


def _library(folder: str, files: dict[str, bytes]) -> Library:
    match = LIBRARY_FOLDER.match(folder)
    if not match:
        raise _refuse(
            _("The folder %(folder)s is not named machineName-major.minor.") % {"folder": folder}
        )
    if "library.json" not in files:
        raise _refuse(_("The library %(folder)s has no library.json.") % {"folder": folder})
    data = _json(files["library.json"], f"{folder}/library.json")
    missing = [key for key in LIBRARY_REQUIRED if key not in data]
    if missing:
        raise _refuse(
            _("%(folder)s/library.json lacks %(fields)s.")
            % {"folder": folder, "fields": ", ".join(missing)}
        )
    try:
        major, minor, patch = (
            int(data[k]) for k in ("majorVersion", "minorVersion", "patchVersion")
        )
    except (TypeError, ValueError) as error:
        raise _refuse(
            _("%(folder)s/library.json has versions that are not numbers.") % {"folder": folder}
        ) from error
    if (data["machineName"], major, minor) != (
        match.group(1),
        int(match.group(2)),
        int(match.group(3)),
    ):
        raise _refuse(
            _("The folder %(folder)s does not match its library.json.") % {"folder": folder}
        )

    def paths(key: str) -> list[str]:
        items = data.get(key) or []
        found = []
        for item in items:
            path = str(item.get("path", "")) if isinstance(item, dict) else ""
            if path not in files:
                raise _refuse(
                    _("%(folder)s lists %(path)s in %(key)s, but the file is missing.")
                    % {"folder": folder, "path": path, "key": key}
                )
            found.append(path)
        return found

    dependencies = []
    for dep in data.get("preloadedDependencies") or []:
        try:
            dependencies.append(
                (str(dep["machineName"]), int(dep["majorVersion"]), int(dep["minorVersion"]))
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _refuse(
                _("%(folder)s/library.json has a malformed dependency.") % {"folder": folder}
            ) from error
    return Library(
        machine_name=match.group(1),
        major=major,
        minor=minor,
        patch=patch,
        title=str(data["title"])[:255],
        runnable=bool(data["runnable"]),
        preloaded_js=paths("preloadedJs"),
        preloaded_css=paths("preloadedCss"),
        dependencies=dependencies,
        files=files,
    )


def read(source: BinaryIO, *, installed: set[tuple[str, int, int]] | None = None) -> Package:
    """Check an ``.h5p`` package completely; return it, or raise PackageError with a reason.

    ``installed`` names libraries already stored (machineName, major, minor): a package may
    depend on them without carrying them.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise _refuse(_("The file is not a zip archive, so it is not an H5P package.")) from error
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise _refuse(_("The package has more than %(n)d files.") % {"n": MAX_ENTRIES})
        budget = [0]
        root: dict[str, bytes] = {}
        content: dict[str, bytes] = {}
        folders: dict[str, dict[str, bytes]] = {}
        for info in entries:
            name = _safe_name(info)
            if name is None:
                continue
            top, _sep, rest = name.partition("/")
            extension = _extension(name)
            if not rest:
                if name != "h5p.json" and extension not in CONTENT_EXTENSIONS:
                    raise _refuse(_("File type not allowed: %(name)s") % {"name": name})
                root[name] = _read(archive, info, budget)
            elif top == "content":
                if extension == "svg":
                    raise _refuse(
                        _("SVG files are not allowed in content: %(name)s") % {"name": name}
                    )
                if extension not in CONTENT_EXTENSIONS:
                    raise _refuse(_("File type not allowed: %(name)s") % {"name": name})
                content[rest] = _read(archive, info, budget)
            else:
                if extension not in LIBRARY_EXTENSIONS:
                    raise _refuse(_("File type not allowed: %(name)s") % {"name": name})
                folders.setdefault(top, {})[rest] = _read(archive, info, budget)
    if "h5p.json" not in root:
        raise _refuse(_("The package has no h5p.json."))
    h5p = _json(root["h5p.json"], "h5p.json")
    missing = [key for key in H5P_REQUIRED if key not in h5p]
    if missing:
        raise _refuse(_("h5p.json lacks %(fields)s.") % {"fields": ", ".join(missing)})
    if "content.json" not in content:
        raise _refuse(_("The package has no content/content.json."))
    content_json = _json(content["content.json"], "content/content.json")
    libraries = {folder: _library(folder, files) for folder, files in folders.items()}
    available = {(lib.machine_name, lib.major, lib.minor) for lib in libraries.values()}
    available |= installed or set()

    def need(dep: tuple[str, int, int], via: str) -> None:
        if dep not in available:
            raise _refuse(
                _(
                    "%(via)s needs the library %(name)s %(major)d.%(minor)d, which is "
                    "neither in the package nor installed."
                )
                % {"via": via, "name": dep[0], "major": dep[1], "minor": dep[2]}
            )

    for dep in h5p.get("preloadedDependencies") or []:
        try:
            need(
                (str(dep["machineName"]), int(dep["majorVersion"]), int(dep["minorVersion"])),
                "h5p.json",
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _refuse(_("h5p.json has a malformed dependency.")) from error
    for library in libraries.values():
        for dep in library.dependencies:
            need(dep, library.folder)
    return Package(h5p=h5p, content=content_json, content_files=content, libraries=libraries)
