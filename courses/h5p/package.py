"""Reading and checking an ``.h5p`` package before anything is stored (our own H5P bridge).

Everything is refused with a reason a librarian can act on, and with a stable ``code`` on the
ValidationError. Extraction is safe: no absolute paths, no ``..``, no symlinks, entries starting
with ``.`` or ``_`` skipped, a cap on the number of entries, and per-file and total sizes
counted on the bytes really read, because the sizes a zip declares can lie (a zip bomb declares
small sizes).

A package brings content, not arbitrary code:

* every file under ``content/`` (and every asset of a library) must be what its extension
  says: images decode with Pillow as that format, audio/video/PDF/glTF binaries are recognised
  by ``media.sniff``, fonts and office files by their signatures, text is UTF-8 text and not a
  web page, every JSON file anywhere parses;
* a library folder holds only what its ``library.json`` accounts for (see ``_check_library_file``):
  a script or stylesheet it does not declare would still be served from the origin the player
  runs on, where the player's ``script-src 'self'`` lets it run;
* a package needing a newer H5P core API than the player we ship is refused.
"""

from __future__ import annotations

import io
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
from PIL import Image

from media import sniff

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
# What a library may hold besides its declared scripts and styles (H5P's library whitelist
# narrowed to what the files a library's JS/CSS load need): fonts, images, SVG (checked for
# scripts), JSON data, sounds and videos, and plain-text notes (README.md, jQuery UI's .diff).
# No xml (XHTML runs scripts), no html, no undeclared js/css.
LIBRARY_ASSET_EXTENSIONS = frozenset(
    ["eot", "ttf", "woff", "woff2", "otf", "png", "jpg", "jpeg", "gif", "svg", "json"]  # noqa: RUF005
    + ["mp3", "m4a", "wav", "ogg", "webm", "mp4", "md", "txt", "diff", "patch"]
)
# Files H5P itself knows at a library's root: metadata, the editor's upgrade and presave hooks.
LIBRARY_FIXED_FILES = frozenset(
    ["library.json", "semantics.json", "icon.svg", "icon.png", "upgrades.js", "presave.js"]
)
# The H5P core API that h5p-standalone 3.8.2 (package.json; node_modules/h5p-standalone/dist)
# implements. Its bundle carries no version number; it ships H5P core's styles/h5p-fonts.css
# and fonts/h5p-core-30.woff2, which h5p-php-library added in core 1.28 (H5PCore::$coreApi
# 1.28). Update this together with h5p-standalone.
H5P_CORE_API = (1, 28)
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


IMAGE_FORMATS = {
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "bmp": "BMP",
    "tif": "TIFF",
    "tiff": "TIFF",
}
SNIFFED = frozenset(["webm", "mp4", "ogg", "mp3", "m4a", "wav", "pdf", "glb"])
# MP4 and M4A are one container (ISO base media); which brand a file declares varies by tool.
ISO_MEDIA = frozenset(["mp4", "m4a", "mov"])
FONT_SIGNATURES = {
    "ttf": (b"\x00\x01\x00\x00", b"true", b"ttcf"),
    "otf": (b"OTTO",),
    "woff": (b"wOFF",),
    "woff2": (b"wOF2",),
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_TYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
    "odp": b"application/vnd.oasis.opendocument.presentation",
}
TEXT = frozenset(["txt", "csv", "diff", "patch", "md", "textile", "vtt", "webvtt"])
SVG_SCRIPT = re.compile(
    rb"<\s*script|<\s*foreignobject|<!entity|javascript\s*:|[\s\"'/]on[a-z]+\s*=", re.I
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


def _refuse(message: str, code: str) -> PackageError:
    return PackageError(message, code=code)


def _safe_name(info: zipfile.ZipInfo) -> str | None:
    """The entry's path, None for entries to skip; a refusal for dangerous ones."""
    name = info.filename
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise _refuse(
            _("The package contains an absolute path: %(name)s") % {"name": name},
            "absolute_path",
        )
    parts = [p for p in name.split("/") if p]
    if any(p == ".." for p in parts):
        raise _refuse(
            _("The package contains a path leaving its folder: %(name)s") % {"name": name},
            "path_traversal",
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse(
            _("The package contains a symbolic link: %(name)s") % {"name": name}, "symlink"
        )
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
        raise _refuse(
            _("The archive is damaged: %(name)s") % {"name": info.filename}, "damaged"
        ) from error


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
                    % {"mb": MAX_FILE_BYTES // 2**20, "name": info.filename},
                    "file_too_large",
                )
            if budget[0] > MAX_TOTAL_BYTES:
                raise _refuse(
                    _("The package unpacks to more than %(mb)d MB.")
                    % {"mb": MAX_TOTAL_BYTES // 2**20},
                    "package_too_large",
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(data: bytes, name: str):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(
            _("%(name)s is not valid JSON: %(error)s") % {"name": name, "error": error},
            "invalid_json",
        ) from error


def _json(data: bytes, name: str) -> dict:
    value = _parse_json(data, name)
    if not isinstance(value, dict):
        raise _refuse(_("%(name)s must be a JSON object.") % {"name": name}, "json_not_object")
    return value


def _extension(path: str) -> str:
    base = posixpath.basename(path)
    return base.rsplit(".", 1)[1].lower() if "." in base else ""


def _not_allowed(name: str) -> PackageError:
    return _refuse(_("File type not allowed: %(name)s") % {"name": name}, "file_type_not_allowed")


def _mismatch(name: str, extension: str) -> PackageError:
    return _refuse(
        _("%(name)s is not a .%(extension)s file: its content does not match its name.")
        % {"name": name, "extension": extension},
        "content_mismatch",
    )


def _is_image(data: bytes, extension: str) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[extension]]) as image:
            image.verify()
    # Pillow reports undecodable data with many exception types (OSError, SyntaxError,
    # ValueError, struct.error, DecompressionBombError...): all of them mean "not this image".
    except Exception:
        return False
    return True


def _is_sniffed(data: bytes, extension: str) -> bool:
    try:
        found = sniff.sniff_head(data[: sniff.HEAD_BYTES], total_size=len(data))
    except sniff.UnsupportedFile:
        return False
    if extension in found.extensions:
        return True
    return extension in ISO_MEDIA and found.name in ISO_MEDIA


def _zip_names(data: bytes) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return None


def _is_office(data: bytes, extension: str) -> bool:
    if extension in ("doc", "xls", "ppt"):
        return data.startswith(OLE2)
    archive = _zip_names(data)
    if archive is None:
        return False
    with archive:
        names = archive.namelist()
        if extension in OOXML_FOLDERS:
            folder = OOXML_FOLDERS[extension]
            return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
        try:
            info = archive.getinfo("mimetype")
        except KeyError:
            return False
        if info.file_size > 100:
            return False
        try:
            return archive.read(info).strip() == ODF_TYPES[extension]
        except (zipfile.BadZipFile, zlib.error, EOFError):
            return False


def _is_text(data: bytes, extension: str) -> bool:
    """UTF-8 text that is not a program, script or web page (media.sniff's judgement)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if "\x00" in text:
        return False
    head = text.lstrip("\ufeff").encode()[: sniff.HEAD_BYTES]
    try:
        sniff._refuse_dangerous(head)  # programs, scripts, SVG, HTML and XML
    except sniff.UnsupportedFile:
        return False
    if extension in ("vtt", "webvtt"):
        return head.startswith(b"WEBVTT")
    return True


def _check_file(name: str, data: bytes) -> None:
    """A file under content/ or a library asset must be what its extension says."""
    extension = _extension(name)
    if extension in ("json", "gltf"):
        _parse_json(data, name)
        return
    if extension == "svg":
        _check_svg(name, data)
        return
    if extension in IMAGE_FORMATS:
        ok = _is_image(data, extension)
    elif extension in SNIFFED:
        ok = _is_sniffed(data, extension)
    elif extension in FONT_SIGNATURES:
        ok = data.startswith(FONT_SIGNATURES[extension])
    elif extension == "eot":
        ok = len(data) >= 36 and data[34:36] == b"LP"  # the EOT header's magic number
    elif extension in TEXT:
        ok = _is_text(data, extension)
    elif extension == "rtf":
        ok = data.startswith(b"{\\rtf")
    elif extension in OOXML_FOLDERS or extension in ODF_TYPES or extension in ("doc", "xls", "ppt"):
        ok = _is_office(data, extension)
    else:
        ok = False  # a type without a check is not accepted
    if not ok:
        raise _mismatch(name, extension)


def _check_svg(name: str, data: bytes) -> None:
    """SVG is allowed only in libraries (icon fonts, icons) and must not be able to run script:
    library files are served from the player's origin, and an SVG opened directly is a
    document."""
    if b"<svg" not in data[:4096].lower():
        raise _mismatch(name, "svg")
    if SVG_SCRIPT.search(data):
        raise _refuse(
            _("%(name)s is an SVG image that could run a script.") % {"name": name}, "unsafe_svg"
        )


def _core_api(data: dict, name: str) -> None:
    """Refuse a ``coreApi`` newer than the H5P core our player implements."""
    if "coreApi" not in data:
        return
    value = data["coreApi"]

    def number(key: str, default: int) -> int:
        item = value.get(key, default)
        if isinstance(item, bool) or not re.fullmatch(r"\d{1,5}", str(item)):
            raise ValueError(key)
        return int(item)

    try:
        if not isinstance(value, dict):
            raise ValueError("coreApi")
        version = (number("majorVersion", 1), number("minorVersion", 0))
    except ValueError as error:
        raise _refuse(
            _("%(name)s has a malformed coreApi version.") % {"name": name}, "malformed_core_api"
        ) from error
    if version > H5P_CORE_API:
        raise _refuse(
            _(
                "%(name)s needs H5P core %(major)d.%(minor)d; our player supports up to "
                "%(ours)s. Use an older version of this content type."
            )
            % {
                "name": name,
                "major": version[0],
                "minor": version[1],
                "ours": "{}.{}".format(*H5P_CORE_API),
            },
            "unsupported_core_api",
        )


def _check_library_file(folder: str, path: str, data: bytes, declared: set[str]) -> None:
    """What a library may hold, by this rule:

    * the files its library.json declares in preloadedJs (``.js``) and preloadedCss (``.css``);
    * H5P's fixed files at its root (LIBRARY_FIXED_FILES) and ``language/<code>.json``;
    * assets its scripts and styles load, by extension (LIBRARY_ASSET_EXTENSIONS), each checked
      to be what its extension says.

    Any other ``.js`` or ``.css`` is refused: served from the player's origin, an undeclared
    script would be code nobody declared that ``script-src 'self'`` still lets run (in a
    language folder, or an ``upgrades.js`` below the root, just the same).
    """
    name = f"{folder}/{path}"
    extension = _extension(path)
    if path == "library.json":
        return  # already read by _library
    if path in declared or path in ("upgrades.js", "presave.js"):
        return
    if path == "semantics.json":
        _parse_json(data, name)
        return
    if path.startswith("language/") and extension == "json" and path.count("/") == 1:
        _json(data, name)
        return
    if extension in ("js", "css"):
        raise _refuse(
            _("%(name)s is not declared in %(folder)s/library.json.")
            % {"name": path, "folder": folder},
            "undeclared_library_file",
        )
    _check_file(name, data)


def _library(folder: str, files: dict[str, bytes]) -> Library:
    match = LIBRARY_FOLDER.match(folder)
    if not match:
        raise _refuse(
            _("The folder %(folder)s is not named machineName-major.minor.") % {"folder": folder},
            "library_folder_name",
        )
    if "library.json" not in files:
        raise _refuse(
            _("The library %(folder)s has no library.json.") % {"folder": folder},
            "missing_library_json",
        )
    data = _json(files["library.json"], f"{folder}/library.json")
    missing = [key for key in LIBRARY_REQUIRED if key not in data]
    if missing:
        raise _refuse(
            _("%(folder)s/library.json lacks %(fields)s.")
            % {"folder": folder, "fields": ", ".join(missing)},
            "library_json_incomplete",
        )
    try:
        major, minor, patch = (
            int(data[k]) for k in ("majorVersion", "minorVersion", "patchVersion")
        )
    except (TypeError, ValueError) as error:
        raise _refuse(
            _("%(folder)s/library.json has versions that are not numbers.") % {"folder": folder},
            "library_version",
        ) from error
    if (data["machineName"], major, minor) != (
        match.group(1),
        int(match.group(2)),
        int(match.group(3)),
    ):
        raise _refuse(
            _("The folder %(folder)s does not match its library.json.") % {"folder": folder},
            "library_folder_mismatch",
        )
    _core_api(data, f"{folder}/library.json")

    def paths(key: str, extension: str) -> list[str]:
        items = data.get(key) or []
        found = []
        for item in items if isinstance(items, list) else [None]:
            path = str(item.get("path", "")) if isinstance(item, dict) else ""
            if path not in files:
                raise _refuse(
                    _("%(folder)s lists %(path)s in %(key)s, but the file is missing.")
                    % {"folder": folder, "path": path, "key": key},
                    "missing_preloaded_file",
                )
            if _extension(path) != extension:
                raise _refuse(
                    _("%(folder)s lists %(path)s in %(key)s, which only takes .%(ext)s files.")
                    % {"folder": folder, "path": path, "key": key, "ext": extension},
                    "undeclared_library_file",
                )
            found.append(path)
        return found

    preloaded_js = paths("preloadedJs", "js")
    preloaded_css = paths("preloadedCss", "css")
    declared = set(preloaded_js) | set(preloaded_css)
    for path, content in files.items():
        _check_library_file(folder, path, content, declared)

    dependencies = []
    for dep in data.get("preloadedDependencies") or []:
        try:
            dependencies.append(
                (str(dep["machineName"]), int(dep["majorVersion"]), int(dep["minorVersion"]))
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _refuse(
                _("%(folder)s/library.json has a malformed dependency.") % {"folder": folder},
                "malformed_dependency",
            ) from error
    return Library(
        machine_name=match.group(1),
        major=major,
        minor=minor,
        patch=patch,
        title=str(data["title"])[:255],
        runnable=bool(data["runnable"]),
        preloaded_js=preloaded_js,
        preloaded_css=preloaded_css,
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
        raise _refuse(
            _("The file is not a zip archive, so it is not an H5P package."), "not_zip"
        ) from error
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise _refuse(
                _("The package has more than %(n)d files.") % {"n": MAX_ENTRIES},
                "too_many_files",
            )
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
                    raise _not_allowed(name)
                root[name] = _read(archive, info, budget)
            elif top == "content":
                if extension == "svg":
                    raise _refuse(
                        _("SVG files are not allowed in content: %(name)s") % {"name": name},
                        "file_type_not_allowed",
                    )
                if extension not in CONTENT_EXTENSIONS:
                    raise _not_allowed(name)
                content[rest] = _read(archive, info, budget)
            else:
                if extension not in LIBRARY_ASSET_EXTENSIONS | {"js", "css"}:
                    raise _not_allowed(name)
                folders.setdefault(top, {})[rest] = _read(archive, info, budget)
    if "h5p.json" not in root:
        raise _refuse(_("The package has no h5p.json."), "missing_h5p_json")
    h5p = _json(root["h5p.json"], "h5p.json")
    missing = [key for key in H5P_REQUIRED if key not in h5p]
    if missing:
        raise _refuse(
            _("h5p.json lacks %(fields)s.") % {"fields": ", ".join(missing)},
            "h5p_json_incomplete",
        )
    _core_api(h5p, "h5p.json")
    for name, data in root.items():
        if name != "h5p.json" and _extension(name) == "json":
            _parse_json(data, name)
    if "content.json" not in content:
        raise _refuse(_("The package has no content/content.json."), "missing_content_json")
    content_json = _json(content["content.json"], "content/content.json")
    for path, data in content.items():
        if path != "content.json":
            _check_file(f"content/{path}", data)
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
                % {"via": via, "name": dep[0], "major": dep[1], "minor": dep[2]},
                "missing_dependency",
            )

    for dep in h5p.get("preloadedDependencies") or []:
        try:
            wanted = (str(dep["machineName"]), int(dep["majorVersion"]), int(dep["minorVersion"]))
        except (KeyError, TypeError, ValueError) as error:
            raise _refuse(
                _("h5p.json has a malformed dependency."), "malformed_dependency"
            ) from error
        need(wanted, "h5p.json")
    for library in libraries.values():
        for dep in library.dependencies:
            need(dep, library.folder)
    return Package(h5p=h5p, content=content_json, content_files=content, libraries=libraries)
