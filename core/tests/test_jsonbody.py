"""Every JSON body goes through one reader with limits on size and nesting depth.

Python's json module recurses per nesting level: 5,000 nested arrays (10 KB) raised
RecursionError and answered 500 on the xAPI, progress and booking endpoints.
"""

import pytest
from django.test import RequestFactory

from accounts.tests.factories import sign_in
from core import jsonbody

DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (DEEP, "json_too_deep"),
        (DEEP_OBJECT, "json_too_deep"),
        (b"{" + b'"x":' * 3, "json_invalid"),
        (b"\xff\xfe{}", "json_invalid"),
        (b"[1, 2]", "json_not_object"),
        (b"NaN-ish", "json_invalid"),
        # Python's parser takes these; PostgreSQL refuses to store them (a 500 half-way).
        (b'{"a": NaN}', "json_invalid"),
        (b'{"a": [1, Infinity]}', "json_invalid"),
        (b'{"a": {"b": -Infinity}}', "json_invalid"),
        (b'{"a": "x\\u0000y"}', "json_bad_character"),
        (b'{"\\u0000": 1}', "json_bad_character"),
        (b'{"a": [["\\u0000"]]}', "json_bad_character"),
        (b'{"a": "\\ud800"}', "json_bad_character"),
        (b'{"a": {"\\udfff": 1}}', "json_bad_character"),
    ],
)
def test_hostile_bodies_are_refused_with_a_stable_code(body, code):
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.parse(body)
    assert caught.value.code == code


def test_a_character_that_cannot_be_stored_is_named_in_the_refusal():
    from django.utils import translation

    with translation.override("en"), pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.parse(b'{"a": "\\u0000"}')
    assert caught.value.messages == [
        "The request body contains a character that cannot be stored (NUL or a lone surrogate)."
    ]


def test_characters_that_only_look_dangerous_are_kept():
    """An escaped backslash before u0000 is text, and a surrogate pair is one character."""
    assert jsonbody.parse(b'{"a": "\\\\u0000", "b": "\\ud83d\\ude00", "c": 1e308}') == {
        "a": "\\u0000",
        "b": "\U0001f600",
        "c": 1e308,
    }


def test_the_depth_limit_is_exact():
    at_limit = b"[" * jsonbody.MAX_DEPTH + b"]" * jsonbody.MAX_DEPTH
    assert jsonbody.parse(at_limit, require_object=False) == eval(at_limit.decode())  # noqa: S307
    one_more = b"[" + at_limit + b"]"
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.parse(one_more, require_object=False)
    assert caught.value.code == "json_too_deep"


def test_brackets_inside_strings_do_not_count():
    text = '{"a": "' + "[[[[{{{{" * 100 + '\\"]]]"}'
    assert jsonbody.parse(text)["a"].startswith("[[[[")


def test_the_size_limit_is_exact():
    exact = b'{"a":"' + b"x" * (jsonbody.MAX_BYTES - 8) + b'"}'
    assert len(exact) == jsonbody.MAX_BYTES
    assert jsonbody.parse(exact)["a"]
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.parse(exact + b" ")
    assert caught.value.code == "json_too_large"


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    request = RequestFactory().post("/", data=b"{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = str(jsonbody.MAX_BYTES + 1)
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request)
    assert caught.value.code == "json_too_large"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [DEEP, DEEP_OBJECT, b"{not json", b'{"kind": "media", "data": {"ranges": [[NaN, Infinity]]}}',
     b'{"content": "x", "statement": {"result": {"score": {"scaled": NaN}}}}',
     b'{"kind": "view", "data": {"a": "\\u0000"}}'],
)  # fmt: skip
@pytest.mark.parametrize(
    "url", ["/api/v1/me/progress/", "/api/v1/me/bookings/", "/learning/h5p/statements/"]
)
def test_endpoints_answer_400_and_store_nothing(client, user, url, body):
    from booking.models import Booking
    from courses.models import LessonProgress, XAPIStatement

    assert sign_in(client, user.email)
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith(
        ("application/json", "application/problem+json")
    )
    assert not Booking.objects.exists()
    assert not XAPIStatement.objects.exists()
    assert not LessonProgress.objects.exists()
