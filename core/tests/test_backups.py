"""Backups that restore (core.backups): sealing, incremental copies, retention, refusals,
verification, and a drill that restores a site with readers' activity into an empty database
and empty buckets and finds everything as it was."""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from core.backups import crypto, recovery, retention, services
from core.backups.targets import DirectoryTarget, open_target
from media.storage import ensure_buckets

BASE_DIR = Path(__file__).resolve().parent.parent.parent
KEY = crypto.load_key(crypto.generate_key())


# --- sealing -----------------------------------------------------------------------------------


def sealed(data: bytes, *, key: bytes = KEY, label: str = "a/b", chunk_size: int = 64) -> bytes:
    pieces = [data[i : i + 37] for i in range(0, len(data), 37)] or [b""]
    return b"".join(crypto.seal(pieces, key=key, label=label, chunk_size=chunk_size))


def unsealed(blob: bytes, *, key: bytes = KEY, label: str = "a/b") -> bytes:
    # Fed in odd-sized pieces: the reader must not depend on how the bytes arrive.
    pieces = [blob[i : i + 50] for i in range(0, len(blob), 50)]
    return b"".join(crypto.unseal(pieces, key=key, label=label))


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 200, 1000])
def test_sealed_files_open_to_the_same_bytes_and_have_the_announced_size(size):
    data = os.urandom(size)
    blob = sealed(data)
    assert unsealed(blob) == data
    assert len(blob) == crypto.sealed_size(size, chunk_size=64)
    assert data[:16] not in blob[crypto.HEADER.size :] or size < 16
    # Two sealings of the same bytes differ (a random file id, so another key and nonces).
    assert sealed(data) != blob


def _chunks_of(blob: bytes, chunk_size: int = 64) -> tuple[bytes, list[bytes]]:
    header, body = blob[: crypto.HEADER.size], blob[crypto.HEADER.size :]
    step = chunk_size + crypto.TAG_SIZE
    return header, [body[i : i + step] for i in range(0, len(body), step)]


def test_every_kind_of_tampering_is_refused():
    data = os.urandom(64 * 3 + 10)
    blob = sealed(data)
    header, chunks = _chunks_of(blob)
    assert len(chunks) == 4
    flipped = [
        bytes([blob[0] ^ 1]) + blob[1:],  # the magic
        blob[:20] + bytes([blob[20] ^ 1]) + blob[21:],  # the file id
        blob[:100] + bytes([blob[100] ^ 0x80]) + blob[101:],  # a ciphertext byte
        blob[:-1] + bytes([blob[-1] ^ 1]),  # the last tag
    ]
    cut = [
        blob[: crypto.HEADER.size + 2 * (64 + 16)],  # at a chunk boundary
        blob[:-5],  # inside the last chunk
        blob[: crypto.HEADER.size],  # the header only
        blob[:10],  # inside the header
        b"",
    ]
    moved = [
        header + chunks[1] + chunks[0] + chunks[2] + chunks[3],  # two chunks swapped
        header + chunks[0] + chunks[0] + chunks[2] + chunks[3],  # one chunk repeated
        header + chunks[0] + chunks[2] + chunks[3],  # one dropped
        blob + chunks[3],  # a chunk appended
    ]
    for bad in flipped + cut + moved:
        with pytest.raises(crypto.SealError):
            unsealed(bad)
    # Another key, or the right file under another path (a manifest moved to another backup).
    with pytest.raises(crypto.SealError):
        unsealed(blob, key=crypto.load_key(crypto.generate_key()))
    with pytest.raises(crypto.SealError):
        unsealed(blob, label="a/c")
    # A header asking for huge chunks is refused before anything is buffered.
    huge = crypto.HEADER.pack(crypto.MAGIC, crypto.VERSION, 2**31, b"\0" * 16) + b"\0" * 32
    with pytest.raises(crypto.SealError):
        unsealed(huge)


def test_nothing_past_a_bad_chunk_is_handed_out():
    data = os.urandom(64 * 3)
    blob = bytearray(sealed(data))
    blob[crypto.HEADER.size + 64 + 16 + 5] ^= 1  # inside the second chunk
    given = []
    with pytest.raises(crypto.SealError):
        for chunk in crypto.unseal([bytes(blob)], key=KEY, label="a/b"):
            given.append(chunk)
    assert given == [data[:64]]


def test_keys_must_be_32_bytes_of_urlsafe_base64():
    assert len(crypto.load_key(crypto.generate_key())) == 32
    assert crypto.load_key(crypto.generate_key().rstrip("=")) is not None
    for bad in ["", "   ", "not base64!", "c2hvcnQ="]:
        with pytest.raises(crypto.BackupKeyError):
            crypto.load_key(bad)


# --- retention ---------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def kept(moments, daily, weekly, monthly) -> list[str]:
    chosen = retention.select_kept(
        moments, keep_daily=daily, keep_weekly=weekly, keep_monthly=monthly
    )
    return sorted(moment.strftime("%Y-%m-%d %H:%M") for moment in chosen)


def test_the_default_schedule_keeps_seven_days_four_weeks_and_the_months():
    # A backup every evening (19:00 UTC is 03:00 in Shenyang) from 1 January to 10 April 2026.
    nightly = [at("2026-01-01T19:00") + timedelta(days=day) for day in range(100)]
    assert kept(nightly, 7, 4, 12) == [
        "2026-01-31 19:00",  # January's last
        "2026-02-28 19:00",  # February's last
        "2026-03-22 19:00",  # Sundays: the last of ISO weeks 12 and 13
        "2026-03-29 19:00",
        "2026-03-31 19:00",  # March's last
        "2026-04-04 19:00",  # the last seven days (5 April is also week 14's last)
        "2026-04-05 19:00",
        "2026-04-06 19:00",
        "2026-04-07 19:00",
        "2026-04-08 19:00",
        "2026-04-09 19:00",
        "2026-04-10 19:00",
    ]


def test_retention_takes_the_newest_of_each_period_and_counts_periods_that_have_backups():
    same_days = [at("2026-03-02T01:00"), at("2026-03-02T23:00"), at("2026-03-03T12:00")]
    assert kept(same_days, 1, 0, 0) == ["2026-03-03 12:00"]
    assert kept(same_days, 2, 0, 0) == ["2026-03-02 23:00", "2026-03-03 12:00"]
    # Days without a backup do not use up the count.
    gaps = [at("2026-01-01T19:00"), at("2026-01-10T19:00"), at("2026-02-20T19:00")]
    assert kept(gaps, 2, 0, 0) == ["2026-01-10 19:00", "2026-02-20 19:00"]
    assert kept(gaps, 0, 0, 1) == ["2026-02-20 19:00"]
    assert kept(gaps, 0, 0, 2) == ["2026-01-10 19:00", "2026-02-20 19:00"]
    # 30 December 2026 and 3 January 2027 are both in ISO week 53 of 2026, not in two weeks.
    new_year = [at("2026-12-30T19:00"), at("2027-01-03T19:00")]
    assert kept(new_year, 0, 1, 0) == ["2027-01-03 19:00"]
    assert kept(new_year, 0, 2, 0) == ["2027-01-03 19:00"]
    assert kept(new_year, 0, 0, 2) == ["2026-12-30 19:00", "2027-01-03 19:00"]
    # The newest backup is kept whatever the numbers say; nothing comes from nothing.
    assert kept(gaps, 0, 0, 0) == ["2026-02-20 19:00"]
    assert kept([], 7, 4, 12) == []
    with pytest.raises(ValueError):
        kept(gaps, -1, 0, 0)


# --- backups of real stores ----------------------------------------------------------------------


@pytest.fixture
def backup_key(settings):
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    return crypto.load_key(settings.BACKUP_ENCRYPTION_KEY)


def _empty_and_remove(storage) -> None:
    for key in list(storage.iter_keys()):
        storage.delete(key)
    storage.client.remove_bucket(bucket_name=storage.bucket)


@pytest.fixture
def stores(settings, s3_endpoint):
    """Both file stores on buckets of their own (the session's buckets hold other tests'
    files), removed again at the end."""
    suffix = uuid.uuid4().hex[:8]
    settings.S3_PUBLIC_BUCKET = f"bk-public-{suffix}"
    settings.S3_PRIVATE_BUCKET = f"bk-private-{suffix}"
    ensure_buckets()
    yield storages["default"], storages["private"]
    for alias in ("default", "private"):
        _empty_and_remove(storages[alias])


class RecordingTarget(DirectoryTarget):
    """A directory target that remembers what it was asked to write."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.written: list[str] = []

    def write(self, path, chunks) -> None:
        self.written.append(path)
        super().write(path, chunks)


def put(storage, key: str, data: bytes) -> None:
    assert storage.save(key, ContentFile(data)) == key


NIGHT = datetime(2026, 3, 1, 19, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_second_backup_copies_only_new_files(tmp_path, stores, backup_key):
    public, private = stores
    put(public, "pages/a.txt", b"alpha")
    put(public, "pages/b.txt", b"beta")
    put(private, "originals/c.txt", b"alpha")  # the same bytes in the other store
    target = RecordingTarget(tmp_path)
    first = services.create_backup(target=target, now=NIGHT)
    assert (first.objects, first.copied, first.copied_bytes) == (3, 2, 9)
    blobs = sorted(path for path in target.list("objects/"))
    assert len(blobs) == 2

    put(public, "pages/d.txt", b"delta")
    target.written.clear()
    second = services.create_backup(target=target, now=NIGHT + timedelta(days=1))
    assert (second.objects, second.copied, second.copied_bytes) == (4, 1, 5)
    name = second.name
    new_blob = services.blob_path(hashlib.sha256(b"delta").hexdigest())
    assert sorted(target.written) == sorted(
        [new_blob, f"backups/{name}/database.dump", f"backups/{name}/manifest.json"]
    )
    # Reading everything again finds the same blobs already there: nothing is copied.
    target.written.clear()
    third = services.create_backup(target=target, now=NIGHT + timedelta(days=2), rehash=True)
    assert third.copied == 0
    assert [path for path in target.written if path.startswith("objects/")] == []

    manifest = services.read_manifest(target=target, name=name, key=backup_key)
    public_keys = {entry["key"]: entry for entry in manifest["stores"]["public"]["objects"]}
    assert set(public_keys) == {"pages/a.txt", "pages/b.txt", "pages/d.txt"}
    assert public_keys["pages/a.txt"]["size"] == 5
    assert [entry["key"] for entry in manifest["stores"]["private"]["objects"]] == [
        "originals/c.txt"
    ]
    # Nothing readable lies in the target: the files' bytes are sealed.
    for path in target.list():
        raw = (tmp_path / path).read_bytes()
        assert raw.startswith(crypto.MAGIC)
        assert b"alpha" not in raw and b"pages/a.txt" not in raw


@pytest.mark.django_db
def test_a_changed_file_with_the_same_name_is_copied_again(tmp_path, stores, backup_key):
    public, _private = stores
    put(public, "p.txt", b"first version")
    target = DirectoryTarget(tmp_path)
    services.create_backup(target=target, now=NIGHT)
    public.delete("p.txt")
    put(public, "p.txt", b"second version")
    result = services.create_backup(target=target, now=NIGHT + timedelta(days=1))
    assert result.copied == 1
    manifest = services.read_manifest(target=target, name=result.name, key=backup_key)
    sha = hashlib.sha256(b"second version").hexdigest()
    assert manifest["stores"]["public"]["objects"][0]["sha256"] == sha


@pytest.mark.django_db
def test_nothing_runs_without_a_key(tmp_path, settings, stores):
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY"):
        call_command("backup", target=str(tmp_path), stdout=io.StringIO())
    settings.BACKUP_ENCRYPTION_KEY = "dG9vIHNob3J0"
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY"):
        call_command("backup", target=str(tmp_path), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_prune_deletes_backups_outside_the_schedule_and_their_unneeded_blobs(
    tmp_path, stores, backup_key
):
    public, _private = stores
    put(public, "old.txt", b"only in the first backup")
    put(public, "kept.txt", b"in every backup")
    target = DirectoryTarget(tmp_path)
    first = services.create_backup(target=target, now=NIGHT)
    public.delete("old.txt")
    second = services.create_backup(target=target, now=NIGHT + timedelta(days=1))
    third = services.create_backup(target=target, now=NIGHT + timedelta(days=2))
    # An unfinished backup (a run that died) and a stray blob.
    target.write("backups/20260101T000000Z/database.dump", [b"half"])
    target.write("objects/00/00stray", [b"stray"])

    result = retention.prune_backups(target=target, keep_daily=2, keep_weekly=0, keep_monthly=0)
    assert result.kept == [second.name, third.name]
    assert result.deleted == [first.name]
    assert services.list_backups(target=target) == [second.name, third.name]
    sha = hashlib.sha256
    remaining = set(target.list("objects/"))
    assert remaining == {services.blob_path(sha(b"in every backup").hexdigest())}
    assert result.blobs_deleted == 2
    assert not any(path.startswith("backups/20260101T000000Z") for path in target.list())
    assert not (tmp_path / "backups" / first.name).exists()
    for name in (second.name, third.name):
        assert recovery.verify_backup(target=target, name=name).ok


@pytest.mark.django_db
def test_restore_refuses_a_database_with_rows_and_buckets_with_files(tmp_path, stores, backup_key):
    public, private = stores
    put(public, "a.txt", b"alpha")
    target = DirectoryTarget(tmp_path)
    services.create_backup(target=target, now=NIGHT)
    put(private, "new.txt", b"written after the backup")
    from django.contrib.contenttypes.models import ContentType

    rows = ContentType.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("restore", "latest", target=str(tmp_path), stdout=io.StringIO())
    message = str(refused.value)
    assert django_settings.DATABASES["default"]["NAME"] in message
    assert "private" in message and "--force" in message
    # Nothing changed: no rows, no files written back, the new file still there.
    assert ContentType.objects.count() == rows
    assert sorted(private.iter_keys()) == ["new.txt"]
    assert sorted(public.iter_keys()) == ["a.txt"]
    # With empty stores the database alone is reason enough.
    private.delete("new.txt")
    public.delete("a.txt")
    with pytest.raises(services.RestoreRefused) as refused_again:
        recovery.restore_backup(target=target, name=services.name_for(NIGHT))
    assert django_settings.DATABASES["default"]["NAME"] in str(refused_again.value)
    assert "private" not in str(refused_again.value)
    assert list(public.iter_keys()) == []


@pytest.mark.django_db
def test_verify_backup_lists_missing_and_corrupted_files(tmp_path, stores, backup_key):
    public, private = stores
    put(public, "a.txt", b"alpha")
    put(public, "b.txt", b"beta")
    put(private, "c.txt", b"gamma")
    target = DirectoryTarget(tmp_path)
    result = services.create_backup(target=target, now=NIGHT)
    out = io.StringIO()
    call_command("verify_backup", "latest", target=str(tmp_path), stdout=out)
    assert result.name in out.getvalue()

    sha = hashlib.sha256
    (tmp_path / services.blob_path(sha(b"alpha").hexdigest())).unlink()
    corrupt = tmp_path / services.blob_path(sha(b"gamma").hexdigest())
    raw = bytearray(corrupt.read_bytes())
    raw[-3] ^= 1
    corrupt.write_bytes(bytes(raw))
    errors = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_backup", result.name, target=str(tmp_path), stderr=errors)
    assert failed.value.returncode == 1
    problems = errors.getvalue().splitlines()
    assert len(problems) == 2
    assert any("public:a.txt" in line for line in problems)
    assert any("private:c.txt" in line for line in problems)
    assert not any("b.txt" in line for line in problems)

    # A changed dump and a manifest from elsewhere are found too.
    dump = tmp_path / "backups" / result.name / "database.dump"
    raw = bytearray(dump.read_bytes())
    raw[200] ^= 1
    dump.write_bytes(bytes(raw))
    report = recovery.verify_backup(target=target, name=result.name)
    assert any("database.dump" in problem for problem in report.problems)
    other = services.create_backup(target=target, now=NIGHT + timedelta(days=1))
    manifest = tmp_path / "backups" / result.name / "manifest.json"
    manifest.write_bytes((tmp_path / "backups" / other.name / "manifest.json").read_bytes())
    report = recovery.verify_backup(target=target, name=result.name)
    assert len(report.problems) == 1 and result.name in report.problems[0]


@pytest.mark.django_db
def test_the_nightly_task_takes_the_lock_and_runs_once_a_night(tmp_path, stores, backup_key):
    from config.celery import app
    from core.backups.tasks import nightly_backup
    from core.models import ServiceHeartbeat

    assert "core.backups.tasks" in app.conf.imports
    assert django_settings.CELERY_BEAT_SCHEDULE["backups-nightly"]["task"] == nightly_backup.name
    with services.backup_lock():
        # What a second beat (or a re-delivered message) meets while the first one runs.
        assert nightly_backup(target=str(tmp_path)) == {"skipped": "busy"}
        with pytest.raises(CommandError):
            call_command("backup", target=str(tmp_path), stdout=io.StringIO())
    assert not (tmp_path / "backups").exists()
    assert not ServiceHeartbeat.objects.filter(name="backup").exists()
    done = nightly_backup(target=str(tmp_path))
    assert done["name"] and done["pruned"] == []
    # Its success is what monitoring watches (liaotu_last_seen_seconds{heartbeat="backup"}).
    assert ServiceHeartbeat.objects.get(name="backup").hostname == done["name"]
    # Started again on the same night: nothing more is made.
    assert nightly_backup(target=str(tmp_path))["skipped"] == "recent"
    assert services.list_backups(target=DirectoryTarget(tmp_path)) == [done["name"]]


def test_targets_are_directories_or_s3_urls(tmp_path):
    assert isinstance(open_target(str(tmp_path)), DirectoryTarget)
    s3 = open_target("s3://liaotu-backups/nightly/")
    assert (s3.bucket, s3.prefix) == ("liaotu-backups", "nightly/")
    with pytest.raises(ValueError):
        open_target("s3:///nightly")
    with pytest.raises(ValueError):
        DirectoryTarget(tmp_path).write("../escape", [b"x"])


# --- the drill ---------------------------------------------------------------------------------

DRILL_QUERIES = ["沈阳", "课程", "打印", "zhineng", "口述"]
# A CSRF token (64 letters and digits, new on every render) in a form field, a data attribute
# or a header value: whatever names it "csrf" in the 40 characters before it.
CSRF = re.compile(r'(?i)(csrf[^<>\n]{0,40}?")[A-Za-z0-9]{32,64}(?=")')


def probe_site(output: str) -> None:
    """What a visitor and a reader see, written as JSON to ``output``. Run in a subprocess
    against one database and one pair of buckets (the drill compares two such runs).

    Everything happens in a transaction that is rolled back: rendering pages records activity,
    and the probe must leave the database as it found it.
    """
    from django.apps import apps
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection, transaction
    from django.test import Client
    from wagtail.models import Page

    from accounts.models import User
    from booking.models import Booking
    from core.selectors import site_search
    from courses.models import LessonProgress
    from media import usercontent

    # Signed user-content URLs expire at the next ten-minute step: pinned, so that two renders
    # minutes apart give the same URLs (and any other difference in them still shows).
    usercontent.expiry = lambda now=None: 4_102_444_800

    def dump(rows) -> str:
        return json.dumps(list(rows), default=str, sort_keys=True)

    result: dict = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT schemaname, sequencename, last_value FROM pg_sequences")
            result["sequences"] = sorted(map(list, cursor.fetchall()))
        result["counts"] = {
            model._meta.label: model._default_manager.count()
            for model in apps.get_models()
            if not model._meta.proxy
        }
        result["bookings"] = dump(Booking.objects.order_by("pk").values())
        result["progress"] = dump(LessonProgress.objects.order_by("pk").values())
        files = {}
        for alias in ("default", "private"):
            storage = storages[alias]
            for key in sorted(storage.iter_keys()):
                digest = hashlib.sha256()
                for chunk in storage.stream(key):
                    digest.update(chunk)
                files[f"{alias}:{key}"] = digest.hexdigest()
        result["files"] = files
        result["search"] = {
            query: [
                [group.kind, group.count, [[str(hit.title), hit.url] for hit in group.hits]]
                for group in site_search(user=AnonymousUser(), query=query).groups
            ]
            for query in DRILL_QUERIES
        }
        urls = ["/", "/booking/", "/learning/record/", "/booking/mine/"]
        urls += [
            page.url
            for page in Page.objects.live().public().filter(depth__gt=1).order_by("path")[:40]
            if page.url
        ]
        urls += [f"/search/?q={query}" for query in DRILL_QUERIES]
        pages = {}
        visitor, reader = Client(), Client()
        reader.force_login(User.objects.get(email="reader@demo.liaotu.cn"))
        for url in urls:
            for who, client in (("visitor", visitor), ("reader", reader)):
                response = client.get(url)
                html = response.content.decode("utf-8", "replace")
                pages[f"{who} {url}"] = [response.status_code, CSRF.sub(r"\1CSRF", html)]
        result["pages"] = pages
        transaction.set_rollback(True)
    Path(output).write_text(json.dumps(result, ensure_ascii=False, sort_keys=True))


def _database_url(name: str) -> str:
    db = django_settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _admin_connection() -> psycopg.Connection:
    db = django_settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    )


def _fresh_database(name: str) -> None:
    """An empty database (from template0: not even what ``migrate`` would put there)."""
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")


def _drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def drill_site(settings, s3_endpoint, tmp_path):
    """Settings for the site under drill, shared with the subprocesses that probe or restore
    it: its own buckets, a backup key, and caches of their own (kept pages in the session's
    Redis would otherwise answer for the database)."""
    suffix = uuid.uuid4().hex[:8]
    settings.S3_PUBLIC_BUCKET = f"drill-public-{suffix}"
    settings.S3_PRIVATE_BUCKET = f"drill-private-{suffix}"
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    ensure_buckets()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_PUBLIC_BUCKET": settings.S3_PUBLIC_BUCKET,
        "S3_PRIVATE_BUCKET": settings.S3_PRIVATE_BUCKET,
        "BACKUP_ENCRYPTION_KEY": settings.BACKUP_ENCRYPTION_KEY,
        "CACHE_URL": "locmemcache://",
        "PAGE_CACHE_URL": "locmemcache://drill-pages",
        "PYTHONPATH": str(BASE_DIR),
    }
    scratch = f"{django_settings.DATABASES['default']['NAME']}_drill"
    backup_bucket = f"drill-backups-{suffix}"
    yield {"env": env, "scratch": scratch, "s3_target": f"s3://{backup_bucket}/liaotu"}
    _drop_database(scratch)
    for alias in ("default", "private"):
        _empty_and_remove(storages[alias])
    s3 = open_target(f"s3://{backup_bucket}/liaotu")
    if s3.client.bucket_exists(bucket_name=backup_bucket):
        for path in list(s3.list()):
            s3.delete(path)
        s3.client.remove_bucket(bucket_name=backup_bucket)


def _run(env: dict, database: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    process = subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**env, "DATABASE_URL": _database_url(database)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (process.returncode == 0) is ok, process.stdout + process.stderr
    return process


def _probe(env: dict, database: str, output: Path) -> dict:
    code = (
        "import sys, django; django.setup(); "
        "from core.tests.test_backups import probe_site; probe_site(sys.argv[1])"
    )
    _run(env, database, "-c", code, str(output))
    return json.loads(output.read_text())


def _first_difference(before: dict, after: dict, urls: list[str]) -> str:
    """The pages that differ, and what differs in the first of them."""
    old, new = before[urls[0]], after[urls[0]]
    lines = difflib.unified_diff(
        f"{old[0]}\n{old[1]}".splitlines(), f"{new[0]}\n{new[1]}".splitlines(), lineterm=""
    )
    return f"{len(urls)} pages differ: {urls}\n" + "\n".join(list(lines)[:40])


def _readers_activity() -> dict:
    """A booking, a lesson's progress and a file in each bucket, made as readers make them."""
    from django.utils import timezone

    from accounts.models import User
    from booking import services as booking
    from booking.models import Event
    from courses import services as courses
    from courses.models import LessonPage
    from media import services as media
    from media.models import Visibility

    reader = User.objects.get(email="reader@demo.liaotu.cn")
    librarian = User.objects.get(email="librarian@demo.liaotu.cn")
    made = None
    for event in Event.objects.filter(starts_at__gt=timezone.now()).order_by("starts_at"):
        try:
            made = booking.book_event(
                user=reader, event=event, booked_by=librarian, override_reason="灾备演练"
            )
            break
        except booking.BookingRefused:
            continue
    assert made is not None, "no demo event took a booking"
    lesson = LessonPage.objects.live().order_by("path").first()
    courses.record_event(user=reader, lesson=lesson, event_id=str(uuid.uuid4()), kind="view")
    files = [
        media.store_file(
            content=ContentFile(f"灾备演练 {visibility} {uuid.uuid4()}".encode()),
            original_name=f"drill-{visibility}.txt",
            content_type="text/plain",
            visibility=visibility,
            owner=reader,
        )
        for visibility in (Visibility.PUBLIC, Visibility.PRIVATE)
    ]
    return {"booking": made, "lesson": lesson, "files": files}


@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_drill_backup_wipe_and_restore_gives_back_the_same_site(drill_site, tmp_path):
    env, scratch = drill_site["env"], drill_site["scratch"]
    call_command("seed_demo", stdout=io.StringIO())
    activity = _readers_activity()
    source = django_settings.DATABASES["default"]["NAME"]

    directory = tmp_path / "backups"
    call_command("backup", target=str(directory), stdout=io.StringIO())
    call_command("backup", target=drill_site["s3_target"], stdout=io.StringIO())
    before = _probe(env, source, tmp_path / "before.json")

    # The probe saw what the drill made, so an empty comparison cannot pass.
    booking_id = str(activity["booking"].pk)
    assert booking_id in before["bookings"]
    assert f'"lesson_id": {activity["lesson"].pk}' in before["progress"]
    for stored in activity["files"]:
        alias = "default" if stored.visibility == "public" else "private"
        assert before["files"][f"{alias}:{stored.key}"] == stored.sha256
    assert len(before["files"]) > 20
    assert before["pages"]["visitor /"][0] == 200
    assert any(groups for groups in before["search"].values())
    assert booking_id in before["pages"]["reader /booking/mine/"][1] or (
        activity["booking"].check_in_code in before["pages"]["reader /booking/mine/"][1]
    )

    for target in (str(directory), drill_site["s3_target"]):
        # Wipe: a database that never held anything, and the site's buckets emptied.
        _fresh_database(scratch)
        for alias in ("default", "private"):
            storage = storages[alias]
            for key in list(storage.iter_keys()):
                storage.delete(key)
            assert list(storage.iter_keys()) == []
        _run(env, scratch, "manage.py", "restore", "latest", "--target", target)
        after = _probe(env, scratch, tmp_path / "after.json")
        for part in ("counts", "sequences", "bookings", "progress", "files", "search"):
            assert after[part] == before[part], f"{part} differ after restoring from {target}"
        differing = [url for url in before["pages"] if after["pages"][url] != before["pages"][url]]
        assert differing == [], _first_difference(before["pages"], after["pages"], differing)

    # Over a restored site: refused as it stands, replaced with --force (after a reader's new
    # upload, which must be gone again afterwards).
    put(storages["private"], "after-the-backup.txt", b"not in any backup")
    refused = _run(env, scratch, "manage.py", "restore", "latest", "--target", str(directory),
                   ok=False)  # fmt: skip
    assert "--force" in refused.stderr
    _run(env, scratch, "manage.py", "restore", "latest", "--target", str(directory), "--force")
    after = _probe(env, scratch, tmp_path / "forced.json")
    for part in ("counts", "sequences", "bookings", "progress", "files", "search", "pages"):
        assert after[part] == before[part], f"{part} differ after restoring with --force"
