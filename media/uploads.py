"""Resumable uploads: the business side of the tus endpoint in ``media.api``.

Bytes go straight from the request into storage, a chunk at a time, so the web process's
memory stays flat whatever the file size:

* on local disk they are appended to ``uploads/<id>.part`` in the private storage, and any
  bytes that arrived before a dropped connection count;
* on MinIO the request bodies become the parts of one S3 multipart upload, written straight to
  the file's final key; completing it makes the object appear without any copy.

The first bytes are identified by content before anything else is kept (``media.sniff``): an
executable renamed ``.mp4`` is refused on its first chunk, and nothing of it remains.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files.storage import storages
from django.db import OperationalError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import pipeline, sniff
from .models import StoredFile, Upload, UploadStatus, Visibility
from .services import new_key
from .storage import STREAM_CHUNK, LocalFileStorage, MinioStorage

S3_MIN_PART = 5 * 1024 * 1024
S3_PUT_PART = 6 * 1024 * 1024
S3_PARALLEL_PARTS = 2


class UploadRefused(ValueError):
    """A request that breaks a rule; ``str()`` is the message for the reader."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ReadableStream(Protocol):
    def read(self, size: int = -1) -> bytes: ...


class PrefixedStream:
    """The bytes already read for sniffing, followed by the rest of the request body."""

    def __init__(self, head: bytes, rest: ReadableStream) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0 or size >= len(self.head):
                data, self.head = self.head, b""
                more = self.rest.read(-1 if size < 0 else size - len(data))
                return data + more
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


# -- where the bytes go ---------------------------------------------------------------------------
class DiskSink:
    def __init__(self, storage: LocalFileStorage, upload: Upload) -> None:
        self.storage = storage
        self.upload = upload
        self.path = Path(storage.path(f"uploads/{upload.pk}.part"))

    def write(self, *, offset: int, stream: ReadableStream, length: int) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        mode = "r+b" if self.path.exists() else "wb"
        with open(self.path, mode) as handle:
            handle.seek(offset)
            handle.truncate(offset)
            try:
                while written < length:
                    chunk = stream.read(min(STREAM_CHUNK, length - written))
                    if not chunk:
                        break
                    handle.write(chunk)
                    written += len(chunk)
            finally:
                # Whatever arrived before a dropped connection is kept and counted.
                handle.flush()
                os.fsync(handle.fileno())
        return written

    def finish(self) -> None:
        """Put the received bytes at the upload's final key."""
        target = Path(self.storage.path(self.upload.storage_key))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        if self.upload.status != UploadStatus.COMPLETE:
            self.storage.delete(self.upload.storage_key)


def plan_parts(length: int) -> list[int]:
    """Split one request's bytes into S3 parts of 6 MiB; a remainder under 5 MiB joins the
    part before it, so only a request's (and so the upload's) single part may be small."""
    sizes = [S3_PUT_PART] * (length // S3_PUT_PART)
    rest = length % S3_PUT_PART
    if rest and rest < S3_MIN_PART and sizes:
        sizes[-1] += rest
    elif rest:
        sizes.append(rest)
    return sizes


def _read_exactly(stream: ReadableStream, size: int) -> bytearray:
    """Up to ``size`` bytes in one buffer, grown in place (no second copy of the part)."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(min(STREAM_CHUNK, size - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer


_uploader: ThreadPoolExecutor | None = None


def _part_uploader() -> ThreadPoolExecutor:
    """One small pool per process: threads are reused across requests, so memory arenas are
    too (a new pool per request made the web process's memory creep)."""
    global _uploader
    if _uploader is None:
        _uploader = ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3-part")
    return _uploader


class S3Sink:
    """Each request's bytes become parts of one S3 multipart upload, written straight to the
    final key; completing the upload makes the object appear, with no copy."""

    def __init__(self, storage: MinioStorage, upload: Upload) -> None:
        self.storage = storage
        self.upload = upload

    def write(self, *, offset: int, stream: ReadableStream, length: int) -> int:
        upload = self.upload
        if not upload.multipart_id:
            upload.multipart_id = self.storage.start_multipart(
                upload.storage_key, content_type=sniff.FORMATS[upload.format].mime
            )
        # Parts are sent to S3 while the next one is read from the reader's connection; at most
        # S3_PARALLEL_PARTS are held in memory at once.
        first_number = len(upload.parts) + 1
        pending: list[tuple[int, int, Future]] = []
        completed: list[tuple[int, int, str]] = []
        pool = _part_uploader()
        try:
            for index, size in enumerate(plan_parts(length)):
                if len(pending) >= S3_PARALLEL_PARTS:
                    number, part_size, future = pending.pop(0)
                    completed.append((number, part_size, future.result()))
                data = _read_exactly(stream, size)
                if len(data) < size:
                    break  # the connection dropped inside this part: it is not kept
                future = pool.submit(
                    self.storage.upload_part,
                    upload.storage_key,
                    upload_id=upload.multipart_id,
                    part_number=first_number + index,
                    data=data,
                )
                del data
                pending.append((first_number + index, size, future))
        finally:
            # Every part sent is waited for, so none outlives the request that read it.
            for number, part_size, future in pending:
                completed.append((number, part_size, future.result()))
        # The caller saves the upload row (parts, offset) with the rest of its changes.
        written = 0
        for number, part_size, etag in completed:
            upload.parts.append([number, etag])
            written += part_size
        return written

    def finish(self) -> None:
        """Complete the multipart upload: the object appears at the upload's final key."""
        self.storage.complete_multipart(
            self.upload.storage_key,
            upload_id=self.upload.multipart_id,
            parts=[(number, etag) for number, etag in self.upload.parts],
        )

    def discard(self) -> None:
        if self.upload.multipart_id:
            self.storage.abort_multipart(
                self.upload.storage_key, upload_id=self.upload.multipart_id
            )
        if self.upload.storage_key and self.upload.status != UploadStatus.COMPLETE:
            self.storage.delete(self.upload.storage_key)


def sink_for(upload: Upload) -> DiskSink | S3Sink:
    storage = storages["private"]
    if isinstance(storage, MinioStorage):
        return S3Sink(storage, upload)
    if isinstance(storage, LocalFileStorage):
        return DiskSink(storage, upload)
    raise TypeError(f"uploads cannot be written to {type(storage).__name__}")


# -- rules ----------------------------------------------------------------------------------------
def _check_size(kind: str, length: int) -> None:
    limit = settings.MEDIA_MAX_BYTES[kind]
    if length > limit:
        raise UploadRefused(
            _("This file is too large: %(kind)s files may be at most %(limit)d MB.")
            % {"kind": sniff.MediaKind(kind).label, "limit": limit // (1024 * 1024)},
            status=413,
        )


def _kind_claimed_by(filename: str) -> str:
    extension = sniff.extension_of(filename)
    for fmt in sniff.FORMATS.values():
        if extension in fmt.extensions:
            return fmt.kind
    raise UploadRefused(
        _("Files ending in .%(extension)s are not accepted.") % {"extension": extension or "?"},
        status=415,
    )


def bytes_in_use(*, user: User) -> int:
    kept = StoredFile.objects.filter(owner=user).aggregate(total=Sum("size"))["total"] or 0
    pending = (
        Upload.objects.filter(owner=user, status=UploadStatus.RECEIVING).aggregate(
            total=Sum("length")
        )["total"]
        or 0
    )
    return kept + pending


# -- services -------------------------------------------------------------------------------------
@transaction.atomic
def create_upload(
    *, user: User, filename: str, length: int, metadata: dict | None = None
) -> Upload:
    filename = os.path.basename(filename.replace("\\", "/")).strip()[:255]
    if not filename:
        raise UploadRefused(_("The file has no name."))
    if length <= 0:
        raise UploadRefused(_("The file is empty."))
    _check_size(_kind_claimed_by(filename), length)
    # One reader's uploads are counted under a lock on their account, so that parallel requests
    # cannot each see room for one more and together go past the quota.
    User.objects.select_for_update().get(pk=user.pk)
    since = timezone.now() - timedelta(days=1)
    started_today = Upload.objects.filter(owner=user, created_at__gte=since).count()
    if started_today >= settings.MEDIA_QUOTA_UPLOADS_PER_DAY:
        raise UploadRefused(
            _("You have reached today's limit of %(count)d uploads. Please try again tomorrow.")
            % {"count": settings.MEDIA_QUOTA_UPLOADS_PER_DAY},
            status=429,
        )
    if bytes_in_use(user=user) + length > settings.MEDIA_QUOTA_TOTAL_BYTES:
        raise UploadRefused(
            _("This upload would take you past your storage quota of %(limit)d MB.")
            % {"limit": settings.MEDIA_QUOTA_TOTAL_BYTES // (1024 * 1024)},
            status=413,
        )
    return Upload.objects.create(
        owner=user,
        filename=filename,
        length=length,
        metadata=metadata or {},
        storage_key=new_key(prefix="originals", original_name=filename),
    )


def _fail(upload: Upload, sink: DiskSink | S3Sink, reason: str) -> None:
    sink.discard()
    upload.status = UploadStatus.FAILED
    upload.failure_reason = reason
    upload.save(update_fields=["status", "failure_reason", "updated_at"])


def _identify(upload: Upload, head: bytes) -> sniff.Format:
    try:
        fmt = sniff.sniff_head(head, total_size=upload.length)
        sniff.check_claim(fmt, upload.filename)
    except sniff.UnsupportedFile as refusal:
        raise UploadRefused(str(refusal), status=415) from refusal
    _check_size(fmt.kind, upload.length)
    return fmt


def receive_chunk(
    *, upload_id, user: User, offset: int, stream: ReadableStream, length: int
) -> Upload:
    """Store one PATCH body at ``offset``; on the last byte, verify and keep the file."""
    refusal: UploadRefused | None = None
    with transaction.atomic():
        try:
            upload = (
                Upload.objects.select_for_update(nowait=True).filter(owner=user).get(pk=upload_id)
            )
        except Upload.DoesNotExist as error:
            raise UploadRefused(_("No such upload."), status=404) from error
        except OperationalError as error:
            # Another request is writing to this upload right now (the row is locked).
            raise UploadRefused(
                _("This upload is busy with another request; try again shortly."), status=423
            ) from error
        if upload.status != UploadStatus.RECEIVING:
            raise UploadRefused(
                upload.failure_reason or _("This upload is no longer accepting data."), status=410
            )
        if offset != upload.offset:
            raise UploadRefused(
                _("The upload continues at byte %(offset)d.") % {"offset": upload.offset},
                status=409,
            )
        if length <= 0 or offset + length > upload.length:
            raise UploadRefused(_("The chunk does not fit the announced file size."))
        sink = sink_for(upload)
        if isinstance(sink, S3Sink) and offset + length < upload.length and length < S3_MIN_PART:
            raise UploadRefused(_("Chunks must be at least 5 MB, except the last one."))

        if offset == 0:
            head = stream.read(sniff.HEAD_BYTES)
            try:
                fmt = _identify(upload, head)
            except UploadRefused as refused:
                # Recorded (and committed) so the reader sees why; nothing of the file is kept.
                _fail(upload, sink, str(refused))
                refusal = refused
            else:
                upload.format, upload.kind = fmt.name, fmt.kind
                stream = PrefixedStream(head, stream)
        if refusal is None:
            written = sink.write(offset=offset, stream=stream, length=length)
            upload.offset = offset + written
            upload.save(
                update_fields=["offset", "format", "kind", "multipart_id", "parts", "updated_at"]
            )
            if upload.offset == upload.length:
                try:
                    _complete(upload, sink)
                except UploadRefused as refused:
                    _fail(upload, sink, str(refused))
                    refusal = refused
    if refusal is not None:
        raise refusal
    return upload


def _complete(upload: Upload, sink: DiskSink | S3Sink) -> None:
    fmt = sniff.FORMATS[upload.format]
    key = upload.storage_key
    sink.finish()
    if fmt.name in sniff.NEEDS_FULL_CHECK:
        # On refusal the caller's discard() removes the object that finish() put in place.
        with storages["private"].open(key) as handle:
            try:
                sniff.verify_complete(fmt, handle, size=upload.length)
            except sniff.UnsupportedFile as refusal:
                raise UploadRefused(str(refusal), status=415) from refusal
    # The digest is filled in by the processing task, which reads the whole file anyway; the
    # request that carried the last chunk should not read a gigabyte back.
    upload.stored_file = StoredFile.objects.create(
        owner=upload.owner,
        visibility=Visibility.PRIVATE,
        key=key,
        original_name=upload.filename,
        content_type=fmt.mime,
        size=upload.length,
        sha256="",
    )
    upload.status = UploadStatus.COMPLETE
    upload.save(update_fields=["stored_file", "status", "updated_at"])
    pipeline.create_asset(original=upload.stored_file, kind=fmt.kind, fmt=fmt.name)


@transaction.atomic
def cancel_upload(*, upload_id, user: User) -> None:
    try:
        upload = Upload.objects.select_for_update().filter(owner=user).get(pk=upload_id)
    except Upload.DoesNotExist as error:
        raise UploadRefused(_("No such upload."), status=404) from error
    if upload.status == UploadStatus.RECEIVING:
        sink_for(upload).discard()
        upload.status = UploadStatus.CANCELLED
        upload.save(update_fields=["status", "updated_at"])
