"""The archive's search box finds interviews by the pinyin or initials of their titles too."""

import pytest
from django.test import Client

from oral_history.models import AccessLevel
from oral_history.tests.factories import InterviewFactory

pytestmark = pytest.mark.django_db


def test_pinyin_and_initials_find_an_interview_by_its_title():
    InterviewFactory(title="纺织厂的日子")
    InterviewFactory(title="封存的口述", access_level=AccessLevel.RESTRICTED, published=False)
    client = Client()
    for typed in ("fangzhichang", "fzc", "fang zhi chang"):
        html = client.get("/memories/search/", {"q": typed}).content.decode()
        assert "按拼音" in html and "纺织厂" in html, typed
    # Only what a visitor may see, and nothing for letters that spell no title.
    assert "封存的口述" not in client.get("/memories/search/", {"q": "fengcun"}).content.decode()
    html = client.get("/memories/search/", {"q": "qqqxyz"}).content.decode()
    assert "没有找到" in html and "按拼音" not in html
    # Chinese queries keep the archive's own search of what people said.
    assert "按拼音" not in client.get("/memories/search/", {"q": "纺织"}).content.decode()
