"""Making backups, and what every part of backups shares (names, keys, the lock, manifests).

Verifying and restoring are in ``recovery.py``, the retention schedule in ``retention.py``.

Why the database is dumped before the files are copied: a file added while the backup runs is
then at worst copied without a row pointing at it (harmless, the storage clean-up removes such
files), whereas the other order would restore rows whose files were never copied.

Why files are stored by their SHA-256: an object already in any earlier backup is not copied
again, so a nightly backup of a library with terabytes of video copies only the day's new files;
and a restore can check every byte it writes against the manifest.

Every entry point that writes to a target or a database runs under ``backup_lock()`` (a
PostgreSQL advisory lock): a prune that ran beside a backup could delete a blob that the
backup had just found present and so did not copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext as _

from media.storage import MinioStorage

from . import crypto
from .targets import Target

logger = logging.getLogger(__name__)

FORMAT = 1
NAME_FORMAT = "%Y%m%dT%H%M%SZ"
NAME_PATTERN = re.compile(r"^\d{8}T\d{6}Z$")
BACKUPS = "backups"
OBJECTS = "objects"
MANIFEST = "manifest.json"
DUMP = "database.dump"
# The manifest's name for each file store, and the Django storage alias behind it.
STORES = {"public": "default", "private": "private"}
READ_CHUNK = 1024 * 1024
# Any fixed number works; it only has to be the same in every process of this project.
LOCK_ID = int.from_bytes(hashlib.sha256(b"liaotu-commons backups").digest()[:8], "big") >> 1


class BackupError(Exception):
    """Something an operator must put right; the message says what (in their language)."""


class BackupBusy(BackupError):
    """Another backup, restore or prune holds the lock."""


class RestoreRefused(BackupError):
    """The database or a file store is not empty, and ``force`` was not given."""


# --- keys, names and the lock --------------------------------------------------------------------


def backup_key() -> bytes:
    """The key from BACKUP_ENCRYPTION_KEY; nothing runs without one."""
    try:
        return crypto.load_key(getattr(settings, "BACKUP_ENCRYPTION_KEY", ""))
    except crypto.BackupKeyError as error:
        raise BackupError(
            _(
                "BACKUP_ENCRYPTION_KEY is missing or invalid (%(reason)s). Set it to 32 random "
                'bytes in URL-safe base64, e.g. the output of: python -c "import base64, '
                'os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
            )
            % {"reason": error}
        ) from error


def name_for(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(NAME_FORMAT)


def moment_of(name: str) -> datetime:
    return datetime.strptime(name, NAME_FORMAT).replace(tzinfo=UTC)


def _manifest_path(name: str) -> str:
    return f"{BACKUPS}/{name}/{MANIFEST}"


def _dump_path(name: str) -> str:
    return f"{BACKUPS}/{name}/{DUMP}"


def blob_path(sha256: str) -> str:
    return f"{OBJECTS}/{sha256[:2]}/{sha256}"


def _pg_settings(alias: str = "default") -> dict[str, str]:
    """libpq's connection parameters for a database alias (what pg_dump and psycopg take)."""
    db = settings.DATABASES[alias]
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if db.get("OPTIONS", {}).get(option):
            params[option] = str(db["OPTIONS"][option])
    return {key: value for key, value in params.items() if value}


def _pg_env(alias: str = "default") -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the password goes here, never on the argv
    (which every user of the machine can read in the process list)."""
    names = {
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "host": "PGHOST",
        "port": "PGPORT",
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
    }
    env = dict(os.environ)
    env.update({names[key]: value for key, value in _pg_settings(alias).items()})
    env["PGAPPNAME"] = "liaotu-backup"
    return env


def _pg_tool(name: str) -> str:
    return str(Path(getattr(settings, "BACKUP_PG_BIN_DIR", "/usr/bin")) / name)


@contextmanager
def backup_lock(*, alias: str = "default") -> Iterator[None]:
    """Hold the project's backup lock, or raise BackupBusy at once.

    A session-level advisory lock on a connection of its own, not Django's: Django may close
    its connection between queries (CONN_MAX_AGE, health checks), which would drop the lock
    silently; and a worker that dies drops its connection, so the lock never outlives it.
    """
    with psycopg.connect(**_pg_settings(alias), autocommit=True) as conn:
        acquired = conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_ID]).fetchone()[0]
        if not acquired:
            raise BackupBusy(
                _("Another backup, restore or prune is running; try again when it has finished.")
            )
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_ID])


# --- manifests -----------------------------------------------------------------------------------


def _sealed_json(document: dict, *, key: bytes, label: str) -> Iterator[bytes]:
    data = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return crypto.seal([data], key=key, label=label)


def read_manifest(*, target: Target, name: str, key: bytes) -> dict:
    """The manifest of backup ``name``, opened and checked (BackupError if it does not open)."""
    path = _manifest_path(name)
    try:
        data = b"".join(crypto.unseal(target.read(path), key=key, label=path))
    except FileNotFoundError as error:
        raise BackupError(_("Backup %(name)s has no manifest.") % {"name": name}) from error
    except crypto.SealError as error:
        raise BackupError(
            _("The manifest of backup %(name)s does not open: wrong key, or it was changed.")
            % {"name": name}
        ) from error
    manifest = json.loads(data)
    if manifest.get("format") != FORMAT or manifest.get("name") != name:
        raise BackupError(_("The manifest of backup %(name)s is not valid.") % {"name": name})
    return manifest


def list_backups(*, target: Target) -> list[str]:
    """The names of the finished backups (those with a manifest), oldest first."""
    names = set()
    for path in target.list(f"{BACKUPS}/"):
        parts = path.split("/")
        if len(parts) == 3 and parts[2] == MANIFEST and NAME_PATTERN.match(parts[1]):
            names.add(parts[1])
    return sorted(names)


def resolve_name(*, target: Target, name: str) -> str:
    """A backup's name from what an operator typed: its timestamp or "latest"."""
    names = list_backups(target=target)
    if name == "latest":
        if not names:
            raise BackupError(
                _("There are no backups in %(target)s.") % {"target": target.describe()}
            )
        return names[-1]
    if name not in names:
        raise BackupError(
            _("There is no backup %(name)s in %(target)s.")
            % {"name": name, "target": target.describe()}
        )
    return name


def entries(manifest: dict) -> Iterator[tuple[str, dict]]:
    for store in STORES:
        for entry in manifest["stores"].get(store, {}).get("objects", []):
            yield store, entry


# --- reading the file stores ---------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    key: str
    size: int
    modified: str
    etag: str


def _listing(storage: Storage) -> Iterator[Listed]:
    """Every object of a store with what the quick check compares (one listing, no reads)."""
    if isinstance(storage, MinioStorage):
        if not storage.client.bucket_exists(bucket_name=storage.bucket):
            return
        for obj in storage.client.list_objects(bucket_name=storage.bucket, recursive=True):
            if obj.is_dir:
                continue
            modified = obj.last_modified.isoformat() if obj.last_modified else ""
            yield Listed(obj.object_name, obj.size or 0, modified, (obj.etag or "").strip('"'))
        return
    for key, modified in storage.iter_objects():
        try:
            size = storage.stat(key).size
        except FileNotFoundError:
            continue
        yield Listed(key, size, modified.isoformat() if modified else "", "")


def _store_keys(storage: Storage) -> Iterator[str]:
    if isinstance(storage, MinioStorage) and not storage.client.bucket_exists(
        bucket_name=storage.bucket
    ):
        return iter(())
    return storage.iter_keys()


class _Hashing:
    """Passes chunks through while counting them and taking their SHA-256."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.sha256.update(chunk)
            self.size += len(chunk)
            yield chunk


def _hash_object(storage: Storage, key: str) -> tuple[str, int]:
    hashing = _Hashing(storage.stream(key))
    for _chunk in hashing:
        pass
    return hashing.sha256.hexdigest(), hashing.size


# --- backup --------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    name: str
    target: str
    objects: int = 0
    copied: int = 0
    copied_bytes: int = 0
    database_bytes: int = 0
    vanished: list[str] = field(default_factory=list)


def _dump_database(*, target: Target, path: str, key: bytes) -> tuple[str, int]:
    """Stream ``pg_dump --format=custom`` into the target, sealed; returns its SHA-256 and size."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [_pg_tool("pg_dump"), "--format=custom", "--no-password"],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=_pg_env(),
        )
        assert process.stdout is not None
        hashing = _Hashing(iter(lambda: process.stdout.read(READ_CHUNK), b""))
        try:
            target.write(path, crypto.seal(hashing, key=key, label=path))
        finally:
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            target.delete(path)
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()[-2000:]
            raise BackupError(_("pg_dump failed: %(message)s") % {"message": message})
    return hashing.sha256.hexdigest(), hashing.size


def _copy_blob(
    *, storage: Storage, key: str, sha256: str, size: int, target: Target, backup_key: bytes
) -> tuple[str, int]:
    """Copy one object into the blob named by ``sha256``, checking the bytes on the way.

    Returns the SHA-256 and size actually read. When they differ (the object changed after it
    was hashed), the blob written under the old name is removed again.
    """
    path = blob_path(sha256)
    hashing = _Hashing(storage.stream(key))
    target.write(path, crypto.seal(hashing, key=backup_key, label=path))
    actual = hashing.sha256.hexdigest()
    if actual != sha256 or hashing.size != size:
        target.delete(path)
    return actual, hashing.size


def _back_up_object(
    *,
    storage: Storage,
    listed: Listed,
    previous: dict | None,
    rehash: bool,
    stored: set[str],
    target: Target,
    backup_key: bytes,
    result: BackupResult,
) -> dict:
    # The quick check: same key, size, modification time and ETag as in the last backup means
    # the same bytes (S3 sets a new time and ETag on every write), so the object is not read.
    if (
        previous
        and not rehash
        and previous["size"] == listed.size
        and previous.get("modified") == listed.modified
        and previous.get("etag", "") == listed.etag
        and listed.modified
    ):
        sha256, size, content_type = previous["sha256"], listed.size, previous["content_type"]
    else:
        sha256, size = _hash_object(storage, listed.key)
        content_type = storage.stat(listed.key).content_type
    for _attempt in range(2):
        if blob_path(sha256) in stored:
            break
        actual, actual_size = _copy_blob(
            storage=storage,
            key=listed.key,
            sha256=sha256,
            size=size,
            target=target,
            backup_key=backup_key,
        )
        if (actual, actual_size) == (sha256, size):
            stored.add(blob_path(sha256))
            result.copied += 1
            result.copied_bytes += size
            break
        sha256, size = actual, actual_size  # changed while we read it: copy what it is now
    else:
        raise BackupError(
            _("The file %(key)s kept changing while it was being copied.") % {"key": listed.key}
        )
    return {
        "key": listed.key,
        "size": size,
        "sha256": sha256,
        "content_type": content_type,
        "modified": listed.modified,
        "etag": listed.etag,
    }


def create_backup(
    *, target: Target, now: datetime | None = None, rehash: bool = False
) -> BackupResult:
    """Back up the database and both file stores into ``target`` as ``backups/<UTC time>/``.

    ``rehash`` reads every object again instead of trusting the quick check against the last
    backup (a monthly full read is cheap insurance against a store that changed bytes without
    changing their time). Call it under ``backup_lock()``.
    """
    key = backup_key()
    moment = now or datetime.now(tz=UTC)
    name = name_for(moment)
    target.prepare()
    names = list_backups(target=target)
    if name in names:
        raise BackupError(_("Backup %(name)s already exists.") % {"name": name})
    previous: dict[tuple[str, str], dict] = {}
    if names:
        try:
            last = read_manifest(target=target, name=names[-1], key=key)
        except BackupError:
            logger.warning("backup %s does not open; every object is hashed again", names[-1])
        else:
            for store, content in last["stores"].items():
                for entry in content["objects"]:
                    previous[(store, entry["key"])] = entry
    result = BackupResult(name=name, target=target.describe())
    dump_sha, dump_size = _dump_database(target=target, path=_dump_path(name), key=key)
    result.database_bytes = dump_size
    stored = set(target.list(f"{OBJECTS}/"))
    stores: dict[str, Any] = {}
    for store, alias in STORES.items():
        storage = storages[alias]
        entries = []
        for listed in _listing(storage):
            try:
                entry = _back_up_object(
                    storage=storage,
                    listed=listed,
                    previous=previous.get((store, listed.key)),
                    rehash=rehash,
                    stored=stored,
                    target=target,
                    backup_key=key,
                    result=result,
                )
            except FileNotFoundError:
                # Deleted between the listing and the read: it is gone from the site as well.
                result.vanished.append(f"{store}:{listed.key}")
                continue
            entries.append(entry)
        result.objects += len(entries)
        stores[store] = {"alias": alias, "objects": entries}
    manifest = {
        "format": FORMAT,
        "name": name,
        "created_at": moment.astimezone(UTC).isoformat(),
        "database": {
            "path": DUMP,
            "size": dump_size,
            "sha256": dump_sha,
            "name": settings.DATABASES["default"]["NAME"],
        },
        "stores": stores,
    }
    path = _manifest_path(name)
    target.write(path, _sealed_json(manifest, key=key, label=path))
    logger.info(
        "backup %s: %s objects, %s copied (%s bytes), database %s bytes",
        name,
        result.objects,
        result.copied,
        result.copied_bytes,
        dump_size,
    )
    return result
