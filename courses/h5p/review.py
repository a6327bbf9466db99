"""Who may bring new H5P code: libraries are installed by administrators, content by editors.

An H5P library is JavaScript that runs for every learner who opens an activity using it. A
content editor (``courses.add_h5pcontent``) may upload activities built on libraries already
installed; a package that brings a library not installed yet, or a newer patch of one, is held
until someone with ``courses.install_h5p_library`` has seen its files and approved it. With
``H5P_LIBRARY_ALLOWLIST`` set, only the listed library builds (name, version and SHA-256 digest of
the folder) can be installed at all, by anyone.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from media.services import storage_for

from ..models import H5PContent, H5PLibrary
from . import package as h5p_package
from . import services

INSTALL_PERMISSION = "courses.install_h5p_library"


def library_digest(library: h5p_package.Library) -> str:
    """SHA-256 over the folder's sorted listing of (path, SHA-256 of the file): one build."""
    listing = hashlib.sha256()
    for path in sorted(library.files):
        listing.update(f"{path}\0{hashlib.sha256(library.files[path]).hexdigest()}\n".encode())
    return listing.hexdigest()


def library_version(library: h5p_package.Library) -> str:
    return f"{library.machine_name} {library.major}.{library.minor}.{library.patch}"


def _allowlist() -> set[str]:
    """Entries ``Machine.Name major.minor.patch sha256`` (whitespace-separated, case-folded)."""
    return {" ".join(entry.split()).lower() for entry in settings.H5P_LIBRARY_ALLOWLIST}


def new_libraries(checked: h5p_package.Package) -> list[h5p_package.Library]:
    """The package's libraries that installing it would write: not installed, or a newer patch."""
    installed = {
        (row.machine_name, row.major, row.minor): row.patch
        for row in H5PLibrary.objects.only("machine_name", "major", "minor", "patch")
    }
    return [
        library
        for library in checked.libraries.values()
        if installed.get((library.machine_name, library.major, library.minor), -1) < library.patch
    ]


def check_allowlist(libraries: list[h5p_package.Library]) -> None:
    allowed = _allowlist()
    if not allowed:
        return
    refused = [
        library_version(library)
        for library in libraries
        if f"{library_version(library)} {library_digest(library)}".lower() not in allowed
    ]
    if refused:
        raise ValidationError(
            _("These H5P libraries are not on the library's allow-list: %(list)s")
            % {"list": ", ".join(refused)},
            code="h5p_library_not_allowed",
        )


def summary(libraries: list[h5p_package.Library]) -> list[dict]:
    """What the administrator sees of each library before deciding."""
    return [
        {
            "folder": library.folder,
            "version": library_version(library),
            "title": library.title,
            "digest": library_digest(library),
            "files": [
                {
                    "path": path,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for path, data in sorted(library.files.items())
            ],
        }
        for library in libraries
    ]


def submit(*, checked: h5p_package.Package, raw: bytes, user: User) -> H5PContent:
    """Store an uploaded package, or hold it when it brings libraries its uploader may not
    install. ``checked`` is ``package.read`` of ``raw``."""
    libraries = new_libraries(checked)
    check_allowlist(libraries)
    if not libraries or user.has_perm(INSTALL_PERMISSION):
        return services.store(checked=checked, user=user)
    content_id = uuid.uuid4()
    key = f"h5p/held/{content_id}.h5p"
    storage = storage_for(services.VISIBILITY)
    saved = storage.save(key, ContentFile(raw))
    try:
        return H5PContent.objects.create(
            id=content_id,
            title=checked.title or _("H5P activity"),
            main_library=checked.main_library,
            h5p_json=checked.h5p,
            content_files=[],
            uploaded_by=user,
            status=H5PContent.Status.HELD,
            held_package_key=saved,
            held_libraries=summary(libraries),
        )
    except Exception:
        storage.delete(saved)
        raise


def _locked_held(content: H5PContent) -> H5PContent:
    locked = H5PContent.objects.select_for_update().get(pk=content.pk)
    if locked.status != H5PContent.Status.HELD:
        raise ValidationError(_("This activity is not waiting for a decision."), code="h5p_state")
    return locked


def approve(*, content: H5PContent, user: User) -> H5PContent:
    """Install the held package: checked again in full (what is installed may have changed)."""
    if not user.has_perm(INSTALL_PERMISSION):
        raise PermissionDenied
    storage = storage_for(services.VISIBILITY)
    with transaction.atomic():
        locked = _locked_held(content)
        with storage.open(locked.held_package_key, "rb") as handle:
            raw: BinaryIO = io.BytesIO(handle.read())
        checked = h5p_package.read(raw, installed=services.installed_libraries())
        check_allowlist(new_libraries(checked))
        key = locked.held_package_key
        locked.held_package_key = ""
        locked.reviewed_by = user
        locked.reviewed_at = timezone.now()
        stored = services.store(checked=checked, user=locked.uploaded_by, held=locked)
        transaction.on_commit(lambda: storage.delete(key))
    return stored


def refuse(*, content: H5PContent, user: User, reason: str) -> H5PContent:
    if not user.has_perm(INSTALL_PERMISSION):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Please give a reason."), code="reason_required")
    storage = storage_for(services.VISIBILITY)
    with transaction.atomic():
        locked = _locked_held(content)
        key = locked.held_package_key
        locked.status = H5PContent.Status.REFUSED
        locked.held_package_key = ""
        locked.review_note = reason.strip()[:2000]
        locked.reviewed_by = user
        locked.reviewed_at = timezone.now()
        locked.save()
        transaction.on_commit(lambda: storage.delete(key))
    return locked
