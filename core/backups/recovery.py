"""Checking a backup and putting it back: verify_backup and restore_backup.

A restore checks everything it can before it writes anything (the manifest opens, every file is
there, the dump matches its checksum, the database and buckets are empty), so a bad backup or a
wrong target leaves the site as it was.
"""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connections
from django.utils.translation import gettext as _

from media.storage import MinioStorage

from . import crypto
from .services import (
    DUMP,
    OBJECTS,
    STORES,
    BackupError,
    RestoreRefused,
    _dump_path,
    _Hashing,
    _pg_env,
    _pg_tool,
    _store_keys,
    backup_key,
    blob_path,
    entries,
    read_manifest,
)
from .targets import IterableStream, Target

logger = logging.getLogger(__name__)

# --- verify --------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    name: str
    objects: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_sealed(
    *,
    target: Target,
    path: str,
    key: bytes,
    sha256: str,
    size: int,
    sink: io.BufferedWriter | None = None,
) -> str | None:
    """Open a sealed file and compare it with the manifest; None, or what is wrong."""
    hashing = _Hashing(crypto.unseal(target.read(path), key=key, label=path))
    try:
        for chunk in hashing:
            if sink is not None:
                sink.write(chunk)
    except crypto.SealError:
        return _("does not open (changed, cut short, or sealed with another key)")
    if hashing.size != size:
        return _("is %(actual)s bytes, the manifest says %(expected)s") % {
            "actual": hashing.size,
            "expected": size,
        }
    if hashing.sha256.hexdigest() != sha256:
        return _("its SHA-256 does not match the manifest")
    return None


def _open_dump(
    *, target: Target, name: str, manifest: dict, key: bytes, sink: io.BufferedWriter
) -> str | None:
    path = _dump_path(name)
    if not target.exists(path):
        return _("database.dump is missing")
    database = manifest["database"]
    problem = _check_sealed(
        target=target,
        path=path,
        key=key,
        sha256=database["sha256"],
        size=database["size"],
        sink=sink,
    )
    return _("database.dump %(problem)s") % {"problem": problem} if problem else None


def verify_backup(*, target: Target, name: str) -> VerifyReport:
    """Open everything backup ``name`` needs and compare it with its manifest.

    Reads every blob once (each is checked once however many objects share it), and has
    ``pg_restore --list`` read the dump's table of contents.
    """
    key = backup_key()
    report = VerifyReport(name=name)
    try:
        manifest = read_manifest(target=target, name=name, key=key)
    except BackupError as error:
        report.problems.append(str(error))
        return report
    with tempfile.TemporaryDirectory(prefix="liaotu-verify-") as folder:
        dump = Path(folder) / DUMP
        with open(dump, "wb") as sink:
            problem = _open_dump(target=target, name=name, manifest=manifest, key=key, sink=sink)
        if problem:
            report.problems.append(problem)
        else:
            listing = subprocess.run(
                [_pg_tool("pg_restore"), "--list", str(dump)], capture_output=True, check=False
            )
            if listing.returncode != 0:
                report.problems.append(
                    _("pg_restore cannot read database.dump: %(message)s")
                    % {"message": listing.stderr.decode("utf-8", "replace").strip()[-500:]}
                )
    stored = set(target.list(f"{OBJECTS}/"))
    checked: dict[str, str | None] = {}
    for store, entry in entries(manifest):
        report.objects += 1
        path = blob_path(entry["sha256"])
        if path not in checked:
            if path not in stored:
                checked[path] = _("is missing")
            else:
                checked[path] = _check_sealed(
                    target=target, path=path, key=key, sha256=entry["sha256"], size=entry["size"]
                )
        if checked[path]:
            report.problems.append(
                _("%(store)s:%(key)s (blob %(blob)s) %(problem)s")
                % {"store": store, "key": entry["key"], "blob": path, "problem": checked[path]}
            )
    return report


# --- restore -------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    name: str
    objects: int = 0
    replaced: bool = False


def _database_state(alias: str = "default") -> tuple[bool, list[str]]:
    """Whether any of the project's tables exist, and which of them hold rows."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    ours = set(connection.introspection.django_table_names()) | {"django_migrations"}
    present = sorted(existing & ours)
    with_rows = []
    with connection.cursor() as cursor:
        for table in present:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")  # noqa: S608 - a table name from introspection, quoted
            if cursor.fetchone()[0]:
                with_rows.append(table)
    return bool(present), with_rows


class _CheckedReader(IterableStream):
    """A read-only file over a blob's plaintext that takes its SHA-256 as it is read."""

    def __init__(self, chunks: Iterable[bytes], *, size: int) -> None:
        self._hashing = _Hashing(chunks)
        super().__init__(self._hashing)
        self.size = size

    def finish(self) -> tuple[str, int]:
        """Open what the storage left unread (the last chunk's tag, bytes beyond the size the
        manifest gives), then give the SHA-256 and size of everything the blob holds."""
        for _chunk in self._chunks:
            pass
        return self._hashing.sha256.hexdigest(), self._hashing.size


def _write_object(*, storage: Storage, entry: dict, target: Target, key: bytes) -> None:
    """Write one object back, checking its bytes against the manifest as they go."""
    path = blob_path(entry["sha256"])
    reader = _CheckedReader(
        crypto.unseal(target.read(path), key=key, label=path), size=entry["size"]
    )
    content = File(reader, name=entry["key"])
    content.content_type = entry.get("content_type") or None
    try:
        saved = storage.save(entry["key"], content)
        sha256, size = reader.finish()
    except crypto.SealError as error:
        storage.delete(entry["key"])
        raise BackupError(
            _("The copy of %(key)s in the backup does not open; it was not restored.")
            % {"key": entry["key"]}
        ) from error
    if saved != entry["key"] or sha256 != entry["sha256"] or size != entry["size"]:
        storage.delete(saved)
        raise BackupError(
            _("%(key)s did not come back as it was backed up (size or SHA-256 differ).")
            % {"key": entry["key"]}
        )


def _restore_database(dump: Path) -> str:
    """Restore into an empty database, in one transaction; what went wrong, or ""."""
    command = [
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        "--dbname",
        settings.DATABASES["default"]["NAME"],
        str(dump),
    ]
    process = subprocess.run(command, capture_output=True, env=_pg_env(), check=False)
    if process.returncode != 0:
        return process.stderr.decode("utf-8", "replace").strip()[-2000:]
    return ""


def _replace_database(dump: Path) -> str:
    """Replace what the database holds with the dump, in one transaction.

    Not ``pg_restore --clean``: its DROP statements fail on partitioned tables (it drops a
    partition's inherited primary key before the table, which PostgreSQL refuses), and
    core.insight partitions its activity table by month. Instead the public schema is
    dropped and made again, and pg_restore's SQL is run after it by psql, all inside one
    transaction: a failure leaves the old database as it was.
    """
    env = _pg_env()
    with tempfile.TemporaryFile() as errors:
        script = subprocess.Popen(
            [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        psql = subprocess.run(
            [
                _pg_tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
            ],
            stdin=script.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        assert script.stdout is not None
        script.stdout.close()
        script_code = script.wait()
        errors.seek(0)
        messages = errors.read() + psql.stderr
    if script_code != 0 or psql.returncode != 0:
        return messages.decode("utf-8", "replace").strip()[-2000:]
    return ""


def _clear_store(storage: Storage) -> None:
    for key in list(_store_keys(storage)):
        storage.delete(key)


def restore_backup(*, target: Target, name: str, force: bool = False) -> RestoreResult:
    """Restore backup ``name`` into this site's (empty) database and file stores.

    Everything that can be checked without changing anything is checked first: the manifest
    opens, every blob is present, the dump opens and matches, the database and the stores are
    empty (unless ``force``). Only then is anything written. The database is restored in one
    transaction, so a dump that fails half-way leaves it as it was. Call it under
    ``backup_lock()``.
    """
    key = backup_key()
    manifest = read_manifest(target=target, name=name, key=key)
    stored = set(target.list(f"{OBJECTS}/"))
    missing = sorted({blob_path(e["sha256"]) for _s, e in entries(manifest)} - stored)
    if missing:
        raise BackupError(
            _("Backup %(name)s is incomplete: %(count)s files are missing from it (%(first)s…).")
            % {"name": name, "count": len(missing), "first": missing[0]}
        )
    tables_exist, with_rows = _database_state()
    filled = [
        store
        for store, alias in STORES.items()
        if next(iter(_store_keys(storages[alias])), None) is not None
    ]
    if not force and (with_rows or filled):
        reasons = []
        if with_rows:
            reasons.append(
                _("the database %(db)s has rows in %(count)s tables (e.g. %(tables)s)")
                % {
                    "db": settings.DATABASES["default"]["NAME"],
                    "count": len(with_rows),
                    "tables": ", ".join(with_rows[:3]),
                }
            )
        if filled:
            reasons.append(
                _("the file stores %(stores)s hold files") % {"stores": ", ".join(filled)}
            )
        raise RestoreRefused(
            _(
                "Nothing was restored: %(reasons)s. Restore into an empty database and empty "
                "file stores, or pass --force to replace everything."
            )
            % {"reasons": "; ".join(reasons)}
        )
    result = RestoreResult(name=name, replaced=bool(with_rows or filled))
    with tempfile.TemporaryDirectory(prefix="liaotu-restore-") as folder:
        dump = Path(folder) / DUMP
        with open(dump, "wb") as sink:
            problem = _open_dump(target=target, name=name, manifest=manifest, key=key, sink=sink)
        if problem:
            raise BackupError(_("Nothing was restored: %(problem)s.") % {"problem": problem})
        connections["default"].close()
        # Tables without rows (a migrated, empty database) hold nothing to lose either.
        replace = force or tables_exist
        failure = _replace_database(dump) if replace else _restore_database(dump)
        if failure:
            raise BackupError(
                _("pg_restore failed; the database is unchanged: %(message)s")
                % {"message": failure}
            )
    for store, alias in STORES.items():
        storage = storages[alias]
        if isinstance(storage, MinioStorage):
            storage.ensure_bucket()
        if force:
            _clear_store(storage)
        for entry in manifest["stores"].get(store, {}).get("objects", []):
            _write_object(storage=storage, entry=entry, target=target, key=key)
            result.objects += 1
    return result
