"""What the H5P player sends back: statements (authenticated, CSRF-protected, rate-limited,
validated, stored once, always the signed-in actor), lesson scores from root statements only,
saved state, the learner's export; file serving, the CSP and the admin upload. The activity is
our own H5P.LiaotuChoice, built in code (h5p_packages), so nothing here needs ../shared."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from booking.tests.factories import staff_member
from courses.h5p import services, views
from courses.models import H5PContent, H5PState, LessonProgress, XAPIStatement

from . import h5p_packages
from .factories import course, lessons_of

pytestmark = pytest.mark.django_db

ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def content():
    return services.install(source=h5p_packages.valid(), user=None)


@pytest.fixture
def lesson(content):
    the_course = course(lessons=[("判断题", "score", [("h5p", {"activity": content})],
                                  {"threshold": 80})])  # fmt: skip
    return lessons_of(the_course)[0]


def statement(*, scaled=1.0, parent=False, actor="mailto:someone-else@example.org", sid=None):
    data = {
        "id": str(sid or uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": {"id": "http://example.org/h5p", "objectType": "Activity"},
        "result": {"score": {"raw": scaled * 2, "min": 0, "max": 2, "scaled": scaled}},
    }
    if parent:
        data["context"] = {"contextActivities": {"parent": [{"id": "http://example.org/p"}]}}
    return data


def post(client, content, body, lesson=None):
    return client.post(reverse("courses:h5p-statements"),
                       json.dumps({"content": str(content.pk), "statement": body,
                                   "lesson": lesson.pk if lesson else None}),
                       content_type="application/json")  # fmt: skip


def test_a_root_statement_scores_the_lesson_and_the_actor_is_always_the_user(content, lesson):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = post(client, content, statement(scaled=1.0), lesson)
    assert response.status_code == 201
    stored = XAPIStatement.objects.get(user=user)
    assert stored.statement["actor"]["mbox"] == f"mailto:{user.email}"
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.best_score == 100 and progress.completed_at is not None


def test_statements_inside_a_parent_do_not_score(content, lesson):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    post(client, content, statement(scaled=1.0, parent=True), lesson)
    assert not LessonProgress.objects.filter(user=user, lesson=lesson,
                                             best_score__isnull=False).exists()  # fmt: skip
    post(client, content, statement(scaled=0.5), lesson)  # below the 80% threshold
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.best_score == 50 and progress.completed_at is None


def test_the_same_statement_twice_is_stored_once_and_never_for_someone_else(content, lesson):
    alice, bob = UserFactory(), UserFactory()
    sid = uuid.uuid4()
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    assert post(a, content, statement(sid=sid), lesson).status_code == 201
    assert post(a, content, statement(sid=sid), lesson).status_code == 200
    assert XAPIStatement.objects.filter(id=sid).count() == 1
    # Bob cannot post under Alice's statement id, nor as Alice.
    assert post(b, content, statement(sid=sid, actor=f"mailto:{alice.email}"), lesson
                ).status_code == 400  # fmt: skip
    post(b, content, statement(actor=f"mailto:{alice.email}"), lesson)
    assert XAPIStatement.objects.filter(user=alice).count() == 1
    assert all(row.statement["actor"]["mbox"] == f"mailto:{bob.email}"
               for row in XAPIStatement.objects.filter(user=bob))  # fmt: skip


def test_statements_need_a_user_csrf_valid_json_and_a_sane_rate(content, lesson, monkeypatch):
    anonymous = Client()
    assert post(anonymous, content, statement(), lesson).status_code == 302
    user = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert post(strict, content, statement(), lesson).status_code == 403
    client = Client()
    client.force_login(user)
    bad = client.post(reverse("courses:h5p-statements"), "{oops", content_type="application/json")
    assert bad.status_code == 400
    assert post(client, content, {"verb": "jumped"}, lesson).status_code == 400
    monkeypatch.setattr(views, "STATEMENTS_PER_MINUTE", 3)
    codes = [post(client, content, statement(), lesson).status_code for _ in range(5)]
    assert codes.count(429) >= 2


def test_state_is_saved_restored_and_private(content):
    alice, bob = UserFactory(), UserFactory()
    url = reverse("courses:h5p-state", args=[content.pk, "state", 0])
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    assert a.post(url, {"data": '{"answer":true}'}).json() == {"success": True}
    assert a.get(url).json() == {"success": True, "data": '{"answer":true}'}
    assert b.get(url).json() == {"success": True, "data": False}
    assert Client().get(url).status_code == 302
    a.post(url, {"data": "0"})  # H5P's way of deleting its state
    assert not H5PState.objects.filter(user=alice).exists()
    big = a.post(url, {"data": "x" * (services.MAX_STATE_BYTES + 1)})
    assert big.status_code == 400


def test_learners_export_their_own_statements(content, lesson):
    alice, bob = UserFactory(), UserFactory()
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    post(a, content, statement(), lesson)
    exported = a.get(reverse("courses:h5p-export")).json()
    assert len(exported) == 1 and exported[0]["verb"]["id"] == ANSWERED
    assert b.get(reverse("courses:h5p-export")).json() == []


def test_files_are_served_with_their_types_and_nothing_else(content):
    """From the user-content origin (the site only redirects): see test_h5p_delivery.py."""
    from media.tests.usercontent import body, follow

    client = Client()
    library = content.libraries.get(machine_name="H5P.LiaotuChoice")
    _redirect, js = follow(
        client, f"/learning/h5p/libraries/{library.folder}/{library.preloaded_js[0]}"
    )
    assert js.status_code == 200 and js["Content-Type"] == "text/javascript"
    assert js["X-Content-Type-Options"] == "nosniff"
    _redirect, h5p_json = follow(client, f"/learning/h5p/content/{content.pk}/h5p.json")
    assert h5p_json.json()["mainLibrary"] == "H5P.LiaotuChoice"
    _redirect, streamed = follow(client, f"/learning/h5p/content/{content.pk}/content/content.json")
    assert json.loads(body(streamed))
    for path in [f"/learning/h5p/libraries/{library.folder}/../../etc/passwd",
                 f"/learning/h5p/libraries/{library.folder}/nope.js",
                 f"/learning/h5p/content/{content.pk}/secret.txt",
                 f"/learning/h5p/content/{uuid.uuid4()}/h5p.json"]:  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_only_player_pages_get_the_players_csp(content, lesson):
    """The player's policy is on its own document on the user-content origin; site pages that
    embed it keep the site's policy (no inline styles, no H5P script hash)."""
    client = Client()
    player = client.get(reverse("courses:h5p-player", args=[content.pk]))
    policy = player["Content-Security-Policy"]
    assert views.FRAME_SCRIPT not in policy and "'unsafe-eval'" not in policy
    assert "'unsafe-inline'" not in policy
    assert views.FRAME_SCRIPT not in client.get(lesson.url)["Content-Security-Policy"]
    assert "sha256" not in client.get("/")["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get("/")["Content-Security-Policy"]


def test_the_admin_installs_packages_and_refuses_bad_ones_with_the_reason():
    staff = Client()
    staff.force_login(staff_member(roles.LIBRARIAN_ADMIN))
    url = "/admin/snippets/courses/h5pcontent/add/"
    good = SimpleUploadedFile("choice.h5p", h5p_packages.valid().getvalue())
    assert staff.post(url, {"title": "判断题", "package": good}).status_code == 302
    assert H5PContent.objects.get().title == "判断题"
    missing_js = h5p_packages.changed(drop=(f"{h5p_packages.FOLDER}/liaotu-choice.js",))
    bad = SimpleUploadedFile("bad.h5p", missing_js.getvalue())
    response = staff.post(url, {"title": "坏的", "package": bad})
    assert response.status_code == 200
    assert "liaotu-choice.js" in response.content.decode()
    assert H5PContent.objects.count() == 1


@pytest.mark.parametrize("scaled", [5.0, 1.0001, -1.5])
def test_a_score_outside_xapis_range_is_refused_and_nothing_stored(content, lesson, scaled):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = post(client, content, statement(scaled=scaled), lesson)
    assert response.status_code == 400
    assert "error" in response.json()
    assert not XAPIStatement.objects.exists()
    assert not LessonProgress.objects.filter(user=user, completed_at__isnull=False).exists()


def test_a_raw_score_above_its_maximum_is_refused(content, lesson):
    body = statement()
    body["result"]["score"] = {"raw": 3, "min": 0, "max": 2}
    client = Client()
    client.force_login(UserFactory())
    assert post(client, content, body, lesson).status_code == 400
    assert not XAPIStatement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        "\x00abc",  # a NUL byte, which no text column stores
        '{"a": "\\u0000"}',
        '{"a": "\\ud800"}',
        '{"a": NaN}',
        "[" * 5000 + "]" * 5000,
        "not json",
    ],
)
def test_a_saved_state_is_json_the_database_can_keep(content, data):
    """The state is handed back to the player on the next visit: only sane JSON is kept."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    url = reverse("courses:h5p-state", args=[content.pk, "state", 0])
    response = client.post(url, {"data": data})
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert not H5PState.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("data_type", "sub_content_id"), [("st\x00ate", 0), ("a" * 65, 0), ("state", 2**31)]
)
def test_a_state_address_that_no_player_uses_is_refused(content, data_type, sub_content_id):
    client = Client()
    client.force_login(UserFactory())
    url = reverse("courses:h5p-state", args=[content.pk, "state", 0]).replace(
        "/state/0", f"/{quote(data_type)}/{sub_content_id}"
    )
    assert client.get(url).status_code == 400
    assert client.post(url, {"data": '{"answer": true}'}).status_code == 400
    assert not H5PState.objects.exists()
