"""Django storage backends for the platform's two kinds of files.

* ``public`` holds what anyone may fetch (published derivatives, page images): its objects get
  plain URLs (MinIO serves them, or a CDN in front of it).
* ``private`` holds originals and restricted material. It has no URLs at all: a view checks
  permission first and then either redirects to a short-lived presigned URL or streams the
  object itself (see ``media.delivery``).

The minio SDK is always called with keyword arguments: 7.2.19 made every argument keyword-only
and 7.2.20 reverted it, and keywords work with both.
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible
from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

PUBLIC = "public"
PRIVATE = "private"
STREAM_CHUNK = 256 * 1024
# minio's multipart part size for streams of unknown length; 16 MiB keeps 10,000 parts > 150 GB.
PART_SIZE = 16 * 1024 * 1024
MISSING_CODES = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}


class PrivateObjectError(PermissionError):
    """A private object has no public URL; deliver it through a permission-checked view."""


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    modified: datetime | None
    etag: str = ""


def _endpoint(url: str) -> tuple[str, bool]:
    """The minio SDK takes ``host:port`` and a TLS flag rather than a URL."""
    parts = urlsplit(url)
    if not parts.netloc:
        raise ValueError(f"S3 endpoint {url!r} must be a URL such as http://minio:9000")
    return parts.netloc, parts.scheme == "https"


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@deconstructible
class MinioStorage(Storage):
    """Objects in a MinIO (or other S3) bucket, reached over HTTP with the minio SDK."""

    def __init__(self, visibility: str = PUBLIC) -> None:
        if visibility not in (PUBLIC, PRIVATE):
            raise ValueError("visibility must be 'public' or 'private'")
        self.visibility = visibility

    # -- clients ---------------------------------------------------------------------------
    def _make_client(self, url: str) -> Minio:
        host, secure = _endpoint(url)
        return Minio(
            endpoint=host,
            access_key=settings.S3_ACCESS_KEY,
            secret_key=settings.S3_SECRET_KEY,
            secure=secure,
            # A fixed region spares a bucket-location round trip before every request.
            region=settings.S3_REGION,
        )

    @cached_property
    def client(self) -> Minio:
        return self._make_client(settings.S3_ENDPOINT_URL)

    @cached_property
    def presign_client(self) -> Minio:
        # Signatures cover the host, so URLs for browsers are signed for the public host name.
        return self._make_client(settings.S3_PUBLIC_URL or settings.S3_ENDPOINT_URL)

    @property
    def bucket(self) -> str:
        return (
            settings.S3_PUBLIC_BUCKET if self.visibility == PUBLIC else settings.S3_PRIVATE_BUCKET
        )

    # -- buckets ---------------------------------------------------------------------------
    def ensure_bucket(self) -> bool:
        """Create the bucket if it is missing; returns True when it was created."""
        if self.client.bucket_exists(bucket_name=self.bucket):
            return False
        self.client.make_bucket(bucket_name=self.bucket)
        if self.visibility == PUBLIC:
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["*"]},
                        "Action": ["s3:GetObject"],
                        "Resource": [f"arn:aws:s3:::{self.bucket}/*"],
                    }
                ],
            }
            self.client.set_bucket_policy(bucket_name=self.bucket, policy=json.dumps(policy))
        return True

    def health_check(self) -> None:
        if not self.client.bucket_exists(bucket_name=self.bucket):
            raise RuntimeError(f"bucket {self.bucket} does not exist")

    # -- Storage API -----------------------------------------------------------------------
    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
            content.seek(0)
        size = getattr(content, "size", None)
        content_type = getattr(content, "content_type", None) or _guess_type(name)
        self.client.put_object(
            bucket_name=self.bucket,
            object_name=name,
            data=content,
            length=size if size is not None else -1,
            part_size=PART_SIZE,
            content_type=content_type,
        )
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode:
            raise ValueError("objects are written with save(), not opened for writing")
        spool = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
        for chunk in self.stream(name):
            spool.write(chunk)
        spool.seek(0)
        return File(spool, name=name)

    def exists(self, name: str) -> bool:
        try:
            self.client.stat_object(bucket_name=self.bucket, object_name=name)
        except S3Error as error:
            if error.code in MISSING_CODES:
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        if name:
            self.client.remove_object(bucket_name=self.bucket, object_name=name)

    def stat(self, name: str) -> ObjectInfo:
        try:
            info = self.client.stat_object(bucket_name=self.bucket, object_name=name)
        except S3Error as error:
            if error.code in MISSING_CODES:
                raise FileNotFoundError(name) from error
            raise
        return ObjectInfo(
            size=info.size or 0,
            content_type=info.content_type or _guess_type(name),
            modified=info.last_modified,
            etag=(info.etag or "").strip('"'),
        )

    def size(self, name: str) -> int:
        return self.stat(name).size

    def get_modified_time(self, name: str) -> datetime:
        modified = self.stat(name).modified
        if modified is None:
            raise FileNotFoundError(name)
        return modified

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        directories, files = [], []
        for obj in self.client.list_objects(
            bucket_name=self.bucket, prefix=prefix, recursive=False
        ):
            relative = obj.object_name[len(prefix) :]
            if obj.is_dir:
                directories.append(relative.rstrip("/"))
            else:
                files.append(relative)
        return directories, files

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every object key under ``prefix`` (for clean-up jobs and tests)."""
        for key, _modified in self.iter_objects(prefix):
            yield key

    def iter_objects(self, prefix: str = "") -> Iterator[tuple[str, datetime | None]]:
        for obj in self.client.list_objects(bucket_name=self.bucket, prefix=prefix, recursive=True):
            yield obj.object_name, obj.last_modified

    # -- multipart uploads across requests ---------------------------------------------------
    # The SDK has no public API for a multipart upload whose parts arrive in separate HTTP
    # requests, so these four wrap its internal calls in one place (minio is pinned to 7.2.x).
    def start_multipart(self, name: str, *, content_type: str) -> str:
        return self.client._create_multipart_upload(
            bucket_name=self.bucket, object_name=name, headers={"Content-Type": content_type}
        )

    def upload_part(
        self, name: str, *, upload_id: str, part_number: int, data: bytes | bytearray
    ) -> str:
        return self.client._upload_part(
            bucket_name=self.bucket,
            object_name=name,
            data=data,
            headers=None,
            upload_id=upload_id,
            part_number=part_number,
        )

    def complete_multipart(
        self, name: str, *, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        self.client._complete_multipart_upload(
            bucket_name=self.bucket,
            object_name=name,
            upload_id=upload_id,
            parts=[Part(part_number=number, etag=etag) for number, etag in parts],
        )

    def iter_multipart_uploads(
        self, prefix: str = ""
    ) -> Iterator[tuple[str, str, datetime | None]]:
        """Unfinished multipart uploads: (key, upload id, when started)."""
        result = self.client._list_multipart_uploads(bucket_name=self.bucket, prefix=prefix)
        for item in result.uploads:
            yield item.object_name, item.upload_id, item.initiated_time

    def abort_multipart(self, name: str, *, upload_id: str) -> None:
        try:
            self.client._abort_multipart_upload(
                bucket_name=self.bucket, object_name=name, upload_id=upload_id
            )
        except S3Error as error:
            if error.code != "NoSuchUpload":
                raise

    def url(self, name: str) -> str:
        if self.visibility != PUBLIC:
            raise PrivateObjectError(name)
        base = (settings.S3_PUBLIC_URL or settings.S3_ENDPOINT_URL).rstrip("/")
        return f"{base}/{self.bucket}/{quote(name)}"

    def presigned_url(
        self,
        name: str,
        *,
        expires: timedelta | None = None,
        download_name: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A short-lived GET URL; only call it after checking the reader may have the file."""
        headers = {}
        if download_name:
            headers["response-content-disposition"] = (
                f"attachment; filename*=UTF-8''{quote(download_name)}"
            )
        if content_type:
            headers["response-content-type"] = content_type
        return self.presign_client.presigned_get_object(
            bucket_name=self.bucket,
            object_name=name,
            expires=expires or timedelta(seconds=settings.S3_PRESIGNED_EXPIRY_SECONDS),
            response_headers=headers or None,
        )

    def stream(self, name: str, *, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the object's bytes (or a range of them) without holding them in memory."""
        try:
            response = self.client.get_object(
                bucket_name=self.bucket, object_name=name, offset=offset, length=length or 0
            )
        except S3Error as error:
            if error.code in MISSING_CODES:
                raise FileNotFoundError(name) from error
            raise
        try:
            yield from response.stream(STREAM_CHUNK)
        finally:
            response.close()
            response.release_conn()


@deconstructible
class LocalFileStorage(FileSystemStorage):
    """Files on local disk (the embedded default), with the same streaming API as MinIO."""

    def health_check(self) -> None:
        location = Path(self.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise OSError(f"{location} is not writable")

    def stat(self, name: str) -> ObjectInfo:
        path = Path(self.path(name))
        if not path.is_file():
            raise FileNotFoundError(name)
        return ObjectInfo(
            size=path.stat().st_size,
            content_type=_guess_type(name),
            modified=self.get_modified_time(name),
        )

    def stream(self, name: str, *, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        remaining = length
        with open(self.path(name), "rb") as handle:
            handle.seek(offset)
            while remaining is None or remaining > 0:
                size = STREAM_CHUNK if remaining is None else min(STREAM_CHUNK, remaining)
                chunk = handle.read(size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        for key, _modified in self.iter_objects(prefix):
            yield key

    def iter_objects(self, prefix: str = "") -> Iterator[tuple[str, datetime | None]]:
        root = Path(self.location)
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            key = path.relative_to(root).as_posix()
            if path.is_file() and key.startswith(prefix):
                yield key, datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


@deconstructible
class PrivateFileSystemStorage(LocalFileStorage):
    """Private files on local disk: no URLs, only permission-checked delivery."""

    def __init__(self, location: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        kwargs["base_url"] = None
        super().__init__(location=location, **kwargs)

    def url(self, name: str | None) -> str:
        raise PrivateObjectError(name or "")


def ensure_buckets() -> list[str]:
    """Create missing buckets for every MinIO-backed storage; returns the names created."""
    created = []
    for alias in ("default", PRIVATE):
        storage = storages[alias]
        if isinstance(storage, MinioStorage) and storage.ensure_bucket():
            created.append(storage.bucket)
    return created


def ensure_buckets_after_migrate(sender: Any = None, **kwargs: Any) -> None:
    ensure_buckets()


def reset_storages_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    """Tests change S3 settings; storages built from the old values must be rebuilt."""
    if setting.startswith("S3_"):
        from django.core.files.storage import default_storage
        from django.utils.functional import empty

        storages._storages = {}
        default_storage._wrapped = empty
