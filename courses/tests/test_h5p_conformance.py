"""Conformance with real third-party H5P packages (from ../shared/fixtures/h5p): packages
exported by H5P itself pass our checks, broken ones are refused with the right code, and
content types sharing libraries store them once.

Every rule is tested without these files in test_h5p_package.py; this set only checks that the
rules do not refuse real-world packages. Without ../shared it skips (and fails under CI=true).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError

from courses.h5p import package, services
from courses.models import H5PContent, H5PLibrary
from media.services import storage_for
from tests.services import shared_fixture


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO(shared_fixture("h5p", name).read_bytes())


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
    ("name", "code"),
    [
        ("broken-h5p-json.h5p", "invalid_json"),
        ("invalid-library-json.h5p", "library_json_incomplete"),
        ("corrupt_archive.h5p", "not_zip"),
        ("missing-preloaded-js.h5p", "missing_preloaded_file"),
    ],
)
def test_the_invalid_shared_packages_are_refused_with_their_code(name, code):
    with pytest.raises(ValidationError) as caught:
        package.read(fixture(name))
    assert caught.value.code == code


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


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [("true", pytest.fail.Exception), ("TRUE", pytest.fail.Exception),
     ("", pytest.skip.Exception), ("false", pytest.skip.Exception), (None, pytest.skip.Exception)],
)  # fmt: skip
def test_a_missing_shared_fixture_fails_under_ci_and_skips_elsewhere(
    ci, outcome, monkeypatch, tmp_path
):
    from tests import services as test_services

    monkeypatch.setattr(test_services, "SHARED_DIR", tmp_path / "no-shared")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"shared fixture .* is not available"):
        shared_fixture("h5p", "true-false.h5p")
