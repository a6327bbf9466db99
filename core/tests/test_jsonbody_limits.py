"""The JSON body reader's limits at their edges: the depth scanner, escapes, the declared length.

Found by mutation testing (scripts/mutation): each test pins one decision of core/jsonbody.py
that the broader tests in test_jsonbody.py let change unnoticed.
"""

import pytest
from django.test import RequestFactory
from django.utils import translation

from core import jsonbody


def refused(data, **kwargs) -> jsonbody.JSONBodyError:
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.parse(data, **kwargs)
    return caught.value


def request_with(body: bytes, content_length: str | None = "auto"):
    request = RequestFactory().post("/", data=body, content_type="application/json")
    assert request.body == body  # read now: Django itself would refuse a malformed length later
    if content_length is None:
        request.META.pop("CONTENT_LENGTH", None)
    elif content_length != "auto":
        request.META["CONTENT_LENGTH"] = content_length
    return request


def test_the_limits_are_pinned():
    assert jsonbody.MAX_BYTES == 256 * 1024
    assert jsonbody.MAX_DEPTH == 32


def test_sibling_brackets_do_not_add_up():
    flat = "[" + "[]," * 200 + "{}]"
    assert jsonbody.parse(flat, require_object=False) == [[]] * 200 + [{}]


def test_an_empty_string_before_deep_brackets_does_not_hide_them():
    deep = '["", ' + "[" * 40 + "]" * 40 + "]"
    assert refused(deep).code == "json_too_deep"


def test_an_escaped_quote_does_not_end_a_string():
    # Inside the string, so no depth at all; a scanner that ended the string at \" would see 40.
    text = '{"a": "\\" ' + "[" * 40 + '"}'
    assert jsonbody.parse(text) == {"a": '" ' + "[" * 40}


def test_an_escaped_backslash_ends_the_escape():
    # "\\" is one backslash and the string ends; the brackets after it do count.
    text = '["\\\\", ' + "[" * 40 + "]" * 40 + "]"
    assert refused(text, require_object=False).code == "json_too_deep"


def test_letters_are_not_brackets():
    assert refused(b"X" * 40).code == "json_invalid"
    assert refused(b"X" * 100 + b"[" * 40).code == "json_too_deep"


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "3", "null"])
def test_only_objects_unless_asked_otherwise(text):
    assert refused(text).code == "json_not_object"
    assert jsonbody.parse(text, require_object=False) is not jsonbody


def test_text_and_bytes_are_read_alike():
    assert (
        jsonbody.parse('{"名": "鲁迅"}')
        == jsonbody.parse('{"名": "鲁迅"}'.encode())
        == {"名": "鲁迅"}
    )


def test_the_messages_name_the_limits():
    with translation.override("en"):
        assert "256 KB" in str(refused(b" " * (jsonbody.MAX_BYTES + 1)).message)
        assert "2 KB" in str(refused(b"{}" * 1025, max_bytes=2048).message)
        assert "32 levels" in str(refused(b"[" * 33).message)
        assert "3 levels" in str(refused(b"[" * 4, max_depth=3).message)


def test_read_json_passes_its_limits_on():
    assert jsonbody.read_json(request_with(b'{"a": [1]}')) == {"a": [1]}
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(b"[[[[]]]]"), max_depth=3)
    assert caught.value.code == "json_too_deep"
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(b"[1]"))
    assert caught.value.code == "json_not_object"
    assert jsonbody.read_json(request_with(b"[1]"), require_object=False) == [1]
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(b'{"a": 1}', content_length=None), max_bytes=4)
    assert caught.value.code == "json_too_large"


def test_a_declared_length_at_the_limit_is_read():
    body = b'{"a": 1}'
    request = request_with(body, content_length=str(len(body)))
    assert jsonbody.read_json(request, max_bytes=len(body)) == {"a": 1}
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(body, content_length="9"), max_bytes=8)
    assert caught.value.code == "json_too_large"
    with translation.override("en"), pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(b"{}", content_length=str(3 * 1024)), max_bytes=2048)
    assert "2 KB" in str(caught.value.message)


@pytest.mark.parametrize("content_length", [None, "", "not a number"])
def test_a_missing_or_unreadable_declared_length_counts_as_none(content_length):
    request = request_with(b"", content_length=content_length)
    assert jsonbody.read_json(request, max_bytes=0, empty={}) == {}


def test_an_empty_body_is_the_empty_value_only_when_one_is_given():
    assert jsonbody.read_json(request_with(b""), empty={"default": True}) == {"default": True}
    with pytest.raises(jsonbody.JSONBodyError) as caught:
        jsonbody.read_json(request_with(b""))
    assert caught.value.code == "json_invalid"
    assert jsonbody.read_json(request_with(b'{"a": 1}'), empty={}) == {"a": 1}


def test_closing_a_bracket_returns_to_the_depth_before_it():
    # Three deep, one closed: two; 31 more make 33, one too many.
    assert refused(b"[[[]" + b"[" * 31).code == "json_too_deep"
    # Two deep, one closed: one; 32 more make 33.
    assert refused(b"[[]" + b"[" * 32).code == "json_too_deep"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"\xff{}", "The request body is not valid JSON."),
        (b"[1]", "The request body must be a JSON object."),
    ],
)
def test_every_refusal_has_a_message_for_the_reader(body, message):
    with translation.override("en"):
        assert refused(body).message == message
