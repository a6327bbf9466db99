"""Where backups are written: a directory or an S3 bucket, behind one small interface.

Paths in a target are relative and use ``/``; the services never see whether they end up as
files or as object keys. A target only moves bytes: what it holds is already sealed
(``core.backups.crypto``), so a target on another provider's disks learns nothing but sizes.
"""

from __future__ import annotations

import io
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from minio import Minio
from minio.error import S3Error

READ_CHUNK = 1024 * 1024
# minio's part size (every write is of unknown length); 16 MiB parts reach 160 GB within S3's
# 10,000 parts.
PART_SIZE = 16 * 1024 * 1024
MISSING_CODES = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound", "NoSuchBucket"}
# Directory targets write here first and rename when complete: a crash never leaves a file
# that looks finished.
PARTIAL_MARK = ".partial-"


def _checked(path: str) -> str:
    """Refuse absolute paths and ``..``: a manifest's content must not reach outside."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"invalid path in a backup target: {path!r}")
    return pure.as_posix()


class Target(ABC):
    """A place holding backups."""

    @abstractmethod
    def describe(self) -> str:
        """A human-readable address (no secrets)."""

    @abstractmethod
    def prepare(self) -> None:
        """Create the directory or bucket if it is missing."""

    @abstractmethod
    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        """Store every byte ``chunks`` yields at ``path`` (reading it to the end), replacing
        what was there."""

    @abstractmethod
    def read(self, path: str) -> Iterator[bytes]:
        """The bytes at ``path``; FileNotFoundError when there are none."""

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Every path under ``prefix`` (recursively)."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove ``path``; nothing happens when it is already gone."""


class DirectoryTarget(Target):
    """A folder on this machine or a mounted volume (NFS, a USB disk taken off-site)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return str(self.root)

    def _path(self, path: str) -> Path:
        return self.root / _checked(path)

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        final = self._path(path)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f"{final.name}{PARTIAL_MARK}{uuid.uuid4().hex}")
        try:
            with open(partial, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)

    def read(self, path: str) -> Iterator[bytes]:
        # Opened here, not in the generator, so that a missing file fails at the call.
        handle = open(self._path(path), "rb")  # noqa: SIM115 - closed by the generator
        return self._chunks(handle)

    @staticmethod
    def _chunks(handle: io.BufferedReader) -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for filename in filenames:
                if PARTIAL_MARK in filename:
                    continue
                relative = (Path(dirpath) / filename).relative_to(self.root).as_posix()
                if relative.startswith(prefix):
                    yield relative

    def delete(self, path: str) -> None:
        target = self._path(path)
        target.unlink(missing_ok=True)
        # Leave no empty folders behind (backups/<name>/, objects/ab/).
        parent = target.parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


class IterableStream(io.RawIOBase):
    """A read-only file over an iterator of byte strings (what minio's put_object reads)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            piece = next(self._chunks, None)
            if piece is None:
                return 0
            self._pending = piece
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class S3Target(Target):
    """A bucket (and optional prefix) on an S3 endpoint, reached with the minio SDK.

    The endpoint and keys are BACKUP_S3_* when set, else the site's own S3_* ones. Another
    endpoint (another provider, another building) is what makes a backup off-site.
    """

    def __init__(self, *, bucket: str, prefix: str = "", client: Minio | None = None) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.client = client or self._client()

    @staticmethod
    def _client() -> Minio:
        url = settings.BACKUP_S3_ENDPOINT_URL or settings.S3_ENDPOINT_URL
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"S3 endpoint {url!r} must be a URL such as https://minio:9000")
        return Minio(
            endpoint=parts.netloc,
            access_key=settings.BACKUP_S3_ACCESS_KEY or settings.S3_ACCESS_KEY,
            secret_key=settings.BACKUP_S3_SECRET_KEY or settings.S3_SECRET_KEY,
            secure=parts.scheme == "https",
            region=settings.S3_REGION,
        )

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, path: str) -> str:
        return self.prefix + _checked(path)

    def prepare(self) -> None:
        if not self.client.bucket_exists(bucket_name=self.bucket):
            self.client.make_bucket(bucket_name=self.bucket)

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        # Always of unknown length: minio then reads the stream to its end (a single PUT when
        # it fits in one part), so the sealing generator runs to its last chunk and the bytes
        # counted while sealing are all the bytes stored.
        self.client.put_object(
            bucket_name=self.bucket,
            object_name=self._key(path),
            data=IterableStream(chunks),
            length=-1,
            part_size=PART_SIZE,
            content_type="application/octet-stream",
        )

    def read(self, path: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(bucket_name=self.bucket, object_name=self._key(path))
        except S3Error as error:
            if error.code in MISSING_CODES:
                raise FileNotFoundError(path) from error
            raise
        return self._chunks(response)

    @staticmethod
    def _chunks(response) -> Iterator[bytes]:
        try:
            yield from response.stream(READ_CHUNK)
        finally:
            response.close()
            response.release_conn()

    def exists(self, path: str) -> bool:
        try:
            self.client.stat_object(bucket_name=self.bucket, object_name=self._key(path))
        except S3Error as error:
            if error.code in MISSING_CODES:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[str]:
        if not self.client.bucket_exists(bucket_name=self.bucket):
            return
        for obj in self.client.list_objects(
            bucket_name=self.bucket, prefix=self.prefix + prefix, recursive=True
        ):
            if not obj.is_dir:
                yield obj.object_name[len(self.prefix) :]

    def delete(self, path: str) -> None:
        self.client.remove_object(bucket_name=self.bucket, object_name=self._key(path))


def open_target(spec: str | os.PathLike[str]) -> Target:
    """The target ``spec`` names: ``s3://bucket/prefix`` or a directory path."""
    text = str(spec).strip()
    if text.startswith("s3://"):
        parts = urlsplit(text)
        if not parts.netloc:
            raise ValueError(f"{text!r} names no bucket (s3://bucket/prefix)")
        return S3Target(bucket=parts.netloc, prefix=parts.path)
    if not text:
        raise ValueError("no backup target given")
    return DirectoryTarget(text)


def add_target_arguments(parser, *, named_backup: bool) -> None:
    """The arguments the backup, restore and verify_backup commands share."""
    from django.utils.translation import gettext as _

    if named_backup:
        parser.add_argument("backup", metavar="BACKUP", help=_("a backup's name, or latest"))
    parser.add_argument(
        "--target",
        default="",
        help=_("a directory or s3://bucket/prefix (default: the BACKUP_TARGET setting)"),
    )


def target_from(options: dict) -> Target:
    """The target a command was given, or the BACKUP_TARGET setting's."""
    from django.conf import settings

    return open_target(options["target"] or settings.BACKUP_TARGET)
