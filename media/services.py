"""Writing and removing stored files. Storage and database stay in step: a failed insert removes
the object it was about to describe, and a deleted row takes its object with it on commit."""

import hashlib
import uuid
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from minio.commonconfig import CopySource

from accounts.models import User

from .models import StoredFile, Visibility
from .storage import MinioStorage

HASH_CHUNK = 1024 * 1024


def storage_for(visibility: str):
    return storages["default" if visibility == Visibility.PUBLIC else "private"]


def download_to(*, stored_file: StoredFile, target: Path) -> str:
    """Copy a stored object to a local file (for ffmpeg and friends); returns its SHA-256."""
    digest = hashlib.sha256()
    with open(target, "wb") as handle:
        for chunk in storage_for(stored_file.visibility).stream(stored_file.key):
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def identify_upload(upload, *, kinds: set[str], max_bytes: int | None = None):
    """The format of an uploaded file by its first bytes (never by its name), checked against
    its name, the kinds wanted here and the size limit for its kind; a ValidationError
    otherwise. For forms that take files directly (the tus endpoint has its own checks)."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from . import sniff

    head = upload.read(sniff.HEAD_BYTES)
    upload.seek(0)
    try:
        fmt = sniff.sniff_head(head, total_size=upload.size)
        sniff.check_claim(fmt, upload.name)
        if fmt.name in sniff.NEEDS_FULL_CHECK:
            sniff.verify_complete(fmt, upload, size=upload.size)
            upload.seek(0)
    except sniff.UnsupportedFile as error:
        upload.seek(0)
        raise ValidationError(str(error)) from error
    if fmt.kind not in kinds:
        raise ValidationError(_("This kind of file cannot be used here."))
    limit = max_bytes or settings.MEDIA_MAX_BYTES[fmt.kind]
    if upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
        )
    return fmt


def _sha256(content: File) -> str:
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks(HASH_CHUNK):
        digest.update(chunk)
    content.seek(0)
    return digest.hexdigest()


def new_key(*, prefix: str, original_name: str) -> str:
    """An unguessable key that keeps the extension (MinIO and browsers like a hint)."""
    suffix = PurePosixPath(original_name).suffix.lower()[:10]
    return f"{prefix.strip('/')}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def store_file(
    *,
    content: File,
    original_name: str,
    content_type: str,
    visibility: str = Visibility.PRIVATE,
    owner: User | None = None,
    prefix: str = "files",
) -> StoredFile:
    storage = storage_for(visibility)
    digest = _sha256(content)
    key = storage.save(new_key(prefix=prefix, original_name=original_name), content)
    try:
        return StoredFile.objects.create(
            owner=owner,
            visibility=visibility,
            key=key,
            original_name=original_name[:255],
            content_type=content_type,
            size=storage.size(key),
            sha256=digest,
        )
    except Exception:
        storage.delete(key)
        raise


def delete_stored_file(*, stored_file: StoredFile) -> None:
    storage = storage_for(stored_file.visibility)
    key = stored_file.key
    stored_file.delete()
    # Only once the row is really gone: a rolled-back delete must keep its object.
    transaction.on_commit(lambda: storage.delete(key))


def move_file(*, stored_file: StoredFile, visibility: str) -> StoredFile:
    """Move an object between the private and the public bucket, keeping its key.

    On MinIO this is a server-side copy; elsewhere the bytes are streamed across. The row is
    updated first under a lock, so a reader never gets a URL to a file that is not there yet.
    """
    if stored_file.visibility == visibility:
        return stored_file
    source, target = storage_for(stored_file.visibility), storage_for(visibility)
    if isinstance(source, MinioStorage) and isinstance(target, MinioStorage):
        target.client.copy_object(
            bucket_name=target.bucket,
            object_name=stored_file.key,
            source=CopySource(bucket_name=source.bucket, object_name=stored_file.key),
        )
    else:
        with source.open(stored_file.key) as handle:
            saved = target.save(stored_file.key, handle)
        if saved != stored_file.key:
            target.delete(saved)
            raise RuntimeError(f"{stored_file.key} already exists in {visibility} storage")
    StoredFile.objects.filter(pk=stored_file.pk).update(visibility=visibility)
    stored_file.visibility = visibility
    key = stored_file.key
    transaction.on_commit(lambda: source.delete(key))
    return stored_file
