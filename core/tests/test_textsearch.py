"""Chinese segmentation for PostgreSQL full-text search, against the real database."""

import pytest
from django.db import connection

from core import textsearch


def test_segment_yields_words_inside_long_words_and_bigrams():
    tokens = textsearch.segment("这是一个测试文档").split()
    assert "测试" in tokens
    assert "文档" in tokens
    assert "个测" in tokens  # a bigram across words, for recall


def test_query_words_keep_order_and_drop_punctuation():
    assert textsearch.query_words("纺织厂，劳动模范！") == ["纺织厂", "劳动模范"]
    assert textsearch.query_words("  ，。 ") == []
    assert textsearch.search_query("，。") is None


def _matches(document: str, query: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)",
            [textsearch.segment(document), textsearch.tsquery_text(query)],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_two_character_word_inside_a_long_sentence_is_found():
    assert _matches("这是一个测试文档", "测试")
    # PostgreSQL alone does not find it: the whole sentence is one token.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsvector('simple', %s) @@ plainto_tsquery('simple', %s)",
            ["这是一个测试文档", "测试"],
        )
        assert cursor.fetchone()[0] is False


@pytest.mark.django_db
def test_all_query_words_must_match():
    document = "一九五八年秋天，我跟着同村的姐妹坐火车到沈阳的纺织厂。"
    assert _matches(document, "纺织厂 火车")
    assert not _matches(document, "纺织厂 码头")


@pytest.mark.django_db
def test_a_name_the_dictionary_does_not_know_is_found_through_bigrams():
    document = "我的师傅叫刘铁柱，是厂里的老八级工。"
    assert _matches(document, "刘铁柱")
    assert not _matches(document, "刘铁锤")


@pytest.mark.django_db
def test_english_and_mixed_text_are_searchable_case_insensitively():
    assert _matches("Oral history of the Dalian Port 大连港", "dalian 港")


@pytest.mark.django_db
def test_hostile_query_text_is_a_valid_tsquery():
    for query, expected in [
        ("a' | !b & (c", "'a' & 'b' & 'c'"),
        ("\\'; DROP TABLE x; --", "'drop' & 'table' & 'x'"),
        ("测试' ) | ('", "'测试'"),
    ]:
        text = textsearch.tsquery_text(query)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_tsquery('simple', %s)::text", [text])
            assert cursor.fetchone()[0] == expected
    assert textsearch.search_query("<-> & |") is None


def test_highlight_escapes_html_and_marks_hits():
    html = textsearch.highlight("<b>老街</b>上的杂货铺", "杂货铺")
    assert "&lt;b&gt;" in html
    assert "<mark>杂货铺</mark>" in html
