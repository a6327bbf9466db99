"""Chinese-aware full-text search on PostgreSQL, shared by the archive, courses and user works.

PostgreSQL's parsers do not segment Chinese: a whole sentence becomes one token, so 测试 is not
found in 这是一个测试文档. We segment text ourselves (jieba, search mode, which also yields the
shorter words inside long ones) into space-separated tokens and store them in a ``'simple'``
tsvector. For recall, every run of Chinese characters also contributes its character bigrams,
appended after the words so that consecutive bigrams sit at consecutive positions: a query word
the dictionary splits differently (a name, a dialect word) still matches as a phrase of bigrams.
Single Chinese characters are indexed as well, so a one-character query (港, 矿) finds them.

Queries are segmented the same way: each query word must match either as a word or as the
phrase of its bigrams, and all query words must match (AND).
"""

from __future__ import annotations

import html
import logging
import re
import threading
from functools import lru_cache

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Value
from django.db.models.expressions import Combinable
from django.utils.safestring import SafeString, mark_safe

CONFIG = "simple"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", re.UNICODE)
# Words longer than this are noise (hashes, URLs run together) and bloat the index.
_MAX_TOKEN = 40
_lock = threading.Lock()
_tokenizer = None


def _jieba():
    """The tokenizer, loaded once per process (loading the dictionary takes about a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _clean(token: str) -> str:
    return token.strip().lower()


def words(text: str) -> list[str]:
    """Search-mode words of ``text``: Chinese segmented, other scripts split on non-letters."""
    out: list[str] = []
    for token in _jieba().cut_for_search(text or ""):
        token = _clean(token)
        if token and len(token) <= _MAX_TOKEN and _WORD.fullmatch(token):
            out.append(token)
    return out


def bigrams(text: str) -> list[str]:
    grams: list[str] = []
    for run in _HAN.findall(text or ""):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def unigrams(text: str) -> list[str]:
    return [char for run in _HAN.findall(text or "") for char in run]


def segment(text: str) -> str:
    """The text to put into a ``'simple'`` tsvector: words, bigrams, then single characters."""
    return " ".join([*words(text), *bigrams(text), *unigrams(text)])


def weighted_vector(*parts: tuple[str, str]) -> Combinable:
    """A tsvector expression from (text, weight) pairs, each segmented; for saving a row."""
    vectors = [
        SearchVector(Value(segment(text)), config=CONFIG, weight=weight)
        for text, weight in parts
        if text
    ] or [SearchVector(Value(""), config=CONFIG)]
    combined = vectors[0]
    for more in vectors[1:]:
        combined = combined + more
    return combined


def query_words(query: str) -> list[str]:
    """The words of a query, in order, without repeats (precise mode: no sub-words)."""
    seen: dict[str, None] = {}
    for token in _jieba().cut(query or ""):
        token = _clean(token)
        if token and len(token) <= _MAX_TOKEN and _WORD.fullmatch(token):
            seen.setdefault(token, None)
    return list(seen)[:12]


def _quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery_text(query: str) -> str:
    """A ``to_tsquery('simple', …)`` expression: every word, as itself or as bigram phrase."""
    parts = []
    for word in query_words(query):
        alternatives = [_quote(word)]
        grams = bigrams(word)
        if _HAN.fullmatch(word) and len(grams) > 1:
            alternatives.append("(" + " <-> ".join(_quote(g) for g in grams) + ")")
        parts.append(
            "(" + " | ".join(alternatives) + ")" if len(alternatives) > 1 else alternatives[0]
        )
    return " & ".join(parts)


def search_query(query: str) -> SearchQuery | None:
    """The SearchQuery for ``query``, or None when it holds no searchable word."""
    text = tsquery_text(query)
    if not text:
        return None
    return SearchQuery(text, config=CONFIG, search_type="raw")


@lru_cache(maxsize=256)
def _highlight_pattern(query: str) -> re.Pattern | None:
    terms = sorted(set(query_words(query)), key=len, reverse=True)
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def highlight(text: str, query: str, *, width: int = 120) -> SafeString:
    """An escaped snippet of ``text`` around the first hit, hits wrapped in ``<mark>``."""
    pattern = _highlight_pattern(query)
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - width // 3) if match else 0
    excerpt = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    if not pattern:
        return mark_safe(prefix + html.escape(excerpt) + suffix)  # noqa: S308 - escaped above
    pieces, last = [], 0
    for hit in pattern.finditer(excerpt):
        pieces.append(html.escape(excerpt[last : hit.start()]))
        pieces.append(f"<mark>{html.escape(hit.group())}</mark>")
        last = hit.end()
    pieces.append(html.escape(excerpt[last:]))
    return mark_safe(prefix + "".join(pieces) + suffix)  # noqa: S308 - every piece is escaped


def matches(text: str, query: str) -> bool:
    pattern = _highlight_pattern(query)
    return bool(pattern and pattern.search(text or ""))
