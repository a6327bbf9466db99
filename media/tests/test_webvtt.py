import pytest
from django.utils import translation

from media.webvtt import WebVTTError, parse
from tests.services import shared_fixture

GOOD = (
    "WEBVTT\n\n00:00.000 --> 00:02.500\n<v 老王>你好\n\n"
    "1\n00:00:03.000 --> 00:00:05.000 align:start\nsecond\n"
).encode()


def test_parses_cues_with_voice_tags_and_hours():
    cues = parse(GOOD)
    assert [(c.start, c.end) for c in cues] == [(0.0, 2.5), (3.0, 5.0)]
    assert cues[0].text == "<v 老王>你好"


def test_the_shared_fixture_parses():
    assert parse(shared_fixture("webvtt", "simple.vtt").read_bytes())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"00:00.000 --> 00:01.000\nhi\n", "WEBVTT"),
        (b"WEBVTT\n\n00:00.000 -> 00:01.000\nhi\n", "cues"),
        (b"WEBVTT\n\n00:00.000 --> 00:61.000\nhi\n", "Line 3"),
        (b"WEBVTT\n\n00:05.000 --> 00:01.000\nhi\n", "ends before"),
        (b"WEBVTT\n\n00:00.000 --> 00:01.000\n\xff\xfe\n", "UTF-8"),
        (b"WEBVTT\n\n", "no cues"),
        (b"WEBVTT\n" + b"x" * 600_000, "512 KB"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, message):
    with translation.override("en"), pytest.raises(WebVTTError) as error:
        parse(data)
    assert message in str(error.value)
