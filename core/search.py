"""Site search: one index (``core.SearchEntry``) fed by every app, kept in step by signals.

Each app says in its own ``<app>/search.py`` how its rows become entries, by registering a
``Source``: which rows an anonymous visitor may see (the app's own selector, so the search box
never shows more than the app's pages do) and the ``Document`` a row gives. This module then

* writes or deletes a row's entry whenever the row, one of its many-to-many fields or a related
  row named by the source changes (``post_save``, ``post_delete``, ``m2m_changed``), in the same
  transaction as the change, so a rolled-back change leaves the index as it was;
* does the same for Wagtail pages on publish, unpublish, move, delete and privacy changes;
* rebuilds everything (``manage.py rebuild_search_index``, and the end of ``seed_demo``).

Why one table rather than a query per app: the results page needs every kind's count and best
hits at once, and a single GIN-indexed query with a window per kind stays fast (bench/search.py)
where six queries with six rankings would not. Changes made with ``QuerySet.update()`` send no
signal; the nightly rebuild (``core.tasks.rebuild_search_index``, Celery beat) and the command
put those right.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.safestring import SafeString

from . import textsearch
from .models import SearchEntry, SearchKind

logger = logging.getLogger(__name__)

# What one entry keeps: enough for snippets and ranking, small enough for a fast ranking.
MAX_TEXT = 4000
MAX_KEYWORDS = 1000
BATCH = 200


@dataclass(frozen=True)
class Document:
    """What a row gives the index. ``text`` is shown in snippets, ``keywords`` only searched."""

    title: str
    url: str
    text: str = ""
    keywords: str = ""
    hidden_after: datetime | None = None


@dataclass(frozen=True)
class Extra:
    """A hit found outside the index: its highlighted snippet and the address it opens."""

    snippet: SafeString
    url: str


@dataclass(frozen=True)
class Source:
    """How one model's rows become entries of ``kind``.

    ``visible`` returns the rows an anonymous visitor may see (the app's own selector);
    ``document`` turns one of them into a Document. ``reader_hits`` (optional) finds, for one
    reader and query, rows the index cannot hold (the archive's transcripts, whose access
    depends on the reader): ``{object_id: Extra}``, merged into the kind's results. ``m2m``
    names many-to-many fields whose changes change the document; ``related`` maps another
    model ("app.Model") to a function giving the rows of this model that a change of that
    model's instance touches.
    For Wagtail page types (``pages=True``) ``visible`` is not needed: live, public pages are.
    """

    kind: str
    model: str
    document: Callable[[Any], Document | None]
    visible: Callable[[], QuerySet] | None = None
    m2m: tuple[str, ...] = ()
    related: dict[str, Callable[[Model], Iterable[Model]]] = field(default_factory=dict)
    pages: bool = False
    reader_hits: Callable[[Any, str], dict[str, Extra]] | None = None

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    @property
    def label(self) -> str:
        return self.model_class._meta.label_lower

    def queryset(self) -> QuerySet:
        if self.pages:
            from wagtail.models import Page

            model = self.model_class
            pages = Page.objects.live().public().filter(depth__gt=1)
            if model is Page:  # the fallback: every page type no other source claims
                claimed = [s.model_class for s in _sources.values() if s.pages and s is not self]
                return pages.not_type(*claimed) if claimed else pages
            return model.objects.live().public()
        assert self.visible is not None, f"{self.model}: a source needs visible()"
        return self.visible()


_sources: dict[str, Source] = {}


def register(source: Source) -> Source:
    assert source.kind in SearchKind.values, source.kind
    _sources[source.model.lower()] = source
    return source


def sources() -> list[Source]:
    return list(_sources.values())


def _source_for(instance: Model) -> Source | None:
    return _sources.get(instance._meta.label_lower)


def _page_source(page) -> Source | None:
    specific = type(page.specific)
    for klass in specific.__mro__:
        meta = getattr(klass, "_meta", None)
        found = meta and _sources.get(meta.label_lower)
        if found and found.pages:
            return found
    return None


# Keys of StreamField values that hold no reading text (addresses, choices, ids).
_NOT_TEXT = {"url", "link", "page", "image", "level", "icon", "style", "document", "id", "type"}


def stream_text(raw: Any, *, only: tuple[str, ...] = ()) -> str:
    """The reading text of a StreamField's raw data, markup removed. With ``only``, just the
    top-level blocks of those types (a lesson's quiz answers must never be searchable)."""
    from django.utils.html import strip_tags

    out: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, str):
            if key not in _NOT_TEXT:
                out.append(strip_tags(value))
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)

    for block in raw or []:
        if isinstance(block, dict) and (not only or block.get("type") in only):
            walk(block.get("value"), "")
    return " ".join(" ".join(out).split())


# --- writing entries -------------------------------------------------------------------------

_INSERT = (
    "INSERT INTO core_searchentry"
    " (kind, source, object_id, title, text, url, hidden_after, updated_at, vector) VALUES "
)
_ROW = (
    "(%s, %s, %s, %s, %s, %s, %s, now(), setweight(to_tsvector('simple', %s), 'A')"
    " || setweight(to_tsvector('simple', %s), 'B') || setweight(to_tsvector('simple', %s), 'C'))"
)
_UPSERT = (
    " ON CONFLICT (source, object_id) DO UPDATE SET kind = EXCLUDED.kind,"
    " title = EXCLUDED.title, text = EXCLUDED.text, url = EXCLUDED.url,"
    " hidden_after = EXCLUDED.hidden_after, updated_at = now(), vector = EXCLUDED.vector"
)


def entry_params(*, kind: str, source: str, object_id: str, document: Document) -> list:
    """The parameters of one row of ``_ROW``: the segmented title (weight A), keywords (B) and
    text (C). Pinyin goes with the title and keywords only: it is for finding a thing by its
    name, and in running text it would match homophones everywhere (and double the vectors
    that ranking reads)."""
    text = " ".join(document.text.split())[:MAX_TEXT]
    keywords = document.keywords[:MAX_KEYWORDS]
    return [
        kind,
        source,
        object_id,
        document.title[:300],
        text,
        document.url[:500],
        document.hidden_after,
        textsearch.segment(document.title, pinyin=True),
        textsearch.segment(keywords, pinyin=True),
        textsearch.segment(text),
    ]


def write_entries(rows: list[list]) -> None:
    """Insert or replace entries, given rows of ``entry_params``; one statement per batch."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        # Only placeholders are joined into the statement; every value is a parameter.
        statement = _INSERT + ", ".join([_ROW] * len(batch)) + _UPSERT
        with connection.cursor() as cursor:
            cursor.execute(statement, [value for row in batch for value in row])


def _index(source: Source, pk: Any) -> None:
    """Write the entry of row ``pk`` if a visitor may see it, else delete any entry it had."""
    row = source.queryset().filter(pk=pk).first()
    if row is not None and source.pages:
        row = row.specific
    document = source.document(row) if row is not None else None
    if document is None or not document.url:
        SearchEntry.objects.filter(source=source.label, object_id=str(pk)).delete()
        return
    write_entries(
        [entry_params(kind=source.kind, source=source.label, object_id=str(pk), document=document)]
    )


def index_instance(instance: Model) -> None:
    source = _source_for(instance)
    if source is not None:
        _index(source, instance.pk)


def index_page(page) -> None:
    """Index a page under the source of its type; a page that changed type loses its old
    entry."""
    source = _page_source(page)
    SearchEntry.objects.filter(source__in=_page_labels(), object_id=str(page.pk)).exclude(
        source=source.label if source else ""
    ).delete()
    if source is not None:
        _index(source, page.pk)


def _page_labels() -> list[str]:
    return [s.label for s in _sources.values() if s.pages]


def remove(instance: Model) -> None:
    SearchEntry.objects.filter(
        source=instance._meta.label_lower, object_id=str(instance.pk)
    ).delete()


def _documents(source: Source) -> Iterator[tuple[str, Document]]:
    queryset = source.queryset().order_by("pk")
    if source.pages:
        queryset = queryset.specific()
    for row in queryset.iterator(chunk_size=BATCH):
        document = source.document(row)
        if document is not None and document.url:
            yield str(row.pk), document


_REBUILD_LOCK = 0x5345_4152  # "SEAR": one rebuild of the index at a time


def rebuild(*, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Replace the entries of the sources of ``kinds`` (all by default) with what they give
    now. Entries of any other source (bench/search.py's synthetic ones) are left alone."""
    wanted = set(kinds or SearchKind.values)
    chosen = [source for source in sources() if source.kind in wanted]
    counts: dict[str, int] = {}
    with transaction.atomic():
        # Two rebuilds at once (two beats, or the command during the nightly task) take turns:
        # the second waits, then replaces the first one's rows instead of colliding with them.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REBUILD_LOCK])
        SearchEntry.objects.filter(source__in=[s.label for s in chosen]).delete()
        for source in chosen:
            rows = [
                entry_params(kind=source.kind, source=source.label, object_id=pk, document=doc)
                for pk, doc in _documents(source)
            ]
            write_entries(rows)
            counts[source.kind] = counts.get(source.kind, 0) + len(rows)
    return counts


# --- signals ---------------------------------------------------------------------------------


def _on_save(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        index_instance(instance)


def _on_delete(sender, instance, **kwargs) -> None:
    remove(instance)


def _on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        index_instance(instance)
        return
    # Changed from the other side (narrator.interviews.add(...)): pk_set holds our rows' keys.
    # A reverse clear does not say which rows it touched; the rebuild command mends those.
    source = _sources.get(model._meta.label_lower)
    for pk in pk_set or ():
        if source is not None:
            _index(source, pk)


def _related_handler(source: Source, affected: Callable[[Model], Iterable[Model]]):
    def handler(sender, instance, raw=False, **kwargs) -> None:
        if raw:
            return
        for row in affected(instance):
            _index(source, row.pk)

    return handler


def _on_page_change(sender, instance, **kwargs) -> None:
    """Index the page; if its address changed (a new slug), its descendants' addresses did too."""
    before = set(
        SearchEntry.objects.filter(
            source__in=_page_labels(), object_id=str(instance.pk)
        ).values_list("url", flat=True)
    )
    index_page(instance)
    after = set(
        SearchEntry.objects.filter(
            source__in=_page_labels(), object_id=str(instance.pk)
        ).values_list("url", flat=True)
    )
    if before and before != after and instance.numchild:
        for descendant in instance.get_descendants().specific():
            index_page(descendant)


def _on_page_delete(sender, instance, **kwargs) -> None:
    from wagtail.models import Page

    if isinstance(instance, Page):
        SearchEntry.objects.filter(source__in=_page_labels(), object_id=str(instance.pk)).delete()


def _reindex_subtree(page) -> None:
    for descendant in page.get_descendants(inclusive=True).specific():
        index_page(descendant)


def _on_page_move(sender, instance, **kwargs) -> None:
    _reindex_subtree(instance)


def _on_restriction(sender, instance, **kwargs) -> None:
    from wagtail.models import Page

    page = Page.objects.filter(pk=instance.page_id).first()
    if page is not None:
        _reindex_subtree(page)


_handlers: list = []  # strong references: signals hold receivers weakly


def autodiscover() -> None:
    """Import every project app's ``search.py`` (they register their sources)."""
    for config in apps.get_app_configs():
        module_name = f"{config.name}.search"
        in_project = Path(config.path).is_relative_to(settings.BASE_DIR / config.name)
        if in_project and config.name != "core" and find_spec(module_name):
            import_module(module_name)


def connect() -> None:
    """Connect the signals that keep the index in step (called once, from CoreConfig.ready)."""
    from wagtail.models import PageViewRestriction
    from wagtail.signals import page_published, page_unpublished, post_page_move

    autodiscover()
    for source in sources():
        model = source.model_class
        uid = f"core.search.{source.label}"
        if source.pages:
            continue
        post_save.connect(_on_save, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"{uid}.delete")
        for name in source.m2m:
            through = model._meta.get_field(name).remote_field.through
            m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"{uid}.m2m.{name}")
        for related, affected in source.related.items():
            handler = _related_handler(source, affected)
            _handlers.append(handler)
            related_model = apps.get_model(related)
            post_save.connect(handler, sender=related_model, dispatch_uid=f"{uid}.r.{related}")
            post_delete.connect(handler, sender=related_model, dispatch_uid=f"{uid}.d.{related}")
    if any(s.pages for s in sources()):
        page_published.connect(_on_page_change, dispatch_uid="core.search.published")
        page_unpublished.connect(_on_page_change, dispatch_uid="core.search.unpublished")
        post_page_move.connect(_on_page_move, dispatch_uid="core.search.moved")
        post_delete.connect(_on_page_delete, dispatch_uid="core.search.page_deleted")
        post_save.connect(
            _on_restriction, sender=PageViewRestriction, dispatch_uid="core.search.restricted"
        )
        post_delete.connect(
            _on_restriction, sender=PageViewRestriction, dispatch_uid="core.search.unrestricted"
        )
