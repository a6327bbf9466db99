"""Installing a checked H5P package into the object store, and what the player reports back.

Libraries are stored once under ``h5p/libraries/<machineName-major.minor>/`` and shared by all
content; a package bringing a higher patch version replaces the stored files, one bringing the
same or a lower patch stores nothing. Content is stored under ``h5p/content/<id>/``. Database
rows are written in one transaction after the files, and files of a failed install are removed.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import jsonbody
from media.services import storage_for

from ..models import H5PContent, H5PLibrary, H5PState, LessonPage, XAPIStatement
from . import package as h5p_package

VISIBILITY = "private"
SCORING_VERBS = {
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
}
MAX_STATEMENT_BYTES = 64 * 1024
MAX_STATE_BYTES = 256 * 1024
#: H5P's data types ("state", or a content type's own name): letters, digits, - and _.
STATE_TYPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def library_key(folder: str, path: str) -> str:
    return f"h5p/libraries/{folder}/{path}"


def content_key(content_id, path: str) -> str:
    return f"h5p/content/{content_id}/{path}"


def _save(key: str, data: bytes) -> None:
    storage = storage_for(VISIBILITY)
    if storage.exists(key):
        storage.delete(key)
    storage.save(key, ContentFile(data))


def installed_libraries() -> set[tuple[str, int, int]]:
    """(machineName, major, minor) of every stored library: packages may rely on them."""
    return set(H5PLibrary.objects.values_list("machine_name", "major", "minor"))


def install(*, source: BinaryIO, user: User | None) -> H5PContent:
    """Check the package completely, then store libraries (de-duplicated) and content."""
    return store(checked=h5p_package.read(source, installed=installed_libraries()), user=user)


def store(
    *, checked: h5p_package.Package, user: User | None, held: H5PContent | None = None
) -> H5PContent:
    """Store a package that ``package.read`` has checked.

    ``held`` is a held activity being approved: its row becomes the stored activity.
    """
    content_id = held.pk if held is not None else uuid.uuid4()
    written: list[str] = []
    try:
        upgrades = []
        for library in checked.libraries.values():
            existing = H5PLibrary.objects.filter(
                machine_name=library.machine_name, major=library.major, minor=library.minor
            ).first()
            if existing is not None and existing.patch >= library.patch:
                continue  # already stored, same or newer: nothing to write
            for path, data in library.files.items():
                key = library_key(library.folder, path)
                _save(key, data)
                written.append(key)
            upgrades.append(library)
        for path, data in checked.content_files.items():
            key = content_key(content_id, f"content/{path}")
            _save(key, data)
            written.append(key)
        key = content_key(content_id, "h5p.json")
        _save(key, json.dumps(checked.h5p, ensure_ascii=False).encode())
        written.append(key)
        with transaction.atomic():
            for library in upgrades:
                H5PLibrary.objects.update_or_create(
                    machine_name=library.machine_name,
                    major=library.major,
                    minor=library.minor,
                    defaults={
                        "patch": library.patch,
                        "title": library.title,
                        "runnable": library.runnable,
                        "preloaded_js": library.preloaded_js,
                        "preloaded_css": library.preloaded_css,
                        "dependencies": [list(d) for d in library.dependencies],
                        "files": sorted(library.files),
                    },
                )
            if held is not None:
                content = held
                content.main_library = checked.main_library
                content.h5p_json = checked.h5p
                content.content_files = sorted(checked.content_files)
                content.status = H5PContent.Status.READY
                content.save()
            else:
                content = H5PContent.objects.create(
                    id=content_id,
                    title=checked.title or _("H5P activity"),
                    main_library=checked.main_library,
                    h5p_json=checked.h5p,
                    content_files=sorted(checked.content_files),
                    uploaded_by=user,
                )
            used = set()
            for dep in checked.h5p.get("preloadedDependencies") or []:
                used.add((dep["machineName"], int(dep["majorVersion"]), int(dep["minorVersion"])))
            for library in checked.libraries.values():
                used.add((library.machine_name, library.major, library.minor))
            for name, major, minor in used:
                library = H5PLibrary.objects.filter(
                    machine_name=name, major=major, minor=minor
                ).first()
                if library:
                    content.libraries.add(library)
    except Exception:
        # Content files of a failed install go; library files may be shared, so a failed
        # upgrade leaves the newer files for the next attempt, which rewrites them anyway.
        storage = storage_for(VISIBILITY)
        for key in written:
            if key.startswith("h5p/content/"):
                storage.delete(key)
        raise
    return content


# --- What the player sends -------------------------------------------------------------------


def _scaled(statement: dict) -> float | None:
    result = statement.get("result") or {}
    score = result.get("score") if isinstance(result, dict) else None
    if not isinstance(score, dict):
        return None
    if isinstance(score.get("scaled"), int | float):
        return float(score["scaled"])
    raw, top = score.get("raw"), score.get("max")
    if isinstance(raw, int | float) and isinstance(top, int | float) and top > 0:
        return float(raw) / float(top)
    return None


def record_statement(
    *, user: User, content: H5PContent, statement: dict, lesson: LessonPage | None
) -> tuple[XAPIStatement, bool]:
    """Store a statement once (by its id); a root-level scoring statement updates progress.

    The actor is replaced by the signed-in user: a statement never speaks for someone else.
    """
    from .. import services as learning

    if not isinstance(statement, dict):
        raise ValidationError(_("The statement is not valid."), code="h5p_statement_invalid")
    if lesson is not None and not lesson.embeds_h5p(content.pk):
        # A score may only land on a lesson that plays this very activity; otherwise any lesson
        # (a quiz lesson with no H5P at all) could be completed by a forged "passed".
        raise ValidationError(
            _("This activity is not part of that lesson."), code="h5p_not_in_lesson"
        )
    if len(json.dumps(statement)) > MAX_STATEMENT_BYTES:
        raise ValidationError(_("The statement is too large."))
    verb = statement.get("verb", {}).get("id") if isinstance(statement.get("verb"), dict) else None
    if not isinstance(verb, str) or not verb.startswith(("http://", "https://")):
        raise ValidationError(_("The statement has no verb."))
    scaled = _scaled(statement)
    if scaled is not None and not -1.0 <= scaled <= 1.0:
        # xAPI: a scaled score lies in [-1, 1], a raw score between min and max.
        raise ValidationError(
            _("The statement's score is out of range."), code="h5p_score_out_of_range"
        )
    try:
        statement_id = uuid.UUID(str(statement.get("id") or uuid.uuid4()))
    except ValueError as error:
        raise ValidationError(_("The statement id is not valid.")) from error
    statement = {
        **statement,
        "id": str(statement_id),
        "actor": {
            "objectType": "Agent",
            "name": user.display_name or user.email,
            "mbox": f"mailto:{user.email}",
        },
    }
    try:
        with transaction.atomic():
            stored = XAPIStatement.objects.create(
                id=statement_id,
                user=user,
                content=content,
                lesson=lesson,
                verb=verb,
                statement=statement,
            )
    except IntegrityError:
        existing = XAPIStatement.objects.filter(id=statement_id, user=user).first()
        if existing is None:
            raise ValidationError(_("The statement id is already used.")) from None
        return existing, False
    context = statement.get("context") or {}
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    is_root = not (isinstance(activities, dict) and activities.get("parent"))
    if lesson is not None and is_root and verb in SCORING_VERBS and scaled is not None:
        learning.record_score(user=user, lesson=lesson, scaled=max(0.0, min(1.0, scaled)))
    return stored, True


def check_state_key(*, data_type: str, sub_content_id: int) -> None:
    """The address of a saved state comes from the request path: a data type H5P could have
    named and a sub-content id that fits its column, or a refusal (never a database error)."""
    if not STATE_TYPE.fullmatch(data_type) or not 0 <= sub_content_id < 2**31:
        raise ValidationError(_("The saved state is not valid."), code="h5p_state_invalid")


def save_state(
    *, user: User, content: H5PContent, data_type: str, sub_content_id: int, data: str
) -> None:
    """H5P's saved state is the JSON text its player wrote: it is read like any JSON body
    (size, depth, characters PostgreSQL cannot store) before it is kept and handed back."""
    if len(data.encode("utf-8", "surrogatepass")) > MAX_STATE_BYTES:
        raise ValidationError(_("The saved state is too large."), code="h5p_state_too_large")
    check_state_key(data_type=data_type, sub_content_id=sub_content_id)
    if data in ("", "0"):  # H5P sends 0 to delete its state
        H5PState.objects.filter(
            user=user, content=content, data_type=data_type, sub_content_id=sub_content_id
        ).delete()
        return
    try:
        jsonbody.parse(data, max_bytes=MAX_STATE_BYTES, require_object=False)
    except jsonbody.JSONBodyError as error:
        raise ValidationError(
            _("The saved state is not valid."), code="h5p_state_invalid"
        ) from error
    H5PState.objects.update_or_create(
        user=user,
        content=content,
        data_type=data_type[:64],
        sub_content_id=sub_content_id,
        defaults={"data": data},
    )
