"""Installing or upgrading an H5P library is an administrator's decision, apart from uploading
content: a content editor's package that brings new library code is held, unplayable, until
someone with ``install_h5p_library`` approves it; an allow-list can pin the builds allowed."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from booking.tests.factories import staff_member
from courses.h5p import package, review, services
from courses.models import H5PContent, H5PLibrary
from media.services import storage_for

from . import h5p_packages

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/courses/h5pcontent/add/"


def administrator():
    user = staff_member(roles.LIBRARIAN_ADMIN)
    user.user_permissions.add(
        Permission.objects.get(codename="install_h5p_library", content_type__app_label="courses")
    )
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


def upload(client, data: bytes, title="借书证"):
    return client.post(
        ADD_URL, {"title": title, "package": SimpleUploadedFile("a.h5p", data)}, follow=True
    )


def raw_package(**changes) -> bytes:
    return h5p_packages.valid(**changes).getvalue()


def test_the_permission_is_not_part_of_any_role():
    for role in roles.ALL_ROLES:
        assert "courses.install_h5p_library" not in roles.ROLE_PERMISSIONS[role]


def test_an_editors_package_with_new_libraries_is_held_and_not_installed(client):
    editor = staff_member(roles.LIBRARIAN_ADMIN)
    client.force_login(editor)
    response = upload(client, raw_package())
    assert response.status_code == 200
    content = H5PContent.objects.get()
    assert content.status == H5PContent.Status.HELD
    assert not H5PLibrary.objects.exists()  # no library code was installed
    assert content.content_files == [] and not content.libraries.exists()
    assert storage_for("private").exists(content.held_package_key)
    (library,) = content.held_libraries
    assert library["folder"] == h5p_packages.FOLDER
    assert {f["path"] for f in library["files"]} >= {"library.json"}
    # Held content cannot be played.
    assert client.get(f"/learning/h5p/play/{content.pk}/").status_code == 404
    assert client.get(f"/learning/h5p/content/{content.pk}/h5p.json").status_code == 404
    # The editor cannot decide it.
    with pytest.raises(PermissionDenied):
        review.approve(content=content, user=editor)
    assert client.get("/admin/h5p-review/").status_code in (302, 403)


def test_an_administrator_sees_the_files_and_approves(client):
    editor = staff_member(roles.LIBRARIAN_ADMIN)
    client.force_login(editor)
    upload(client, raw_package())
    content = H5PContent.objects.get()
    admin = administrator()
    client.force_login(admin)
    page = client.get("/admin/h5p-review/").content.decode()
    assert (
        "借书证" in page and "library.json" in page and content.held_libraries[0]["digest"] in page
    )
    client.post(f"/admin/h5p-review/{content.pk}/", {"decision": "approve"})
    content.refresh_from_db()
    assert content.status == H5PContent.Status.READY and content.held_package_key == ""
    assert content.reviewed_by == admin
    assert H5PLibrary.objects.filter(machine_name="H5P.LiaotuChoice").exists()
    assert content.content_files  # the content itself is stored now
    assert client.get(f"/learning/h5p/play/{content.pk}/").status_code == 200
    assert client.get(f"/learning/h5p/content/{content.pk}/h5p.json").status_code in (200, 302)


def test_a_refusal_needs_a_reason_and_removes_the_package(django_capture_on_commit_callbacks):
    editor = staff_member(roles.LIBRARIAN_ADMIN)
    checked = package.read(h5p_packages.valid(), installed=services.installed_libraries())
    content = review.submit(checked=checked, raw=raw_package(), user=editor)
    key = content.held_package_key
    admin = administrator()
    with pytest.raises(ValidationError) as caught:
        review.refuse(content=content, user=admin, reason="  ")
    assert caught.value.code == "reason_required"
    with django_capture_on_commit_callbacks(execute=True):
        review.refuse(content=content, user=admin, reason="来源不明")
    content.refresh_from_db()
    assert content.status == H5PContent.Status.REFUSED and content.review_note == "来源不明"
    assert not storage_for("private").exists(key)
    with pytest.raises(ValidationError) as caught:
        review.approve(content=content, user=admin)  # decided once
    assert caught.value.code == "h5p_state"


def test_content_on_installed_libraries_needs_no_approval():
    admin = administrator()
    first = package.read(h5p_packages.valid(), installed=services.installed_libraries())
    assert review.submit(checked=first, raw=b"", user=admin).status == H5PContent.Status.READY
    editor = staff_member(roles.LIBRARIAN_ADMIN)
    again = package.read(h5p_packages.valid(), installed=services.installed_libraries())
    assert review.new_libraries(again) == []
    assert review.submit(checked=again, raw=b"", user=editor).status == H5PContent.Status.READY


def test_a_newer_patch_is_an_upgrade_that_needs_approval():
    admin = administrator()
    first = package.read(h5p_packages.valid(), installed=services.installed_libraries())
    review.submit(checked=first, raw=b"", user=admin)
    library = json.loads(h5p_packages.library_json())
    newer_json = h5p_packages.library_json(patchVersion=library["patchVersion"] + 1)
    newer = h5p_packages.changed({f"{h5p_packages.FOLDER}/library.json": newer_json})
    checked = package.read(newer, installed=services.installed_libraries())
    assert [lib.folder for lib in review.new_libraries(checked)] == [h5p_packages.FOLDER]
    editor = staff_member(roles.LIBRARIAN_ADMIN)
    held = review.submit(checked=checked, raw=newer.getvalue(), user=editor)
    assert held.status == H5PContent.Status.HELD
    assert H5PLibrary.objects.get().patch == library["patchVersion"]  # not upgraded yet


def test_the_allow_list_pins_name_version_and_digest(settings, client):
    checked = package.read(h5p_packages.valid(), installed=set())
    (library,) = checked.libraries.values()
    entry = f"{review.library_version(library)} {review.library_digest(library)}"
    admin = administrator()
    settings.H5P_LIBRARY_ALLOWLIST = [entry]
    assert review.submit(checked=checked, raw=b"", user=admin).status == H5PContent.Status.READY

    H5PLibrary.objects.all().delete()
    edited = review.library_digest(library)[:-1] + "0"
    other_version = entry.replace(" 1.0.", " 1.1.")
    for wrong in (f"{review.library_version(library)} {edited}", other_version):
        settings.H5P_LIBRARY_ALLOWLIST = [wrong]
        with pytest.raises(ValidationError) as caught:
            review.submit(checked=checked, raw=b"", user=admin)
        assert caught.value.code == "h5p_library_not_allowed"
    # The upload form says so before anything is stored.
    client.force_login(admin)
    page = upload(client, raw_package()).content.decode()
    assert H5PContent.objects.count() == 1 and not H5PLibrary.objects.exists()
    assert "H5P.LiaotuChoice" in page


def test_one_changed_file_changes_the_digest():
    checked = package.read(h5p_packages.valid(), installed=set())
    (library,) = checked.libraries.values()
    before = review.library_digest(library)
    path = sorted(library.files)[0]
    library.files[path] = library.files[path] + b" "
    assert review.library_digest(library) != before
