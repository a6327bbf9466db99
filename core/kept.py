"""Kept copies (whole pages, the home page's "what is on", the menus) that are dropped exactly
when a row they were made from changes, and never on a timer alone.

Why the database's own statements: a page is made from many apps' rows through selectors,
Wagtail and templates. Naming by hand what every page shows would be wrong the day someone adds
a line to a template. Instead, while a copy is made, every SELECT it runs is read for the tables
it touched and, where the statement says so plainly, the rows: ``WHERE "t"."id" = 5`` or
``"t"."event_id" IN (5, 6)``. Every INSERT, UPDATE and DELETE, in any process (web, worker,
beat, a management command), names what it changed in the same terms. A copy is good while
none of its names has changed since it was made.

The names ("tags"):

* ``t``: rows of table ``t`` chosen by something other than a plain equality (a list, a
  count, a search). Any write to ``t`` changes it.
* ``t#5``: the row of ``t`` with primary key 5; ``t.event_id=5``: the rows whose foreign key
  (or slug) is 5. A write names them for the rows it touches, before and after.
* ``t!``: all rows at once, for writes the parser cannot narrow (``UPDATE t SET .. WHERE
  status = 'x'``); every reading of ``t`` depends on it.

Anything the parser does not understand plainly (OR, NOT, a sub-select, a UNION) counts as the
whole table: a copy is dropped too often rather than shown stale.

Each tag's version is the value of one counter (the "clock") when it last changed. A copy records
the clock before it starts; if any of its tags is newer when it is done, a write landed while it
was being made and it is not kept. A copy's tags are checked in one round trip when it is served.

Versions move when the writing transaction commits (readers in other transactions only see the
rows then). Tests run inside a transaction that never commits; ``KEPT_EAGER_VERSIONS`` also moves
them at once there.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.utils import timezone

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
CLOCK_KEY = "kept:clock"
TAG_PREFIX = "kept:tag:"
# More rows than this in one IN (...) and the reading counts as the whole table.
MAX_ROWS_NAMED = 50


def store():
    return caches[CACHE_ALIAS]


# --- tables: which columns a statement may narrow by --------------------------------------------


@dataclass(frozen=True)
class Table:
    pk: str
    # Columns a reading may be narrowed by besides the key: foreign keys and slugs.
    narrowing: tuple[str, ...]
    # Columns no page shows (a model's ``kept_quiet_fields``): an UPDATE of only these is silent.
    quiet: frozenset[str] = frozenset()


@cache
def tables() -> dict[str, Table]:
    from django.apps import apps

    found: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [
            f.column
            for f in meta.local_concrete_fields
            if not f.primary_key and ((f.is_relation and f.concrete) or f.name == "slug")
        ]
        quiet = frozenset(
            meta.get_field(name).column for name in getattr(model, "kept_quiet_fields", ())
        )
        found[meta.db_table] = Table(
            pk=meta.pk.column, narrowing=tuple(sorted(set(columns))), quiet=quiet
        )
    return found


# --- reading a statement --------------------------------------------------------------------------

_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"([^"]+)"')
_FIRST_TABLE = re.compile(r'\bFROM\s+"([^"]+)"')
_PLACEHOLDER = re.compile(r"(?<!%)%s")
_WHERE_END = re.compile(r"\s(?:GROUP BY|HAVING|ORDER BY|LIMIT|OFFSET|FOR UPDATE|FOR SHARE)\b")
# A statement with any of these is not narrowed: the rows it reads or writes cannot be named.
_WIDENING = re.compile(r"\bOR\b|\bNOT\b|\bUNION\b|\bEXISTS\b|\bINTERSECT\b|\bEXCEPT\b")
# Tables no page is made from, written on nearly every request: not worth a version.
IGNORED_TABLES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
)
# A write naming more rows than this counts as one to the whole table.
MAX_TAGS_PER_WRITE = 200


def _where(sql: str) -> tuple[int, str] | None:
    at = sql.find(" WHERE ")
    if at < 0:
        return None
    start = at + len(" WHERE ")
    end = _WHERE_END.search(sql, start)
    return start, sql[start : end.start() if end else len(sql)]


def _values_of(
    sql: str, params: Any, start: int, where: str, table: str, column: str
) -> list | None:
    """The values ``"table"."column"`` is held to in a plain WHERE, or None."""
    name = rf'"{re.escape(table)}"\."{re.escape(column)}"'
    # "t"."c" = %s, "t"."c" IN (%s, %s), and prefetching's ("t"."c") IN ((%s), (%s)).
    pattern = re.compile(
        rf"(?:{name} (= %s|IN \(((?:%s(?:, )?)+)\))|\({name}\) IN \(((?:\(%s\)(?:, )?)+)\))"
    )
    values: list = []
    matched = False
    for match in pattern.finditer(where):
        before = len(_PLACEHOLDER.findall(sql[: start + match.start()]))
        count = 1 if match.group(1) == "= %s" else (match.group(2) or match.group(3)).count("%s")
        try:
            values.extend(params[before : before + count])
        except (TypeError, IndexError):
            return None
        matched = True
    if not matched or len(values) > MAX_ROWS_NAMED:
        return None
    return values


def _narrowing(sql: str, params: Any, table: str) -> tuple[str, list] | None:
    """The column and values a plain WHERE holds ``table`` to (its key first, then a foreign key
    or slug), or None when the statement reads or writes more than such rows."""
    if sql.count("SELECT") > 1 or _WIDENING.search(sql):
        return None
    found = _where(sql)
    info = tables().get(table)
    if found is None or info is None:
        return None
    start, where = found
    for column in (info.pk, *info.narrowing):
        values = _values_of(sql, params, start, where, table, column)
        if values is not None:
            return column, values
    return None


def _row_tags(table: str, column: str, values: Iterable) -> list[str]:
    if column == tables()[table].pk:
        return [f"{table}#{value}" for value in values]
    return [f"{table}.{column}={value}" for value in values]


def _narrowed(sql: str, params: Any, table: str) -> list[str] | None:
    found = _narrowing(sql, params, table)
    return None if found is None else _row_tags(table, *found)


def read_tags(sql: str, params: Any) -> set[str]:
    """What a SELECT depends on."""
    names = set(_TABLE.findall(sql))
    if not names:
        return set()
    tags: set[str] = set()
    first = _FIRST_TABLE.search(sql)
    main = first.group(1) if first else None
    for name in names:
        rows = _narrowed(sql, params, name) if name == main else None
        if rows is None:
            tags.add(name)
        else:
            tags.update(rows)
        tags.add(f"{name}!")
    return tags


# --- writing --------------------------------------------------------------------------------------

_INSERT = re.compile(
    r'^\s*INSERT INTO "([^"]+)"\s*\(([^)]*)\)\s*(VALUES|SELECT \* FROM UNNEST)', re.S
)
_UPDATE = re.compile(r'^\s*UPDATE "([^"]+)" SET ', re.S)
_DELETE = re.compile(r'^\s*DELETE FROM "([^"]+)"', re.S)
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b(.*)", re.S | re.I)
_QUOTED = re.compile(r'"([^"]+)"')
_UNQUOTED = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([A-Za-z_]\w*)", re.I)
# A WITH statement that writes (a CTE with INSERT, UPDATE or DELETE) is a write.
_WRITING_CTE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.I)


@dataclass
class Write:
    table: str
    tags: set[str] = field(default_factory=set)
    # Rows whose narrowing columns must be read before the statement runs (UPDATE, DELETE).
    rows: list | None = None


def _inserted(
    sql: str, params: Any, many: bool, table: str, columns: list[str], form: str
) -> Write:
    write = Write(table, {table})
    info = tables().get(table)
    if info is None:
        write.tags.add(f"{table}!")
        return write
    wanted = [c for c in columns if c in info.narrowing or c == info.pk]
    if not wanted or " ON CONFLICT " in sql:
        if " ON CONFLICT " in sql:
            write.tags.add(f"{table}!")
        return write
    rows: list = []
    width = len(columns)
    try:
        if many:
            rows = [list(row) for row in params]
        elif form == "VALUES":
            # Only when every row is written as plain placeholders, one per column.
            body = re.split(r" RETURNING | ON CONFLICT ", sql[sql.index(" VALUES ") + 8 :])[0]
            groups = re.findall(r"\(([^()]*)\)", body)
            plain = ", ".join(["%s"] * width)
            if not groups or any(group != plain for group in groups):
                raise ValueError
            if re.sub(r"\([^()]*\)", "", body).replace(",", "").strip():
                raise ValueError
            flat = list(params or ())
            if len(flat) != width * len(groups):
                raise ValueError
            rows = [flat[i : i + width] for i in range(0, len(flat), width)]
        else:  # UNNEST: one array per column
            arrays = list(params)
            if len(arrays) != width:
                raise ValueError
            rows = [list(row) for row in zip(*arrays, strict=True)]
        if any(len(row) != width for row in rows):
            raise ValueError
    except (TypeError, ValueError):
        write.tags.add(f"{table}!")
        return write
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            if column == info.pk:
                write.tags.add(f"{table}#{value}")
            elif column in wanted and value is not None:
                write.tags.add(f"{table}.{column}={value}")
    return write


def _only_quiet(sql: str, info: Table) -> bool:
    if " WHERE " not in sql:
        return False
    set_part = sql[sql.index(" SET ") + 5 : sql.find(" WHERE ")]
    assigned = set(re.findall(r'"(\w+)" = ', set_part))
    return bool(assigned) and assigned <= info.quiet


def _changed(sql: str, params: Any, table: str, kind: str) -> Write | None:
    info = tables().get(table)
    if kind == "UPDATE" and info is not None and info.quiet and _only_quiet(sql, info):
        return None
    write = Write(table, {table})
    found = _narrowing(sql, params, table) if info else None
    if info is None or found is None or found[0] != info.pk:
        write.tags.add(f"{table}!")
        return write
    keys = found[1]
    write.tags.update(_row_tags(table, info.pk, keys))
    if info.narrowing:
        write.rows = keys
    if kind == "UPDATE":
        # New values of narrowing columns set from parameters; anything else, all rows.
        set_part = sql[sql.index(" SET ") + 5 : sql.find(" WHERE ")]
        for column in info.narrowing:
            match = re.search(rf'"{re.escape(column)}" = (%s|NULL\b)?', set_part)
            if not match or match.group(1) == "NULL":
                continue
            if match.group(1) is None:
                write.tags.add(f"{table}!")
                continue
            index = len(_PLACEHOLDER.findall(sql[: sql.index(" SET ") + 5 + match.start()]))
            try:
                value = params[index]
            except (TypeError, IndexError):
                write.tags.add(f"{table}!")
                continue
            if value is not None:
                write.tags.add(f"{table}.{column}={value}")
    return write


def write_of(sql: str, params: Any, many: bool) -> Write | None:
    """What a statement changes (None for a reading)."""
    head = sql.lstrip()[:8].upper()
    if head.startswith(
        ("SELECT", "SAVEPOIN", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET ", "SHOW")
    ):
        return None
    if match := _INSERT.match(sql):
        columns = _QUOTED.findall(match.group(2))
        return _inserted(sql, params, many, match.group(1), columns, match.group(3))
    if match := _UPDATE.match(sql):
        return _changed(sql, None if many else params, match.group(1), "UPDATE")
    if match := _DELETE.match(sql):
        return _changed(sql, None if many else params, match.group(1), "DELETE")
    if match := _TRUNCATE.match(sql):
        names = _QUOTED.findall(match.group(1)) or re.findall(r"\b(\w+)\b", match.group(1))[1:2]
        tags = {t for name in names for t in (name, f"{name}!")}
        return Write(names[0] if names else "", tags) if names else None
    if head.startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
        # A hand-written statement the parser cannot read (the site search's upsert names its
        # table unquoted): its table, wholly; with no table to be found, every copy.
        names = _QUOTED.findall(sql[:200]) or _UNQUOTED.findall(sql[:200])
        if head.startswith("WITH"):  # may write to any table it names
            names = list(dict.fromkeys(_QUOTED.findall(sql) + _UNQUOTED.findall(sql)))
        if names:
            return Write(names[0], {tag for name in names for tag in (name, f"{name}!")})
        return Write("", {EVERYTHING})
    return None


def _rows_before(connection, write: Write) -> set[str]:
    """The narrowing values of the rows an UPDATE or DELETE is about to touch, read on the raw
    driver connection (inside the writer's transaction; not a query of the page or service)."""
    info = tables()[write.table]
    columns = ", ".join(f'"{c}"' for c in info.narrowing)
    # Names from the models' own metadata, never from the statement's values.
    statement = f'SELECT {columns} FROM "{write.table}" WHERE "{info.pk}" = ANY(%s)'  # noqa: S608
    with connection.connection.cursor() as cursor:
        cursor.execute(statement, [list(write.rows)])
        found = cursor.fetchall()
    return {
        f"{write.table}.{column}={value}"
        for row in found
        for column, value in zip(info.narrowing, row, strict=True)
        if value is not None
    }


# --- versions -------------------------------------------------------------------------------------


def _tick() -> int:
    cache_ = store()
    try:
        value = cache_.incr(CLOCK_KEY)
    except ValueError:
        # A clock lost (a cache restarted) starts again above any version it handed out, or
        # every page made from older tags would look newer than itself and never be kept.
        cache_.add(CLOCK_KEY, time.time_ns() // 1000, None)
        value = cache_.incr(CLOCK_KEY)
    # Redis keeps the key's lifetime on INCR; Django's file and database caches re-set it to
    # their default timeout, after which the clock would start again from scratch.
    cache_.touch(CLOCK_KEY, None)
    return value


def clock() -> int:
    value = store().get(CLOCK_KEY)
    return int(value) if value is not None else 0


def change(tags: Iterable[str]) -> None:
    """Mark these tags as changed now: every copy made from them is dropped."""
    tags = set(tags)
    if not tags:
        return
    try:
        now = _tick()
        store().set_many({TAG_PREFIX + tag: now for tag in tags}, None)
    except Exception:  # the cache being away must never cost a reader their write
        logger.warning("kept copies: could not mark %d tags changed", len(tags), exc_info=True)


def versions(tags: Iterable[str]) -> dict[str, int]:
    tags = list(tags)
    found = store().get_many([TAG_PREFIX + tag for tag in tags])
    return {tag: int(found.get(TAG_PREFIX + tag, -1)) for tag in tags}


def fresh(recorded: dict[str, int]) -> bool:
    """Whether no tag changed since these versions were taken."""
    if not recorded:
        return True
    return versions(recorded) == recorded


# --- the statement hook, on every connection of every process -------------------------------------


def _hook(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    if _migrating:
        # Historical schemas differ from the models; everything is marked changed afterwards.
        return execute(sql, params, many, context)
    making = _making.get()
    write = None
    head = sql.lstrip()[:6].upper()
    if head == "SELECT" or (head == "WITH " and not _WRITING_CTE.search(sql)):
        if making is not None:
            making.tags |= read_tags(sql, params)
    else:
        try:
            write = write_of(sql, params, many)
        except Exception:  # a statement the parser trips on: its table, wholly
            logger.warning("kept copies: could not read a write", exc_info=True)
        if write is not None and write.table in IGNORED_TABLES:
            write = None
    connection = context["connection"]
    if write is not None and write.rows:
        try:
            write.tags |= _rows_before(connection, write)
        except Exception:
            logger.warning("kept copies: could not read rows before a write", exc_info=True)
            write.tags.add(f"{write.table}!")
    result = execute(sql, params, many, context)
    if write is not None and write.tags:
        if len(write.tags) > MAX_TAGS_PER_WRITE:
            write.tags = {write.table, f"{write.table}!"}
        _changed_by(connection, write.tags)
    return result


def _changed_by(connection, tags: set[str]) -> None:
    if not connection.in_atomic_block:
        change(tags)
        return
    if getattr(settings, "KEPT_EAGER_VERSIONS", False):
        change(tags)
    frozen = frozenset(tags)
    transaction.on_commit(lambda: change(frozen), using=connection.alias)


# Every copy also depends on this tag: a migration (a deploy) drops them all, since templates
# and code may have changed with it.
EVERYTHING = "*"
_migrating = False


def _migration_starts(**kwargs) -> None:
    global _migrating
    _migrating = True


def _migration_ends(**kwargs) -> None:
    global _migrating
    _migrating = False
    change({EVERYTHING})


def install(connection, **kwargs) -> None:
    if _hook not in connection.execute_wrappers:
        connection.execute_wrappers.append(_hook)


def connect() -> None:
    from django.db.models.signals import post_migrate, pre_migrate

    connection_created.connect(install, dispatch_uid="core.kept.install")
    pre_migrate.connect(_migration_starts, dispatch_uid="core.kept.migration-starts")
    post_migrate.connect(_migration_ends, dispatch_uid="core.kept.migration-ends")
    for connection in connections.all(initialized_only=True):
        install(connection)


# --- making a copy --------------------------------------------------------------------------------


@dataclass
class Making:
    started: int
    tags: set[str] = field(default_factory=set)
    until: datetime | None = None
    # Events counted while a page was made, sent again each time the copy is served.
    replay: list[dict] = field(default_factory=list)
    refused: bool = False


_making: ContextVar[Making | None] = ContextVar("kept_making", default=None)


def making() -> Making | None:
    return _making.get()


def valid_until(moment: datetime | None) -> None:
    """What is being made changes by itself at ``moment`` (an event starts, booking opens)."""
    current = _making.get()
    if current is not None:
        valid_until_of(current, moment)


def not_kept() -> None:
    """What is being made must not be kept (it shows something of this visitor's own)."""
    current = _making.get()
    if current is not None:
        current.refused = True


@contextmanager
def unrecorded() -> Iterator[None]:
    """Reads inside are not recorded: the caller names what they depend on (``depends_on``)."""
    token = _making.set(None)
    try:
        yield
    finally:
        _making.reset(token)


def depends_on(*tags: str) -> None:
    """What is being made depends on these tags (``t``, ``t#pk`` or ``t.column=value``)."""
    current = _making.get()
    if current is not None:
        for tag in tags:
            current.tags |= {tag, re.split(r"[#.]", tag, maxsplit=1)[0] + "!"}


@contextmanager
def make() -> Iterator[Making]:
    """Record what the code inside reads; nested makings pass their tags outwards."""
    outer = _making.get()
    current = Making(started=clock(), tags={EVERYTHING})
    token = _making.set(current)
    try:
        yield current
    finally:
        _making.reset(token)
        if outer is not None:
            outer.tags |= current.tags
            outer.replay.extend(current.replay)
            outer.refused = outer.refused or current.refused
            valid_until_of(outer, current.until)


def valid_until_of(target: Making, moment: datetime | None) -> None:
    if moment is not None and (target.until is None or moment < target.until):
        target.until = moment


def settle(current: Making) -> dict[str, int] | None:
    """The versions to keep a copy under, or None when it must not be kept (a write landed
    while it was made, or it was refused)."""
    if current.refused:
        return None
    try:
        found = versions(current.tags)
    except Exception:
        logger.warning("kept copies: cache unavailable", exc_info=True)
        return None
    missing = [tag for tag, version in found.items() if version < 0]
    if missing:
        store().set_many({TAG_PREFIX + tag: 0 for tag in missing}, None)
        for tag in missing:
            found[tag] = 0
    if any(version > current.started for version in found.values()):
        return None
    return found


def seconds_left(current: Making, default: int) -> int:
    if current.until is None:
        return default
    left = int((current.until - timezone.now()).total_seconds())
    return max(0, min(default, left))


def kept(
    key: str,
    compute: Callable[[], Any],
    *,
    seconds: int = 600,
    keep: Callable[[Any], bool] | None = None,
) -> Any:
    """``compute()``, kept under ``key`` until a row it read changes (or ``seconds`` pass).

    Used inside a page being made, the page depends on what the kept value was made from.
    A value for which ``keep(value)`` is false is returned but not kept.
    """
    cache_ = store()
    full_key = f"kept:value:{key}"
    try:
        entry = cache_.get(full_key)
    except Exception:
        entry = None
    outer = _making.get()
    if entry is not None:
        value, recorded, until = entry
        if (until is None or until > time.time()) and fresh(recorded):
            if outer is not None:
                outer.tags |= set(recorded)
                if until is not None:
                    valid_until_of(outer, datetime.fromtimestamp(until, tz=UTC))
            return value
    with make() as current:
        value = compute()
    recorded = settle(current)
    timeout = seconds_left(current, seconds)
    if recorded is not None and timeout > 0 and (keep is None or keep(value)):
        until = time.time() + timeout
        try:
            cache_.set(full_key, (value, recorded, until), timeout)
        except Exception:
            logger.warning("kept copies: could not keep %s", key, exc_info=True)
    return value
