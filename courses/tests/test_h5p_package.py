"""H5P packages: every validation rule, on packages built here from our own content type
(H5P.LiaotuChoice) and hostile variants of it; libraries stored once across packages; nothing
stored for a refused package. Real third-party packages are checked in test_h5p_conformance."""

from __future__ import annotations

import io
import json
import posixpath
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.h5p import build, package, services
from courses.models import H5PContent, H5PLibrary
from media.services import storage_for

from . import h5p_packages as pk
from .h5p_packages import EICAR, FOLDER, PROGRAM, SAMPLES, changed, library_json


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refused(source) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        package.read(source)
    return caught.value


# --- Our own package -------------------------------------------------------------------------


def test_our_own_package_passes_with_its_library_and_content():
    checked = package.read(pk.valid())
    assert checked.main_library == "H5P.LiaotuChoice"
    library = checked.libraries[FOLDER]
    assert library.preloaded_js == ["liaotu-choice.js"]
    assert library.preloaded_css == ["liaotu-choice.css"]
    assert set(library.files) == {
        "library.json",
        "semantics.json",
        "liaotu-choice.js",
        "liaotu-choice.css",
        "language/zh-hans.json",
    }
    assert checked.content["question"] == pk.QUESTION
    assert [a["correct"] for a in checked.content["answers"]] == [True, False, False]
    assert checked.content["l10n"]["checkAnswer"] == "检查"


def test_the_interface_texts_default_to_english_and_are_translated_to_chinese():
    english = build.interface_texts("en")
    chinese = build.interface_texts("zh-hans")
    assert english["checkAnswer"] == "Check" and chinese["checkAnswer"] == "检查"
    assert set(english) == set(chinese)
    assert all(chinese[key] != english[key] for key in english)
    assert "@score" in chinese["score"] and "@total" in chinese["score"]


def test_the_chinese_language_file_mirrors_the_semantics_field_by_field():
    semantics = json.loads((build.LIBRARY_DIR / "semantics.json").read_text())
    translated = json.loads((build.LIBRARY_DIR / "language/zh-hans.json").read_text())

    def shape(fields):
        return [
            (
                len(f.get("fields", [])),
                shape(f["fields"]) if "fields" in f else None,
                shape(f["field"]["fields"]) if "field" in f else None,
            )
            for f in fields
        ]

    assert shape(semantics) == shape(translated["semantics"])


@pytest.mark.parametrize(
    ("question", "answers"),
    [
        ("", pk.ANSWERS),
        ("Q?", [build.Answer("only", correct=True)]),
        ("Q?", [build.Answer(str(n), correct=True) for n in range(7)]),
        ("Q?", [build.Answer("a"), build.Answer("b")]),
    ],
)
def test_the_builder_refuses_what_the_content_type_cannot_play(question, answers):
    with pytest.raises(ValueError):
        build.build_package(title="x", question=question, answers=answers)


def test_the_builder_accepts_two_to_six_answers_with_several_correct():
    for count in (2, 6):
        answers = [build.Answer(str(n), correct=n < 2) for n in range(count)]
        data = build.build_package(title="x", question="Q?", answers=answers, language="en")
        checked = package.read(io.BytesIO(data))
        assert len(checked.content["answers"]) == count
        assert checked.content["l10n"]["checkAnswer"] == "Check"


# --- The allow-lists, pinned ----------------------------------------------------------------

CONTENT_EXTENSIONS = {
    "json", "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "eot", "ttf", "woff", "woff2",
    "otf", "webm", "mp4", "ogg", "mp3", "m4a", "wav", "txt", "pdf", "rtf", "doc", "docx", "xls",
    "xlsx", "ppt", "pptx", "odt", "ods", "odp", "csv", "diff", "patch", "md", "textile", "vtt",
    "webvtt", "gltf", "glb",
}  # fmt: skip
LIBRARY_ASSET_EXTENSIONS = {
    "eot", "ttf", "woff", "woff2", "otf", "png", "jpg", "jpeg", "gif", "svg", "json", "mp3",
    "m4a", "wav", "ogg", "webm", "mp4", "md", "txt", "diff", "patch",
}  # fmt: skip


def test_the_allow_lists_are_exactly_these():
    assert package.CONTENT_EXTENSIONS == CONTENT_EXTENSIONS
    assert package.LIBRARY_ASSET_EXTENSIONS == LIBRARY_ASSET_EXTENSIONS
    fixed = {"library.json", "semantics.json", "icon.svg", "icon.png", "upgrades.js", "presave.js"}
    assert fixed == package.LIBRARY_FIXED_FILES
    assert set(SAMPLES) == CONTENT_EXTENSIONS  # every allowed type is tried below
    assert package.H5P_CORE_API == (1, 28)


REFUSED_IN_CONTENT = [
    "html", "htm", "xhtml", "shtml", "php", "phtml", "svg", "js", "mjs", "css", "xml", "xsl",
    "swf", "exe", "sh", "wasm", "jar", "",
]  # fmt: skip


@pytest.mark.parametrize("extension", REFUSED_IN_CONTENT)
def test_types_outside_the_content_whitelist_are_refused(extension):
    name = f"content/page.{extension}" if extension else "content/page"
    error = refused(changed({name: "<script>alert(1)</script>"}))
    assert error.code == "file_type_not_allowed"


@pytest.mark.parametrize("extension", ["HTML", "Php", "SVG"])
def test_the_extension_check_ignores_case(extension):
    assert refused(changed({f"content/x.{extension}": "x"})).code == "file_type_not_allowed"


@pytest.mark.parametrize("extension", sorted(CONTENT_EXTENSIONS))
def test_each_allowed_content_type_passes_when_it_is_what_it_says(extension):
    checked = package.read(changed({f"content/files/sample.{extension}": SAMPLES[extension]}))
    assert f"files/sample.{extension}" in checked.content_files


@pytest.mark.parametrize("extension", sorted(CONTENT_EXTENSIONS))
def test_each_allowed_content_type_is_refused_when_it_is_a_program(extension):
    error = refused(changed({f"content/files/sample.{extension}": PROGRAM}))
    assert error.code in {"content_mismatch", "invalid_json"}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("content/images/x.jpg", EICAR),
        ("content/images/x.png", EICAR),
        ("content/images/x.gif", EICAR + b"\n"),
        ("content/images/x.jpg", SAMPLES["png"]),  # a real image of another format
        ("content/images/x.png", SAMPLES["jpg"]),
        ("content/images/x.png", SAMPLES["png"][:-20]),  # a PNG cut short
        ("content/audio/x.mp3", EICAR),
        ("content/video/x.mp4", SAMPLES["webm"]),
        ("content/video/x.webm", SAMPLES["mp4"]),
        ("content/audio/x.wav", SAMPLES["ogg"]),
        ("content/files/x.pdf", EICAR),
        ("content/files/x.glb", SAMPLES["jpg"]),
        ("content/fonts/x.woff2", SAMPLES["woff"]),
        ("content/files/x.docx", SAMPLES["odt"]),
        ("content/files/x.odt", SAMPLES["docx"]),
        ("content/files/x.doc", EICAR),
        ("content/files/x.txt", b"<!doctype html><script>alert(1)</script>"),
        ("content/files/x.md", b"<svg onload=alert(1)>"),
        ("content/files/x.vtt", b"00:00.000 --> 00:01.000\nno header\n"),
        ("content/files/x.rtf", b"plain text"),
    ],
)
def test_a_content_file_that_is_not_what_its_extension_says_is_refused(name, data):
    error = refused(changed({name: data}))
    assert error.code == "content_mismatch"
    assert name in " ".join(error.messages)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("content/content.json", "[1,", "invalid_json"),
        ("content/data/extra.json", "{oops", "invalid_json"),
        ("content/model.gltf", "{not gltf", "invalid_json"),
        (f"{FOLDER}/language/zh-hans.json", '{"semantics": [', "invalid_json"),
        (f"{FOLDER}/language/de.json", "\xff\xfe{}", "invalid_json"),
        (f"{FOLDER}/language/fr.json", "[]", "json_not_object"),
        (f"{FOLDER}/semantics.json", "[{]", "invalid_json"),
        (f"{FOLDER}/data/words.json", "{,}", "invalid_json"),
        ("h5p.json", "{not json", "invalid_json"),
        ("h5p.json", "[]", "json_not_object"),
        (f"{FOLDER}/library.json", "{", "invalid_json"),
    ],
)
def test_every_json_file_is_parsed_and_a_broken_one_is_named(name, data, code):
    error = refused(changed({name: data}))
    assert error.code == code
    [message] = error.messages
    assert message.startswith(f"{name} ")


def test_a_json_file_beside_h5p_json_is_parsed_too():
    error = refused(changed({"metadata.json": "{broken"}))
    assert error.code == "invalid_json"
    assert error.messages[0].startswith("metadata.json is not valid JSON: ")


# --- What a library may hold -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "extra.js",  # not in preloadedJs: it would become a same-origin script
        "js/helper.js",
        "language/evil.js",
        "dist/upgrades.js",  # upgrades.js only at the library's root
        "Upgrades.js",
        "extra.css",  # not in preloadedCss
        "liaotu-choice.js.js",
    ],
)
def test_a_library_file_its_library_json_does_not_declare_is_refused(path):
    error = refused(changed({f"{FOLDER}/{path}": "alert(1)"}))
    assert error.code == "undeclared_library_file"
    assert path in " ".join(error.messages)


@pytest.mark.parametrize("extension", ["html", "htm", "php", "xml", "map", "exe", "swf", ""])
def test_a_library_file_of_a_type_no_library_needs_is_refused(extension):
    name = f"{FOLDER}/assets/file.{extension}" if extension else f"{FOLDER}/LICENSE"
    assert refused(changed({name: "x"})).code == "file_type_not_allowed"


def test_a_library_may_hold_its_fixed_files_languages_and_assets():
    clean_svg = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1v1z"/></svg>'
    extra = {
        f"{FOLDER}/upgrades.js": "H5PUpgrades = {};",
        f"{FOLDER}/presave.js": "var H5PPresave = {};",
        f"{FOLDER}/icon.svg": clean_svg,
        f"{FOLDER}/icon.png": SAMPLES["png"],
        f"{FOLDER}/language/de.json": '{"semantics": []}',
        f"{FOLDER}/fonts/icons.woff2": SAMPLES["woff2"],
        f"{FOLDER}/fonts/icons.svg": clean_svg,
        f"{FOLDER}/images/tick.gif": SAMPLES["gif"],
        f"{FOLDER}/sounds/ok.mp3": SAMPLES["mp3"],
        f"{FOLDER}/data/words.json": "[1, 2]",
        f"{FOLDER}/README.md": "# Liaotu Choice\n",
        f"{FOLDER}/apply-when-upgrading.diff": "--- a\n+++ b\n",
    }
    checked = package.read(changed(extra))
    files = checked.libraries[FOLDER].files
    assert {name.removeprefix(f"{FOLDER}/") for name in extra} <= set(files)


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT href="/x.js"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">x</a></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p/></foreignObject></svg>',
    ],
)
def test_an_svg_in_a_library_that_can_run_script_is_refused(svg):
    assert refused(changed({f"{FOLDER}/fonts/icons.svg": svg})).code == "unsafe_svg"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("fonts/icons.woff2", EICAR),
        ("images/tick.png", EICAR),
        ("icon.png", SAMPLES["jpg"]),
        ("sounds/ok.mp3", PROGRAM),
    ],
)
def test_a_library_asset_that_is_not_what_its_extension_says_is_refused(path, data):
    assert refused(changed({f"{FOLDER}/{path}": data})).code == "content_mismatch"


def test_a_preloaded_file_must_have_its_type():
    lib = library_json(preloadedJs=[{"path": "liaotu-choice.css"}])
    assert refused(changed({f"{FOLDER}/library.json": lib})).code == "undeclared_library_file"


# --- The H5P core API our player implements ---------------------------------------------------


@pytest.mark.parametrize("where", ["library", "h5p"])
@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        ({"majorVersion": 1, "minorVersion": 28}, True),
        ({"majorVersion": 1, "minorVersion": 0}, True),
        ({"majorVersion": 1}, True),  # minorVersion defaults to 0
        ({"majorVersion": 1, "minorVersion": 29}, False),
        ({"majorVersion": 2, "minorVersion": 0}, False),
        ({"majorVersion": 1, "minorVersion": 100}, False),
    ],
)
def test_a_core_api_newer_than_our_player_is_refused(where, version, accepted):
    if where == "library":
        source = changed({f"{FOLDER}/library.json": library_json(coreApi=version)})
    else:
        source = changed({"h5p.json": pk.h5p_json(coreApi=version)})
    if accepted:
        package.read(source)
    else:
        error = refused(source)
        assert error.code == "unsupported_core_api"


@pytest.mark.parametrize(
    "version", ["1.30", {"majorVersion": "x"}, {"majorVersion": 1, "minorVersion": -1}, []]
)
def test_a_malformed_core_api_is_refused(version):
    source = changed({f"{FOLDER}/library.json": library_json(coreApi=version)})
    assert refused(source).code == "malformed_core_api"


# --- Hostile archives ------------------------------------------------------------------------

HOSTILE = {
    "zip slip": ({"../../evil.js": "x"}, (), "path_traversal"),
    "zip slip inside a folder": ({"content/../../evil.json": "{}"}, (), "path_traversal"),
    "zip slip from a library": ({f"{FOLDER}/../../../x.css": "x"}, (), "path_traversal"),
    "absolute path": ({"/etc/cron.d/evil.json": "{}"}, (), "absolute_path"),
    "drive letter": ({"C:/evil.json": "{}"}, (), "absolute_path"),
    "backslashes": ({"content\\..\\evil.json": "{}"}, (), "absolute_path"),
    "missing library.json": ({}, (f"{FOLDER}/library.json",), "missing_library_json"),
    "missing h5p.json": ({}, ("h5p.json",), "missing_h5p_json"),
    "missing content.json": ({}, ("content/content.json",), "missing_content_json"),
    "missing preloaded js": ({}, (f"{FOLDER}/liaotu-choice.js",), "missing_preloaded_file"),
    "missing preloaded css": ({}, (f"{FOLDER}/liaotu-choice.css",), "missing_preloaded_file"),
    "h5p.json missing a field": (
        {"h5p.json": json.dumps({"title": "x", "language": "en", "mainLibrary": "X"})},
        (),
        "h5p_json_incomplete",
    ),
    "library folder misnamed": (
        {"Choice/library.json": library_json()},
        (),
        "library_folder_name",
    ),
    "library folder not matching": (
        {"H5P.LiaotuChoice-1.1/library.json": library_json()},
        (),
        "library_folder_mismatch",
    ),
    "library.json lacking runnable": (
        {f"{FOLDER}/library.json": json.dumps(
            {k: v for k, v in build.library_json().items() if k != "runnable"})},
        (),
        "library_json_incomplete",
    ),
    "versions that are not numbers": (
        {f"{FOLDER}/library.json": library_json(patchVersion="one")},
        (),
        "library_version",
    ),
    "missing dependency": (
        {f"{FOLDER}/library.json": library_json(preloadedDependencies=[
            {"machineName": "H5P.JoubelUI", "majorVersion": 1, "minorVersion": 3}])},
        (),
        "missing_dependency",
    ),
    "malformed dependency": (
        {f"{FOLDER}/library.json": library_json(preloadedDependencies=[{"machineName": "X"}])},
        (),
        "malformed_dependency",
    ),
    "main library not carried": (
        {},
        tuple(name for name in pk.entries() if name.startswith(FOLDER)),
        "missing_dependency",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_packages_are_refused_with_a_stable_code(case):
    extra, drop, code = HOSTILE[case]
    assert refused(changed(extra, drop)).code == code


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04" + b"\x00" * 30, b""])
def test_a_corrupt_archive_is_refused(data):
    assert refused(io.BytesIO(data)).code == "not_zip"


def test_a_truncated_archive_is_refused():
    data = pk.valid().getvalue()
    assert refused(io.BytesIO(data[: len(data) // 2])).code in {"not_zip", "damaged"}


@pytest.mark.parametrize("name", ["content/link.json", f"{FOLDER}/link.js"])
def test_symlinks_are_refused(name):
    error = refused(pk.with_symlink(name))
    assert (error.code, error.messages) == (
        "symlink",
        [f"The package contains a symbolic link: {name}"],
    )


def test_a_zip_bomb_is_stopped_by_the_bytes_really_read(monkeypatch):
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 1024 * 1024)
    assert refused(io.BytesIO(pk.bomb())).code == "file_too_large"
    # one byte more than allowed is too much; exactly the limit is not
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 8 * 1024 * 1024 - 1)
    assert refused(io.BytesIO(pk.bomb())).code == "file_too_large"
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 8 * 1024 * 1024)
    package.read(io.BytesIO(pk.bomb()))
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 4 * 1024 * 1024)
    assert refused(io.BytesIO(pk.bomb())).code == "package_too_large"


def test_a_zip_that_lies_about_its_sizes_is_refused():
    error = refused(io.BytesIO(pk.lying_sizes()))
    assert error.code == "damaged"
    assert error.messages == ["The archive is damaged: content/zeros.txt"]


def test_size_refusals_say_the_limit_in_megabytes(monkeypatch):
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 3 * 2**20)
    assert refused(io.BytesIO(pk.bomb())).messages == [
        "A file in the package is larger than 3 MB: content/zeros.txt"
    ]
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 64 * 2**20)
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 3 * 2**20)
    assert refused(io.BytesIO(pk.bomb())).messages == ["The package unpacks to more than 3 MB."]


def test_the_whole_package_limit_is_exact(monkeypatch):
    total = sum(len(data) for data in pk.entries().values())
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", total)
    package.read(pk.valid())
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", total - 1)
    assert refused(pk.valid()).code == "package_too_large"


def test_a_zip_bomb_is_refused_without_unpacking_it_into_memory(monkeypatch):
    """Entries are read in chunks and counted as they come: a 32 MB bomb under a 1 MB limit
    never holds much more than the limit in memory."""
    import tracemalloc

    monkeypatch.setattr(package, "MAX_FILE_BYTES", 2**20)
    source = io.BytesIO(pk.bomb(32))
    tracemalloc.start()
    try:
        assert refused(source).code == "file_too_large"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(package, "MAX_ENTRIES", 10)
    files = {f"content/f{n}.txt": "x" for n in range(5)}
    assert refused(changed(files)).code == "too_many_files"


def test_dot_and_underscore_entries_are_skipped():
    checked = package.read(
        changed({"__MACOSX/._h5p.json": "junk", ".DS_Store": "junk", "content/.hidden.php": "<?"})
    )
    assert ".hidden.php" not in checked.content_files


def test_entries_whose_name_starts_with_an_underscore_are_skipped():
    checked = package.read(changed({"_notes/todo.php": "<?", "content/_draft.php": "<?"}))
    assert "_draft.php" not in checked.content_files


def test_a_file_longer_than_one_read_comes_out_whole():
    """Entries are read in chunks of 64 KiB: a longer file must be the same bytes after."""
    text = "".join(f"第{n}行。\n" for n in range(30000)).encode()
    assert len(text) > 3 * package.CHUNK
    checked = package.read(changed({"content/data/long.txt": text}))
    assert checked.content_files["data/long.txt"] == text


def test_a_skipped_entry_first_in_the_archive_does_not_end_the_reading():
    """macOS puts __MACOSX/ and .DS_Store wherever it likes, the first entry included."""
    checked = package.read(pk.make({".DS_Store": "junk", **pk.entries()}))
    assert checked.main_library == "H5P.LiaotuChoice"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["..", ".", "", "a", "b.json", "c", "\\", ":"]), max_size=6))
def test_no_accepted_entry_name_leaves_its_folder(parts):
    name = "/".join(parts) or "x"
    try:
        safe = package._safe_name(zipfile.ZipInfo(name))
    except ValidationError as error:
        assert error.code in {"absolute_path", "path_traversal"}
        return
    if safe is not None:
        assert not safe.startswith("/") and ".." not in safe.split("/")
        assert posixpath.normpath(safe) == safe


# --- Storing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_our_package_installs_and_its_library_is_stored_once(monkeypatch):
    first = services.install(source=pk.valid(), user=None)
    second = services.install(source=pk.valid(language="en"), user=None)
    library = H5PLibrary.objects.get()
    assert (library.machine_name, library.major, library.minor) == ("H5P.LiaotuChoice", 1, 0)
    assert library.preloaded_js == ["liaotu-choice.js"]
    assert "language/zh-hans.json" in library.files
    assert set(first.libraries.all()) == set(second.libraries.all()) == {library}
    storage = storage_for("private")
    with storage.open(services.content_key(first.pk, "content/content.json")) as handle:
        assert json.loads(handle.read())["question"] == pk.QUESTION
    # a package with the same patch writes no library file at all
    written: list[str] = []
    real_save = services._save
    monkeypatch.setattr(services, "_save", lambda k, d: (written.append(k), real_save(k, d)))
    services.install(source=pk.valid(), user=None)
    assert written and not [k for k in written if k.startswith("h5p/libraries/")]
    newer = {
        f"{FOLDER}/library.json": library_json(patchVersion=4),
        f"{FOLDER}/liaotu-choice.js": "H5P.LiaotuChoice = function () { /* 1.0.4 */ };",
    }
    services.install(source=changed(newer), user=None)
    assert H5PLibrary.objects.get().patch == 4
    key = services.library_key(FOLDER, "liaotu-choice.js")
    with storage.open(key) as handle:
        assert b"1.0.4" in handle.read()
    # a package may rely on the installed library without carrying it
    services.install(source=changed(drop=tuple(n for n in pk.entries() if n.startswith(FOLDER))),
                     user=None)  # fmt: skip
    assert H5PContent.objects.count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "source",
    [
        lambda: changed({"content/shell.php": "x"}),
        lambda: changed({"content/images/x.jpg": EICAR}),
        lambda: changed({f"{FOLDER}/extra.js": "alert(1)"}),
        lambda: changed({f"{FOLDER}/library.json": library_json(coreApi={"majorVersion": 2})}),
        lambda: changed({f"{FOLDER}/language/zh-hans.json": "{"}),
    ],
)
def test_a_refused_package_stores_nothing(source, monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(services, "_save", lambda key, data: written.append(key))
    with pytest.raises(ValidationError):
        services.install(source=source(), user=None)
    assert written == []
    assert not H5PContent.objects.exists() and not H5PLibrary.objects.exists()


def test_refusals_name_the_file_and_what_is_wrong_with_it():
    """The editor who uploaded the package reads which file is refused and why."""
    name = f"{FOLDER}/fonts/icons.svg"
    not_svg = refused(changed({name: b"GIF89a not an svg at all"}))
    assert not_svg.code == "content_mismatch"
    assert not_svg.messages == [f"{name} is not a .svg file: its content does not match its name."]
    unsafe = refused(changed({name: b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'}))
    assert unsafe.messages == [f"{name} is an SVG image that could run a script."]
    odd = f"{FOLDER}/assets/file.exe"
    assert refused(changed({odd: "x"})).messages == [f"File type not allowed: {odd}"]


def test_an_svg_is_recognised_by_its_svg_element_within_the_first_4_kb():
    name = f"{FOLDER}/fonts/icons.svg"
    # Ending one byte past the first 4 KB: not recognised; ending exactly at it: recognised.
    late = b"<!--" + b" " * 4086 + b"--><svg xmlns='http://www.w3.org/2000/svg'/>"
    assert late.index(b"<svg") == 4093
    assert refused(changed({name: late})).code == "content_mismatch"
    early = b"<!--" + b" " * 4085 + b"--><svg xmlns='http://www.w3.org/2000/svg'/>"
    assert early.index(b"<svg") == 4092
    assert package.read(changed({name: early}))


@pytest.mark.parametrize(
    ("name", "entries"),
    [
        # OOXML needs both the content-types part and its own folder.
        ("content/files/x.docx", {"word/document.xml": b"<x/>"}),
        ("content/files/x.docx", {"[Content_Types].xml": b"<Types/>", "xl/book.xml": b"<x/>"}),
        # ODF: a mimetype entry of more than 100 bytes is not read at all.
        (
            "content/files/x.odt",
            {"mimetype": b"application/vnd.oasis.opendocument.text" + b" " * 62},
        ),
        ("content/files/x.odt", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        ("content/files/x.odt", {"content.xml": b"<x/>"}),
    ],
)
def test_office_files_are_recognised_by_their_parts(name, entries):
    assert refused(changed({name: pk._office_zip(entries)})).code == "content_mismatch"


def test_an_odf_mimetype_of_exactly_100_bytes_is_still_read():
    padded = b"application/vnd.oasis.opendocument.text".ljust(100)
    assert len(padded) == 100
    assert package.read(changed({"content/files/x.odt": pk._office_zip({"mimetype": padded})}))


# --- Edges the mutation run showed untested ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"plain text with a \x00 NUL byte",  # not text, whatever its extension says
        "\ufeff\ufeff<script>alert(1)</script>".encode(),  # a second BOM before a script
    ],
)
@pytest.mark.parametrize("extension", ["txt", "md"])
def test_text_with_a_nul_byte_or_a_script_behind_byte_order_marks_is_refused(data, extension):
    name = f"content/files/x.{extension}"
    assert refused(changed({name: data})).code == "content_mismatch"


def test_a_webvtt_file_must_start_with_its_header_under_either_extension():
    body = b"00:00.000 --> 00:01.000\nno header\n"
    assert refused(changed({"content/files/x.webvtt": body})).code == "content_mismatch"
    assert package.read(changed({"content/files/x.webvtt": b"WEBVTT\n\n" + body}))


def test_an_eot_font_is_recognised_from_exactly_36_bytes():
    name = f"{FOLDER}/fonts/x.eot"
    header = b"\x00" * 34 + b"LP"
    assert len(header) == 36
    assert package.read(changed({name: header}))
    assert refused(changed({name: header[:35]})).code == "content_mismatch"


def test_an_odf_file_whose_mimetype_entry_is_corrupt_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
    damaged = out.getvalue().replace(b"opendocument.text", b"opendocument.tex\x00", 1)
    name = "content/files/x.odt"
    assert refused(changed({name: damaged})).code == "content_mismatch"


def test_text_is_refused_only_when_it_starts_like_a_web_page():
    """A page that starts with X before its tag is plain text here (served as text, never
    rendered): only the start decides, as for uploads."""
    assert package.read(changed({"content/files/x.txt": b"X<html> is how a web page starts."}))
    assert refused(changed({"content/files/x.txt": b"<html> is a page"})).code == "content_mismatch"


# --- What the editor reads, and the library as it is stored -----------------------------------

LIB = f"{FOLDER}/library.json"
REFUSALS = {
    "folder not named by the rule": (
        {"Choice/library.json": library_json()}, (),
        "The folder Choice is not named machineName-major.minor."),
    "no library.json": (
        {}, (LIB,), f"The library {FOLDER} has no library.json."),
    "fields missing": (
        {LIB: json.dumps({k: v for k, v in build.library_json().items()
                          if k not in ("title", "runnable")})}, (),
        f"{LIB} lacks title, runnable."),
    "versions not numbers": (
        {LIB: library_json(patchVersion="one")}, (),
        f"{LIB} has versions that are not numbers."),
    "folder not matching": (
        {LIB: library_json(minorVersion=1)}, (),
        f"The folder {FOLDER} does not match its library.json."),
    "preloaded file missing": (
        {LIB: library_json(preloadedJs=[{"path": "gone.js"}])}, (),
        f"{FOLDER} lists gone.js in preloadedJs, but the file is missing."),
    "preloaded file of the wrong type": (
        {LIB: library_json(preloadedJs=[{"path": "liaotu-choice.css"}])}, (),
        f"{FOLDER} lists liaotu-choice.css in preloadedJs, which only takes .js files."),
    "malformed dependency": (
        {LIB: library_json(preloadedDependencies=[{"machineName": "X"}])}, (),
        f"{LIB} has a malformed dependency."),
    "malformed core API": (
        {LIB: library_json(coreApi={"majorVersion": "x"})}, (),
        f"{LIB} has a malformed coreApi version."),
    "core API too new": (
        {LIB: library_json(coreApi={"majorVersion": 1, "minorVersion": 99})}, (),
        f"{LIB} needs H5P core 1.99; our player supports up to 1.28. "
        "Use an older version of this content type."),
    "content not what its name says": (
        {"content/images/photo.png": "just text"}, (),
        "content/images/photo.png is not a .png file: its content does not match its name."),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_library_refusal_names_the_folder_and_what_is_wrong(case):
    extra, drop, message = REFUSALS[case]
    assert refused(changed(extra, drop)).messages == [message]


@pytest.mark.parametrize(
    "listed", [7, "liaotu-choice.js", ["liaotu-choice.js"], [{"file": "liaotu-choice.js"}]]
)
def test_a_preloaded_list_of_the_wrong_shape_is_refused_not_a_crash(listed):
    source = changed({LIB: library_json(preloadedJs=listed)})
    assert refused(source).code == "missing_preloaded_file"


def test_a_core_api_without_a_major_version_means_major_version_1():
    package.read(changed({LIB: library_json(coreApi={"minorVersion": 5})}))
    too_new = changed({LIB: library_json(coreApi={"minorVersion": 29})})
    assert refused(too_new).code == "unsupported_core_api"


def test_a_file_type_without_a_content_check_is_refused():
    """Whatever joins an allow-list later is refused until it has a check of its own."""
    with pytest.raises(ValidationError) as caught:
        package._check_file("content/model.xyz", b"anything")
    assert caught.value.code == "content_mismatch"


def test_the_library_is_read_with_its_title_kind_and_dependencies():
    dependency = {"machineName": "H5P.JoubelUI", "majorVersion": 1, "minorVersion": 3}
    source = changed({LIB: library_json(preloadedDependencies=[dependency], title="题" * 300)})
    library = package.read(source, installed={("H5P.JoubelUI", 1, 3)}).libraries[FOLDER]
    assert library.dependencies == [("H5P.JoubelUI", 1, 3)]
    assert library.title == "题" * 255
    assert library.runnable is True
    plain = package.read(pk.valid()).libraries[FOLDER]
    assert plain.title == build.library_json()["title"]
    assert plain.runnable is bool(build.library_json()["runnable"]) is True


# --- The package as a whole: its refusals, word for word --------------------------------------

PACKAGE_REFUSALS = {
    "a path leaving the package": (
        {"content/../../evil.json": "{}"}, (), "path_traversal",
        "The package contains a path leaving its folder: content/../../evil.json"),
    "drive letter in lower case": (
        {"c:/evil.json": "{}"}, (), "absolute_path",
        "The package contains an absolute path: c:/evil.json"),
    "a web page beside h5p.json": (
        {"evil.html": "<script>alert(1)</script>"}, (), "file_type_not_allowed",
        "File type not allowed: evil.html"),
    "an SVG in content": (
        {"content/images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>'}, (),
        "file_type_not_allowed",
        "SVG files are not allowed in content: content/images/logo.svg"),
    "a web page behind an image's extension": (
        {"content/images/photo.png.html": pk.image("PNG")}, (), "file_type_not_allowed",
        "File type not allowed: content/images/photo.png.html"),
    "no h5p.json": (
        {}, ("h5p.json",), "missing_h5p_json", "The package has no h5p.json."),
    "no content.json": (
        {}, ("content/content.json",), "missing_content_json",
        "The package has no content/content.json."),
    "h5p.json lacking fields": (
        {"h5p.json": json.dumps({"title": "x", "language": "en", "mainLibrary": "X"})}, (),
        "h5p_json_incomplete", "h5p.json lacks embedTypes, preloadedDependencies."),
    "h5p.json needing a newer core": (
        {"h5p.json": pk.h5p_json(coreApi={"majorVersion": 1, "minorVersion": 99})}, (),
        "unsupported_core_api",
        "h5p.json needs H5P core 1.99; our player supports up to 1.28. "
        "Use an older version of this content type."),
    "h5p.json with a malformed dependency": (
        {"h5p.json": pk.h5p_json(preloadedDependencies=[{"machineName": "X"}])}, (),
        "malformed_dependency", "h5p.json has a malformed dependency."),
    "h5p.json needing a library it does not carry": (
        {"h5p.json": pk.h5p_json(preloadedDependencies=[
            {"machineName": "H5P.JoubelUI", "majorVersion": 1, "minorVersion": 3}])}, (),
        "missing_dependency",
        "h5p.json needs the library H5P.JoubelUI 1.3, which is neither in the package nor "
        "installed."),
    "a library needing a library nobody carries": (
        {LIB: library_json(preloadedDependencies=[
            {"machineName": "H5P.JoubelUI", "majorVersion": 1, "minorVersion": 3}])}, (),
        "missing_dependency",
        f"{FOLDER} needs the library H5P.JoubelUI 1.3, which is neither in the package nor "
        "installed."),
}  # fmt: skip


@pytest.mark.parametrize("case", list(PACKAGE_REFUSALS))
def test_each_package_refusal_has_its_code_and_says_what_is_wrong(case):
    extra, drop, code, message = PACKAGE_REFUSALS[case]
    error = refused(changed(extra, drop))
    assert (error.code, error.messages) == (code, [message])


def test_a_file_that_is_not_a_zip_is_told_so():
    assert refused(io.BytesIO(b"not a zip")).messages == [
        "The file is not a zip archive, so it is not an H5P package."
    ]


def test_a_file_beside_h5p_json_of_an_allowed_type_is_accepted():
    package.read(changed({"README.txt": "Made at the library."}))


def test_the_extension_is_what_follows_the_last_dot():
    checked = package.read(changed({"content/images/photo.2024.png": pk.image("PNG")}))
    assert "images/photo.2024.png" in checked.content_files


def test_the_number_of_entries_is_limited_exactly(monkeypatch):
    count = len(pk.entries())
    monkeypatch.setattr(package, "MAX_ENTRIES", count)
    package.read(pk.valid())
    monkeypatch.setattr(package, "MAX_ENTRIES", count - 1)
    error = refused(pk.valid())
    assert (error.code, error.messages) == (
        "too_many_files",
        [f"The package has more than {count - 1} files."],
    )
