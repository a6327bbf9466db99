"""A reader's personal data, gathered from every app of the project.

Which rows belong to a reader is found from the models themselves: every row of our own apps
that points at the reader through a field of ``OWNER_FIELDS`` (what they booked, uploaded,
asked for, learned). Fields that point at a member of staff acting on it (``decided_by``,
``reviewed_by`` and the like) do not make a row theirs. A model added later is included without
anyone remembering to list it; a test pins the sections a reader with data in every app gets.

Files are the reader's own stored objects (originals they uploaded, studio recordings, print
sources), streamed from storage into the ZIP.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

OWNER_FIELDS = ("user", "owner", "reader", "reporter", "author")
# Rows that are the reader's through another row (a studio session through its booking).
INDIRECT = {"makerspace.studiojob": "booking__user"}
# Our own exports are not part of the next export.
EXPORT_PREFIX = "exports"
PROFILE_FIELDS = ("email", "date_joined", "last_login")


def _project_models() -> Iterator[type[models.Model]]:
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield from config.get_models()


def _owner_fields(model: type[models.Model]) -> list[str]:
    """The fields through which a row is a reader's. Wagtail pages are left out: their owner
    is the member of staff who created the page, not a reader."""
    from wagtail.models import Page

    if issubclass(model, Page):
        return []
    if model._meta.label_lower in INDIRECT:
        return [INDIRECT[model._meta.label_lower]]
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return [
        field.name
        for field in model._meta.get_fields()
        if field.concrete
        and (field.many_to_one or field.one_to_one)
        and field.related_model is user_model
        and field.name in OWNER_FIELDS
    ]


def records_of(user) -> dict[str, list[dict[str, Any]]]:
    """Every row that is the reader's, by model (``app.model`` or ``app.model.field``)."""
    from accounts.services import PROFILE_FIELDS as EDITABLE

    from .models import ActivityEvent
    from .services import pseudonym

    profile = {name: getattr(user, name) for name in (*PROFILE_FIELDS, *EDITABLE)}
    sections: dict[str, list[dict[str, Any]]] = {"accounts.profile": [profile]}
    for model in _project_models():
        if model is ActivityEvent:
            continue
        for field in _owner_fields(model):
            rows = list(model._default_manager.filter(**{field: user}).values())
            if field == "owner" and model._meta.label_lower == "media.storedfile":
                rows = [row for row in rows if not row["key"].startswith(f"{EXPORT_PREFIX}/")]
            if rows:
                label = model._meta.label_lower
                plain = field in ("user", "owner") or label in INDIRECT
                sections[label if plain else f"{label}.{field}"] = rows
    events = ActivityEvent.objects.filter(
        models.Q(person_id=user.pk) | models.Q(actor=pseudonym(user.pk))
    ).order_by("occurred_at")
    sections["insight.activityevent"] = list(
        events.values(
            "occurred_at",
            "kind",
            "subject_type",
            "subject_id",
            "outcome",
            "value",
            "quantity",
            "location",
            "term",
        )
    )
    return sections


def write_zip(user, target: Path) -> list[str]:
    """Write the reader's ZIP to ``target``; returns the names inside it."""
    from media.models import StoredFile
    from media.services import storage_for

    names = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section, rows in records_of(user).items():
            name = f"data/{section}.json"
            archive.writestr(
                name, json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
            )
            names.append(name)
        files = StoredFile.objects.filter(owner=user).exclude(key__startswith=f"{EXPORT_PREFIX}/")
        for stored in files.order_by("created_at"):
            # The id keeps two files of the same name apart; the name is the reader's own.
            original = Path(stored.original_name or stored.key).name.replace("\\", "_")
            name = f"files/{stored.pk}-{original}"
            with archive.open(name, "w") as out:
                for chunk in storage_for(stored.visibility).stream(stored.key):
                    out.write(chunk)
            names.append(name)
    return names


def build(user) -> Any:
    """The ZIP as a stored (private) file of the reader's."""
    from django.core.files import File
    from django.utils import timezone

    from media.services import store_file

    with tempfile.TemporaryDirectory(prefix="liaotu-export-") as tmp:
        target = Path(tmp) / "export.zip"
        write_zip(user, target)
        with open(target, "rb") as handle:
            return store_file(
                content=File(handle),
                original_name=f"liaotu-my-data-{timezone.localdate():%Y%m%d}.zip",
                content_type="application/zip",
                owner=user,
                prefix=EXPORT_PREFIX,
            )
