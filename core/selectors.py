"""Reads for site-wide features: the site search (one index for every kind, see core.search)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.postgres.search import SearchRank
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.safestring import SafeString

from . import search, textsearch
from .models import SearchEntry, SearchKind

# A longer query is cut: twelve words are the most textsearch uses anyway, and a bounded
# query keeps segmentation and highlighting cheap whatever is sent.
MAX_QUERY = 100
PER_KIND = 5
PAGE_SIZE = 20
MAX_PAGE = 50


@dataclass
class Hit:
    kind: str
    type_label: str
    title: SafeString
    snippet: SafeString
    url: str


@dataclass
class Group:
    kind: str
    label: str
    count: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.hits)


@dataclass
class SiteResults:
    query: str
    kind: str
    groups: list[Group]
    counts: dict[str, int]
    page: int = 1
    pages: int = 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def clean_query(raw: str) -> str:
    return " ".join((raw or "")[: MAX_QUERY * 4].split())[:MAX_QUERY]


def _type_label(source: str) -> str:
    try:
        return str(apps.get_model(source)._meta.verbose_name)
    except (LookupError, ValueError):
        return ""


def _hit(entry: dict, query: str, extras: dict) -> Hit:
    title = textsearch.highlight(entry["title"], query, width=300, pinyin=True)
    # Pinyin is indexed for titles and keywords only, so only the title is marked by it.
    snippet = textsearch.highlight(entry["text"], query, width=120)
    url = entry["url"]
    extra = extras.get((entry["source"], entry["object_id"]))
    if extra is not None and "<mark>" not in title and "<mark>" not in snippet:
        # Found only in what the reader may hear or read inside (a transcript): show that.
        snippet, url = extra.snippet, extra.url
    return Hit(
        kind=entry["kind"],
        type_label=_type_label(entry["source"]),
        title=title,
        snippet=snippet,
        url=url,
    )


_FIELDS = ("kind", "source", "object_id", "title", "text", "url")


def site_search(
    *, user, query: str, kind: str = "", page: int = 1, per_kind: int = PER_KIND
) -> SiteResults:
    """What ``user`` finds for ``query``: every kind's count and its best hits, or with
    ``kind`` one page of that kind. Entries hold only what visitors may see (core.search);
    a kind's ``extra`` hook adds what only this reader may find (archive transcripts)."""
    query = clean_query(query)
    kind = kind if kind in SearchKind.values else ""
    tsquery = textsearch.search_query(query, prefix=True)
    if tsquery is None:
        return SiteResults(query=query, kind=kind, groups=[], counts={})
    match = Q(vector=tsquery)
    extras: dict[tuple[str, str], search.Extra] = {}
    for source in search.sources():
        if source.reader_hits is not None and kind in ("", source.kind):
            found = source.reader_hits(user, query)
            extras.update({(source.label, pk): hit for pk, hit in found.items()})
            if found:
                match |= Q(source=source.label, object_id__in=list(found))
    entries: QuerySet[SearchEntry] = SearchEntry.objects.filter(match).filter(
        Q(hidden_after__isnull=True) | Q(hidden_after__gt=timezone.now())
    )
    rank = SearchRank(F("vector"), tsquery, cover_density=True)
    labels = dict(SearchKind.choices)
    if not kind:
        rows = list(
            entries.annotate(
                rank=rank,
                row=Window(
                    RowNumber(), partition_by=[F("kind")], order_by=[F("rank").desc(), F("id")]
                ),
                total=Window(Count("id"), partition_by=[F("kind")]),
            )
            .filter(row__lte=per_kind)
            .values(*_FIELDS, "total", "row")
        )
        counts = {row["kind"]: row["total"] for row in rows}
        groups = []
        for value in SearchKind.values:
            hits = sorted((r for r in rows if r["kind"] == value), key=lambda r: r["row"])
            if hits:
                group = Group(value, str(labels[value]), counts[value])
                group.hits = [_hit(row, query, extras) for row in hits]
                groups.append(group)
        return SiteResults(query=query, kind=kind, groups=groups, counts=counts)
    counts = dict(entries.values_list("kind").annotate(n=Count("id")).order_by())
    count = counts.get(kind, 0)
    pages = max(1, min(MAX_PAGE, math.ceil(count / PAGE_SIZE)))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    rows = list(
        entries.filter(kind=kind)
        .annotate(rank=rank)
        .order_by("-rank", "id")
        .values(*_FIELDS)[start : start + PAGE_SIZE]
    )
    groups = []
    if rows:
        group = Group(kind, str(labels[kind]), count)
        group.hits = [_hit(row, query, extras) for row in rows]
        groups.append(group)
    return SiteResults(query=query, kind=kind, groups=groups, counts=counts, page=page, pages=pages)
