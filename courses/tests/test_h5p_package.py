"""H5P packages: every validation rule, with the shared real packages and hostile ones built
here; libraries stored once across packages; nothing stored for a refused package."""

from __future__ import annotations

import io
import json
import stat
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from courses.h5p import package, services
from courses.models import H5PContent, H5PLibrary
from media.services import storage_for
from tests.services import shared_fixture


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO(shared_fixture("h5p", name).read_bytes())


LIBRARY = {
    "title": "Greeting",
    "machineName": "H5P.Greeting",
    "majorVersion": 1,
    "minorVersion": 0,
    "patchVersion": 3,
    "runnable": 1,
    "preloadedJs": [{"path": "greeting.js"}],
}
H5P_JSON = {
    "title": "问候卡",
    "language": "zh",
    "mainLibrary": "H5P.Greeting",
    "embedTypes": ["div"],
    "preloadedDependencies": [
        {"machineName": "H5P.Greeting", "majorVersion": 1, "minorVersion": 0}
    ],
}


def build(
    files: dict[str, bytes | str] | None = None,
    *,
    extra: dict | None = None,
    drop: tuple[str, ...] = (),
    symlink: str | None = None,
) -> io.BytesIO:
    """A small package: h5p.json, content, one library; ``extra`` adds or replaces entries."""
    entries: dict[str, bytes | str] = {
        "h5p.json": json.dumps(H5P_JSON),
        "content/content.json": json.dumps({"greeting": "你好"}),
        "H5P.Greeting-1.0/library.json": json.dumps(LIBRARY),
        "H5P.Greeting-1.0/greeting.js": "H5P.Greeting = function () {};",
    }
    entries.update(files or {})
    entries.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            if name not in drop:
                archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    out.seek(0)
    return out


@pytest.mark.parametrize(
    "name",
    [
        "valid2.h5p",
        "valid3-3-images.h5p",
        "greetingcard1.h5p",
        "interactive-content-2260.h5p",
        "true-false.h5p",
        "H5P.DragText.h5p",
    ],
)
def test_the_valid_shared_packages_pass(name):
    checked = package.read(fixture(name))
    assert checked.h5p["mainLibrary"]
    assert checked.content is not None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("broken-h5p-json.h5p", "h5p.json is not valid JSON"),
        ("invalid-library-json.h5p", "library.json"),
        ("corrupt_archive.h5p", "not a zip archive"),
        ("missing-preloaded-js.h5p", "the file is missing"),
    ],
)
def test_the_invalid_shared_packages_are_refused_with_their_reason(name, reason):
    with pytest.raises(ValidationError, match=reason):
        package.read(fixture(name))


HOSTILE = {
    "zip slip": ({"../../evil.js": "x"}, "leaving its folder"),
    "absolute path": ({"/etc/cron.d/evil.json": "{}"}, "absolute path"),
    "php file": ({"content/shell.php": "<?php ?>"}, "File type not allowed"),
    "svg with script in content": (
        {"content/x.svg": "<svg><script>alert(1)</script></svg>"},
        "SVG files are not allowed",
    ),
    "bad h5p.json": ({"h5p.json": "{not json"}, "h5p.json is not valid JSON"),
    "bad content.json": ({"content/content.json": "[1,"}, "content.json is not valid JSON"),
    "h5p.json missing a field": (
        {"h5p.json": json.dumps({k: v for k, v in H5P_JSON.items() if k != "embedTypes"})},
        "lacks embedTypes",
    ),
    "library folder misnamed": (
        {"Greeting/library.json": json.dumps(LIBRARY)},
        "not named machineName-major.minor",
    ),
    "missing dependency": (
        {
            "H5P.Greeting-1.0/library.json": json.dumps(
                {
                    **LIBRARY,
                    "preloadedDependencies": [
                        {"machineName": "H5P.JoubelUI", "majorVersion": 1, "minorVersion": 3}
                    ],
                }
            )
        },
        "H5P.JoubelUI 1.3",
    ),
    "library.json lacking runnable": (
        {
            "H5P.Greeting-1.0/library.json": json.dumps(
                {k: v for k, v in LIBRARY.items() if k != "runnable"}
            )
        },
        "lacks runnable",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_packages_are_refused(case):
    files, reason = HOSTILE[case]
    with pytest.raises(ValidationError, match=reason):
        package.read(build(extra=files))


def test_symlinks_are_refused():
    with pytest.raises(ValidationError, match="symbolic link"):
        package.read(build(symlink="content/link.json"))


def _bomb() -> bytes:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("h5p.json", json.dumps(H5P_JSON))
        archive.writestr("content/content.json", "{}")
        archive.writestr("content/zeros.txt", b"\0" * (8 * 1024 * 1024))  # 8 MB → 8 KB
    return bomb.getvalue()


def test_a_zip_bomb_is_stopped_by_the_bytes_really_read(monkeypatch):
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        package.read(io.BytesIO(_bomb()))
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 4 * 1024 * 1024)
    with pytest.raises(ValidationError, match="more than 4 MB"):
        package.read(io.BytesIO(_bomb()))


def test_a_zip_that_lies_about_its_sizes_is_refused():
    raw = bytearray(_bomb())
    # Declare a tiny uncompressed size in the central directory; the data say otherwise.
    marker = raw.rfind(b"content/zeros.txt")
    header = raw.rfind(b"PK\x01\x02", 0, marker)
    raw[header + 24 : header + 28] = (100).to_bytes(4, "little")
    with pytest.raises(ValidationError, match="damaged"):
        package.read(io.BytesIO(bytes(raw)))


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(package, "MAX_ENTRIES", 10)
    files = {f"content/f{n}.txt": "x" for n in range(20)}
    with pytest.raises(ValidationError, match="more than 10 files"):
        package.read(build(extra=files))


def test_dot_and_underscore_entries_are_skipped():
    checked = package.read(
        build(
            extra={
                "__MACOSX/._h5p.json": "junk",
                ".DS_Store": "junk",
                "content/.hidden.php": "<?php",
            }
        )
    )
    assert ".hidden.php" not in checked.content_files


@pytest.mark.django_db
def test_libraries_are_stored_once_and_upgraded_by_patch(monkeypatch):
    first = services.install(source=build(), user=None)
    second = services.install(source=build(), user=None)
    assert H5PLibrary.objects.count() == 1
    library = H5PLibrary.objects.get()
    assert library.patch == 3
    assert set(first.libraries.all()) == set(second.libraries.all()) == {library}
    storage = storage_for("private")
    key = services.library_key("H5P.Greeting-1.0", "greeting.js")
    # a package with a lower patch writes no library file at all
    written: list[str] = []
    real_save = services._save
    monkeypatch.setattr(services, "_save", lambda k, d: (written.append(k), real_save(k, d)))
    older = {**LIBRARY, "patchVersion": 1}
    services.install(
        source=build(extra={"H5P.Greeting-1.0/library.json": json.dumps(older)}), user=None
    )
    assert H5PLibrary.objects.get().patch == 3
    assert written and not [k for k in written if k.startswith("h5p/libraries/")]
    newer = {**LIBRARY, "patchVersion": 7}
    services.install(
        source=build(
            extra={
                "H5P.Greeting-1.0/library.json": json.dumps(newer),
                "H5P.Greeting-1.0/greeting.js": "H5P.Greeting = function () { /* 1.0.7 */ };",
            }
        ),
        user=None,
    )
    assert H5PLibrary.objects.get().patch == 7
    with storage.open(key) as handle:
        assert b"1.0.7" in handle.read()
    # a package may rely on an installed library without carrying it
    services.install(
        source=build(drop=("H5P.Greeting-1.0/library.json", "H5P.Greeting-1.0/greeting.js")),
        user=None,
    )
    assert H5PContent.objects.count() == 5


@pytest.mark.django_db
def test_shared_packages_share_their_common_libraries():
    services.install(source=fixture("true-false.h5p"), user=None)
    count = H5PLibrary.objects.count()
    services.install(source=fixture("H5P.DragText.h5p"), user=None)
    common = H5PLibrary.objects.filter(machine_name="FontAwesome")
    assert common.count() == 1
    assert H5PLibrary.objects.count() < count * 2
    content = H5PContent.objects.get(main_library="H5P.TrueFalse")
    with storage_for("private").open(services.content_key(content.pk, "content/content.json")) as f:
        assert json.loads(f.read())


@pytest.mark.django_db
def test_a_refused_package_stores_nothing():
    with pytest.raises(ValidationError):
        services.install(source=build(extra={"content/shell.php": "x"}), user=None)
    assert not H5PContent.objects.exists() and not H5PLibrary.objects.exists()
