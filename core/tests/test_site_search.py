"""Site search: one index over every kind, Chinese and pinyin, only what visitors may see."""

import io
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from core import search, textsearch
from core.models import SearchEntry, SearchKind
from core.selectors import MAX_QUERY, site_search

DEMO_APPS = ["accounts", "cms", "booking", "oral_history", "courses", "makerspace"]


@pytest.fixture(scope="module")
def demo_content(django_db_setup, django_db_blocker):
    """The demo content of every app but readers' works (their media take long to make),
    loaded once for this module inside a transaction that is rolled back at its end; each test
    runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--only", *DEMO_APPS, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_content, db):
    return None


def titles(query: str, **kwargs) -> dict[str, list[str]]:
    """The plain titles found per kind."""
    results = site_search(user=AnonymousUser(), query=query, **kwargs)
    return {
        group.kind: [re.sub(r"<[^>]+>", "", str(hit.title)) for hit in group.hits]
        for group in results.groups
    }


# --- the shared segmentation with pinyin ---------------------------------------------------------


def test_pinyin_tokens_give_full_pinyin_and_initials_of_words_and_runs():
    tokens = textsearch.pinyin_tokens("智能手机入门")
    for token in ("zhineng", "shouji", "zhinengshouji", "znsj", "zhinengshoujirumen", "znsjrm"):
        assert token in tokens
    assert textsearch.pinyin_tokens("English only") == []
    # The archive's own index is unchanged: no pinyin unless asked for.
    assert "shouji" not in textsearch.segment("智能手机").split()
    assert "shouji" in textsearch.segment("智能手机", pinyin=True).split()


def test_prefix_queries_only_for_latin_words_and_spaced_pinyin_joins():
    assert textsearch.tsquery_text("zhineng", prefix=True) == "'zhineng':*"
    assert textsearch.tsquery_text("zhineng") == "'zhineng'"
    assert textsearch.tsquery_text("手机", prefix=True) == "'手机'"
    assert textsearch.tsquery_text("zhi neng", prefix=True) == (
        "('zhi':* & 'neng':*) | 'zhineng':*"
    )


def test_highlight_marks_the_characters_a_pinyin_query_spells_and_escapes_the_rest():
    html = str(textsearch.highlight("<i>课程</i>：智能手机入门", "znsj", pinyin=True))
    assert html == "&lt;i&gt;课程&lt;/i&gt;：<mark>智能手机</mark>入门"
    # A prefix marks the characters it has reached: shou is 手, shouj reaches into 机.
    html = str(textsearch.highlight("智能手机入门", "zhinengshou", pinyin=True))
    assert html == "<mark>智能手</mark>机入门"
    html = str(textsearch.highlight("智能手机入门", "zhinengshouj", pinyin=True))
    assert html == "<mark>智能手机</mark>入门"
    # Without pinyin, Latin queries mark only Latin text.
    assert "<mark>" not in str(textsearch.highlight("智能手机", "znsj"))


# --- the demo content ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_leaves_every_kind_indexed(demo):
    kinds = set(SearchEntry.objects.values_list("kind", flat=True))
    for kind in (SearchKind.PAGE, SearchKind.LEARNING, SearchKind.BOOKING):
        assert kind in kinds
    assert SearchKind.EQUIPMENT in kinds
    assert SearchKind.ARCHIVE in kinds


@pytest.mark.django_db
def test_chinese_queries_find_the_demo_content(demo):
    found = titles("智能手机")
    assert "智能手机入门" in found["learning"]
    assert "老年人智能手机入门" in found["learning"]
    assert any("智能手机" in title for title in found["booking"])  # 银龄智能手机课
    assert "老年人智能手机入门" in titles("老年")["learning"]
    assert "和家人视频通话" in titles("视频通话")["learning"]
    liaohai = titles("辽海")
    assert liaohai.get("page")  # 辽海往事 pages
    assert liaohai.get("archive") or liaohai.get("page")


@pytest.mark.django_db
def test_pinyin_and_initials_find_what_the_characters_find(demo):
    # Pinyin finds things by name: everything whose title holds 智能手机 (body text has no
    # pinyin, so homophones in running text do not flood the results).
    named = {title for title in titles("智能手机")["learning"] if "智能手机" in title}
    assert len(named) >= 3
    assert set(titles("zhinengshouji")["learning"]) == named
    assert set(titles("znsj")["learning"]) == named
    assert "智能手机入门" in titles("zhi neng shou ji")["learning"]
    assert "智能手机入门" in titles("ZhiNengShouJi")["learning"]


@pytest.mark.django_db
def test_kind_filter_and_pages(demo):
    everything = site_search(user=AnonymousUser(), query="智能手机")
    learning = site_search(user=AnonymousUser(), query="智能手机", kind="learning")
    assert [g.kind for g in learning.groups] == ["learning"]
    assert learning.groups[0].count == everything.counts["learning"]
    assert learning.counts == everything.counts
    # An unknown kind is no filter; an impossible page is the last one.
    assert site_search(user=AnonymousUser(), query="智能手机", kind="nope").kind == ""
    assert site_search(user=AnonymousUser(), query="智能手机", kind="learning", page=99).page == 1


@pytest.mark.django_db
def test_results_page_groups_filters_and_highlights(client, demo):
    html = client.get("/search/", {"q": "znsj"}).content.decode()
    assert '<h2 id="search-group-learning">' in html
    assert "<mark>智能手机</mark>入门" in html
    assert '?q=znsj&amp;kind=learning"' in html
    filtered = client.get("/search/", {"q": "znsj", "kind": "learning"}).content.decode()
    assert 'aria-current="page">学习' in filtered
    assert 'id="search-group-booking"' not in filtered
    partial = client.get("/search/", {"q": "znsj"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert 'id="search-status" hx-swap-oob="innerHTML"' in partial
    empty = client.get("/search/", {"q": "不存在的词语组合"}).content.decode()
    assert "没有找到与“不存在的词语组合”相关的内容。" in empty
    assert '<ol class="search-results">' not in empty


@pytest.mark.django_db
def test_hostile_and_very_long_queries(client, demo):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>智能手机'
    html = client.get("/search/", {"q": hostile}).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    long_query = "智能手机" * 5000
    response = client.get("/search/", {"q": long_query})
    assert response.status_code == 200
    results = site_search(user=AnonymousUser(), query=long_query)
    assert len(results.query) == MAX_QUERY
    # Query syntax is text to search, never tsquery operators.
    assert site_search(user=AnonymousUser(), query="!:* & | <->").groups == []


# --- visibility ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_unpublished_and_private_pages_are_never_found(demo):
    course = Page.objects.get(title="智能手机入门").specific
    assert "智能手机入门" in titles("智能手机")["learning"]
    course.unpublish()
    assert "智能手机入门" not in titles("智能手机").get("learning", [])
    revision = course.save_revision()
    revision.publish()
    assert "智能手机入门" in titles("智能手机")["learning"]
    restriction = PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.LOGIN
    )
    assert "智能手机入门" not in titles("智能手机").get("learning", [])
    restriction.delete()
    assert "智能手机入门" in titles("智能手机")["learning"]
    # A new slug moves the course's lessons too.
    course.slug = "smartphone-101"
    course.save_revision().publish()
    lesson = SearchEntry.objects.get(source="courses.lessonpage", title="和家人视频通话")
    assert "/smartphone-101/" in lesson.url
    # A draft edit is not indexed until it is published.
    course.title = "草稿标题乌托邦"
    course.save_revision()
    assert titles("乌托邦") == {}


@pytest.mark.django_db
def test_archive_records_follow_the_archive_access_rules(demo):
    from oral_history.models import AccessLevel, Interview

    interview = Interview.objects.filter(published=True, withdrawn_at=None).first()
    interview.title = "纺织女工乌托邦回忆"
    interview.save()
    assert titles("乌托邦")["archive"] == ["纺织女工乌托邦回忆"]
    assert titles("wutuobang")["archive"] == ["纺织女工乌托邦回忆"]
    interview.access_level = AccessLevel.RESTRICTED
    interview.save()
    assert titles("乌托邦") == {}
    interview.access_level = AccessLevel.OPEN
    interview.published = False
    interview.save()
    assert titles("乌托邦") == {}
    interview.published = True
    interview.withdrawn_at = timezone.now()
    interview.save()
    assert titles("乌托邦") == {}


@pytest.mark.django_db
def test_narrator_names_are_searchable_through_the_many_to_many(demo):
    from oral_history.models import Interview, Narrator

    interview = Interview.objects.filter(published=True, withdrawn_at=None).first()
    narrator = Narrator.objects.create(name="司徒乌托")
    interview.narrators.add(narrator)
    assert titles("司徒乌托")["archive"] == [interview.title]
    interview.narrators.remove(narrator)
    assert titles("司徒乌托") == {}


@pytest.mark.django_db
def test_events_and_resources_follow_the_booking_rules(demo):
    from booking.models import Event, Resource

    event = Event.objects.filter(is_cancelled=False, starts_at__gt=timezone.now()).first()
    event.title = "乌托邦讲座"
    event.save()
    assert titles("乌托邦")["booking"] == ["乌托邦讲座"]
    event.is_cancelled = True
    event.save()
    assert titles("乌托邦") == {}
    event.is_cancelled = False
    event.save()
    # Once it has started it is hidden, without any job removing its entry.
    SearchEntry.objects.filter(source="booking.event", object_id=str(event.pk)).update(
        hidden_after=timezone.now()
    )
    assert titles("乌托邦") == {}

    resource = Resource.objects.filter(is_active=True, staff_only=False).first()
    resource.name = "乌托邦琴房"
    resource.save()
    assert titles("乌托邦")["booking"] == ["乌托邦琴房"]
    resource.staff_only = True
    resource.save()
    assert titles("乌托邦") == {}


@pytest.mark.django_db
def test_only_published_works_are_found(demo):
    from accounts.models import User
    from ugc.models import WorkState
    from ugc.tests.factories import make_work

    owner = User.objects.create_user(email="maker@example.org", password="x-Liaotu-2026")
    work = make_work(owner, title="我的乌托邦相册", tags=["沈阳"])
    assert titles("乌托邦") == {}  # private
    work.state = WorkState.PENDING_REVIEW
    work.save()
    assert titles("乌托邦") == {}
    work.state = WorkState.PUBLISHED
    work.save()
    assert titles("乌托邦")["work"] == ["我的乌托邦相册"]
    work.tags.add("乌有之乡")
    assert titles("乌有之乡")["work"] == ["我的乌托邦相册"]
    work.state = WorkState.TAKEN_DOWN
    work.save()
    assert titles("乌托邦") == {}
    work.state = WorkState.PUBLISHED
    work.save()
    work.delete()
    assert titles("乌托邦") == {}


@pytest.mark.django_db
def test_rebuild_command_puts_right_what_signals_missed(demo):
    from booking.models import Resource

    other = search.Document(title="别处的乌有之乡", url="/elsewhere/")
    search.write_entries(
        [search.entry_params(kind="page", source="bench.page", object_id="1", document=other)]
    )
    resource = Resource.objects.filter(is_active=True, staff_only=False).first()
    Resource.objects.filter(pk=resource.pk).update(name="乌托邦琴房")  # sends no signal
    assert titles("乌托邦") == {}
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    with pytest.raises(CommandError):
        call_command("rebuild_search_index", "nope", stdout=out)
    assert "search index rebuilt" in out.getvalue()
    assert titles("乌托邦")["booking"] == ["乌托邦琴房"]
    assert search.rebuild(kinds=["booking"])["booking"] >= 1
    # Entries of sources the rebuild does not own are left alone.
    assert titles("乌有之乡") == {"page": ["别处的乌有之乡"]}


@pytest.mark.django_db
def test_the_nightly_task_puts_right_a_bulk_update(demo, settings):
    from booking.models import Resource
    from core.tasks import rebuild_search_index

    entry = settings.CELERY_BEAT_SCHEDULE["core-rebuild-search-index"]
    assert entry["task"] == rebuild_search_index.name
    resource = Resource.objects.filter(is_active=True, staff_only=False).first()
    Resource.objects.filter(pk=resource.pk).update(name="夜里改名的琴房")
    assert titles("夜里改名") == {}
    counts = rebuild_search_index.apply().get()
    assert counts["booking"] >= 1
    assert titles("夜里改名")["booking"] == ["夜里改名的琴房"]
