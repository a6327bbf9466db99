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

Site search (``core.search``) also indexes pinyin, so a reader who cannot type characters finds
智能手机 with ``zhinengshouji`` or its initials ``znsj``: each Chinese word (jieba's search mode)
and each whole run of characters adds its toneless pinyin and its initials as tokens, read in
context by pypinyin (重庆 → chongqing). Those queries use prefix matching for Latin words, so
``zhinengshou`` or ``liaohai`` (辽海往事) match while the reader is still typing.
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


_LATIN = re.compile(r"[a-z]+")
# A run longer than this gives no whole-run pinyin token (it would pass _MAX_TOKEN anyway).
_MAX_RUN_PINYIN = 12


@lru_cache(maxsize=4096)
def _syllables_of(run: str) -> tuple[str, ...]:
    return tuple(_syllables(run))


def _syllables(run: str) -> list[str]:
    """Toneless pinyin of each character of a run of Chinese characters, read in context."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(run)
    # pypinyin gives one syllable per character it knows; a character it does not know comes
    # back as itself, which the Latin check below leaves out of the tokens.
    return syllables if len(syllables) == len(run) else [""] * len(run)


def _pinyin_pair(syllables: list[str]) -> tuple[str, str]:
    full = "".join(syllables)
    return full, "".join(s[:1] for s in syllables)


def pinyin_tokens(text: str) -> list[str]:
    """Full pinyin and initials of every Chinese word (search mode) and of each short run."""
    out: list[str] = []
    for run in _HAN.findall(text or ""):
        syllables = _syllables(run)
        spans = [(start, end) for _word, start, end in _jieba().tokenize(run, mode="search")]
        if 1 < len(run) <= _MAX_RUN_PINYIN:
            spans.append((0, len(run)))
        for start, end in spans:
            full, initials = _pinyin_pair(syllables[start:end])
            if _LATIN.fullmatch(full) and len(full) <= _MAX_TOKEN:
                out.append(full)
                if end - start > 1:
                    out.append(initials)
    return out


def segment(text: str, *, pinyin: bool = False) -> str:
    """The text to put into a ``'simple'`` tsvector: words, bigrams, then single characters
    (and, for site search, pinyin tokens last)."""
    tokens = [*words(text), *bigrams(text), *unigrams(text)]
    if pinyin:
        tokens.extend(pinyin_tokens(text))
    return " ".join(tokens)


def weighted_vector(*parts: tuple[str, str], pinyin: bool = False) -> Combinable:
    """A tsvector expression from (text, weight) pairs, each segmented; for saving a row."""
    vectors = [
        SearchVector(Value(segment(text, pinyin=pinyin)), config=CONFIG, weight=weight)
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


def tsquery_text(query: str, *, prefix: bool = False) -> str:
    """A ``to_tsquery('simple', …)`` expression: every word, as itself or as bigram phrase.

    With ``prefix`` (site search, whose index holds pinyin), a Latin word of two letters or more
    also matches as a prefix, and pinyin typed with spaces (``zhi neng shou ji``) also matches
    as the one word it spells.
    """
    words_ = query_words(query)
    parts = []
    for word in words_:
        alternatives = [_quote(word)]
        grams = bigrams(word)
        if _HAN.fullmatch(word) and len(grams) > 1:
            alternatives.append("(" + " <-> ".join(_quote(g) for g in grams) + ")")
        if prefix and _LATIN.fullmatch(word) and len(word) > 1:
            alternatives = [_quote(word) + ":*"]
        parts.append(
            "(" + " | ".join(alternatives) + ")" if len(alternatives) > 1 else alternatives[0]
        )
    text = " & ".join(parts)
    joined = "".join(words_)
    if prefix and len(words_) > 1 and _LATIN.fullmatch(joined) and len(joined) <= _MAX_TOKEN:
        text = f"({text}) | {_quote(joined)}:*"
    return text


def search_query(query: str, *, prefix: bool = False) -> SearchQuery | None:
    """The SearchQuery for ``query``, or None when it holds no searchable word."""
    text = tsquery_text(query, prefix=prefix)
    if not text:
        return None
    return SearchQuery(text, config=CONFIG, search_type="raw")


@lru_cache(maxsize=256)
def _highlight_pattern(query: str) -> re.Pattern | None:
    terms = sorted(set(query_words(query)), key=len, reverse=True)
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


# Pinyin spans are looked for only this far into a text, and at most this many characters long.
_PINYIN_SCAN = 2000
_PINYIN_SPAN = 12


def _pinyin_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where Chinese in ``text`` spells a Latin query word in pinyin or initials (a prefix of
    the pinyin counts, as in the query)."""
    latin = [w for w in query_words(query) if _LATIN.fullmatch(w) and len(w) > 1]
    if not latin:
        return []
    spans = []
    for run in _HAN.finditer(text[:_PINYIN_SCAN]):
        syllables = _syllables_of(run.group())
        for i in range(len(syllables)):
            for word in latin:
                end = _pinyin_match(syllables, i, word)
                if end:
                    spans.append((run.start() + i, run.start() + end))
                    break
    return spans


def _pinyin_match(syllables: list[str], i: int, word: str) -> int:
    """The end of the shortest span from ``i`` whose pinyin is ``word`` or starts with it, or
    whose initials are ``word``; 0 if none. Stops as soon as neither can still match."""
    full = initials = ""
    for j in range(i, min(len(syllables), i + _PINYIN_SPAN)):
        full += syllables[j]
        initials += syllables[j][:1]
        if initials == word or full.startswith(word):
            return j + 1
        if not (word.startswith(full) or word.startswith(initials)):
            return 0
    return 0


def _spans(text: str, query: str, *, pinyin: bool) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) of every hit of ``query`` in ``text``."""
    pattern = _highlight_pattern(query)
    found = [m.span() for m in pattern.finditer(text)] if pattern else []
    if pinyin:
        found.extend(_pinyin_spans(text, query))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, query: str, *, width: int = 120, pinyin: bool = False) -> SafeString:
    """An escaped snippet of ``text`` around the first hit, hits wrapped in ``<mark>``.

    Built piece by piece: every piece of ``text`` is escaped and only our own ``<mark>`` tags
    are added, so nothing the text or the query holds can become markup.
    """
    text = text or ""
    spans = _spans(text, query, pinyin=pinyin)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = start + width
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    pieces, last = [], start
    for hit_start, hit_end in spans:
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        if hit_start >= hit_end:
            continue
        pieces.append(html.escape(text[last:hit_start]))
        pieces.append(f"<mark>{html.escape(text[hit_start:hit_end])}</mark>")
        last = hit_end
    pieces.append(html.escape(text[last:end]))
    return mark_safe(prefix + "".join(pieces) + suffix)  # noqa: S308 - every piece is escaped


def matches(text: str, query: str, *, pinyin: bool = False) -> bool:
    pattern = _highlight_pattern(query)
    if pattern and pattern.search(text or ""):
        return True
    return pinyin and bool(_pinyin_spans(text or "", query))
