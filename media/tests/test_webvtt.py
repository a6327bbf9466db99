"""WebVTT: the strict check for uploads and the desk's editor, and the lenient ``repair`` used
only when importing other archives' files. Every sample is written here; the shared file is an
extra conformance check."""

import itertools

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from media.webvtt import OUT_OF_ORDER_TOLERANCE_MS, WebVTTError, parse, repair, timestamp
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


# --- The strict path stays strict -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"WEBVTT\n\n00:00:29.000 --> 00:00:29.000\nzero length\n", "ends_before_start"),
        (b"WEBVTT\n\n00:00:29.000 --> 00:00:00.000\nopen end\n", "ends_before_start"),
        (b"WEBVTT\n\n00:00:29.000 -->\nno end\n", "bad_timing"),
        (b"\n WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nblank line first\n", "no_header"),
    ],
)
def test_parse_refuses_what_only_repair_mends(data, code):
    with pytest.raises(WebVTTError) as error:
        parse(data)
    assert error.value.code == code


# --- Lenient repair (OHMS import) -------------------------------------------------------------

CLEAN = (
    "WEBVTT Kind: captions\n\nNOTE made by hand\n\n"
    "intro\n00:00:00.000 --> 00:00:02.500 align:start\n<v 老王>你好\n\n"
    "00:00:03.000 --> 00:00:05.000\nsecond\nline\n"
)


def _cues(text: str) -> list[tuple[float, float, str]]:
    return [(c.start, c.end, c.text) for c in parse(text.encode())]


@pytest.mark.parametrize(
    "text",
    [
        CLEAN,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfrom Shenyang --> to Dalian\n",
        "WEBVTT\n\n00:01.000 --> 00:02.000\na\n\n\n\n00:00:03.000 --> 00:00:04.000\nb\n\n\n",
    ],
)
def test_repair_leaves_a_valid_file_exactly_as_it_was(text):
    repaired = repair(text)
    assert repaired.text == text
    assert repaired.repairs == ()
    assert _cues(repaired.text) == _cues(text)


@pytest.mark.parametrize(
    ("text", "codes", "cues"),
    [
        pytest.param(
            "WEBVTT\n\n00:00:20.000 --> 00:00:29.000\na\n\n00:00:29.000 --> 00:00:29.000\nb\n\n"
            "00:00:31.000 --> 00:00:40.000\nc\n",
            ["zero_length"], [(20, 29, "a"), (29, 31, "b"), (31, 40, "c")], id="zero-length"),
        pytest.param(
            "WEBVTT\n\n00:00:29.000 --> 00:00:29.000\nlast\n",
            ["zero_length"], [(29, 39, "last")], id="zero-length-last"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\na\n\n00:00:04.000 --> 00:00:08.000\nb\n",
            ["overlap"], [(1, 4, "a"), (4, 8, "b")], id="overlap"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:30.000\na\n\n00:00:04.000 --> 00:00:08.000\nb\n\n"
            "00:00:09.000 --> 00:00:10.000\nc\n",
            ["overlap"], [(1, 4, "a"), (4, 8, "b"), (9, 10, "c")], id="overlap-over-two"),
        pytest.param(
            "WEBVTT\n\n00:00:29.000 -->\na\n\n00:00:35.000 --> 00:00:36.000\nb\n",
            ["missing_end"], [(29, 35, "a"), (35, 36, "b")], id="arrow-no-end"),
        pytest.param(
            "WEBVTT\n\n00:00:29.000\na\n\n00:00:35.000 --> 00:00:36.000\nb\n",
            ["missing_end"], [(29, 35, "a"), (35, 36, "b")], id="start-only"),
        pytest.param(
            "WEBVTT\n\n01:01:22.000 --> 00:00:00.000\nohms end\n",
            ["open_end"], [(3682, 3692, "ohms end")], id="ohms-open-end"),
        pytest.param(
            "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:01.000 --> 00:00:02.000\nb\n",
            ["out_of_order"], [(1, 2, "b"), (5, 6, "a")], id="slightly-out-of-order"),
        pytest.param(
            "\ufeffWEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n",
            ["bom"], [(1, 2, "a")], id="bom"),
        pytest.param(
            "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\na\r\nb\r\n",
            ["line_endings"], [(1, 2, "a\nb")], id="crlf"),
        pytest.param(
            "WEBVTT\r\r00:00:01.000 --> 00:00:02.000\ra\r",
            ["line_endings"], [(1, 2, "a")], id="cr-only"),
        pytest.param(
            "\n\n  WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n",
            ["before_header"], [(1, 2, "a")], id="blank-lines-before-header"),
        pytest.param(
            "WEBVTT\n \t\n00:00:01.000 --> 00:00:02.000\na\n  \n",
            ["blank_spaces"], [(1, 2, "a")], id="space-only-lines"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\nthe text after a blank\n",
            ["joined_text"], [(1, 2, "the text after a blank")], id="blank-after-timing"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\n\ntwo\n\nNOTE kept apart\n",
            ["joined_text"], [(1, 2, "one\ntwo")], id="paragraph-in-cue"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n00:00:02.000 --> 00:00:03.000\nb\n",
            ["missing_blank_line"], [(1, 2, "a"), (2, 3, "b")], id="no-blank-between-cues"),
        pytest.param(
            "WEBVTT\n00:00:01.000 --> 00:00:02.000\na\n",
            ["missing_blank_line"], [(1, 2, "a")], id="no-blank-after-header"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000-->00:00:02.000 align:start\na\n",
            ["timing_spacing"], [(1, 2, "a")], id="no-spaces-around-arrow"),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\na\n\n00:00:01.000 --> 00:00:03.000\nb\n",
            ["same_start"], [(1, 5, "a"), (1, 3, "b")], id="same-start-kept"),
    ],
)  # fmt: skip
def test_repair_mends_faults_with_one_meaning_and_names_each(text, codes, cues):
    repaired = repair(text)
    assert [fix.code for fix in repaired.repairs] == codes
    assert all(fix.message for fix in repaired.repairs)
    assert _cues(repaired.text) == cues


def test_every_repair_in_one_file_is_listed_with_its_line():
    text = (
        "\ufeff\nWEBVTT\r\n\r\n00:00:29.000 --> 00:00:29.000\r\nA\r\n\r\n00:00:30.000 -->\r\n"
        "B\r\n  \r\nB2\r\n00:00:33.000\r\nC\r\n00:00:34.000-->00:00:50.000\r\nD\r\n"
    )
    repaired = repair(text)
    assert [(fix.code, fix.line) for fix in repaired.repairs] == [
        ("bom", 1),
        ("before_header", 1),
        ("line_endings", 2),
        ("zero_length", 4),
        ("missing_end", 7),
        ("blank_spaces", 9),
        ("missing_end", 11),
        ("missing_blank_line", 13),
        ("timing_spacing", 13),
    ]
    # "B2" directly above a timing is that cue's identifier, as WebVTT reads it.
    assert _cues(repaired.text) == [(29, 30, "A"), (30, 33, "B"), (33, 34, "C"), (34, 50, "D")]


def test_out_of_order_is_mended_up_to_the_tolerance_and_refused_beyond():
    def file(back_ms: int) -> str:
        start = timestamp((20_000 - back_ms) / 1000)
        return f"WEBVTT\n\n00:00:20.000 --> 00:00:21.000\na\n\n{start} --> 00:00:30.000\nb\n"

    assert [f.code for f in repair(file(OUT_OF_ORDER_TOLERANCE_MS)).repairs] == [
        "out_of_order", "overlap"
    ]  # fmt: skip
    with pytest.raises(WebVTTError) as error:
        repair(file(OUT_OF_ORDER_TOLERANCE_MS + 1))
    assert error.value.code == "out_of_order"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("WEBVTT\n\n00:00:xx.000 --> 00:00:30.000\na\n", "bad_timing", id="not-a-time"),
        pytest.param("WEBVTT\n\n00:61:00.000 --> 01:02:00.000\na\n", "bad_timing", id="minute-61"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> soon\na\n", "bad_timing", id="end-not-a-time"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> align:start\na\n", "bad_timing",
                     id="settings-no-end"),
        pytest.param("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\na\n", "bad_timing",
                     id="srt-commas"),
        pytest.param("WEBVTT\n\n00:00:05.000 --> 00:00:04.000\na\n", "ends_before_start",
                     id="ends-before-start"),
        pytest.param("WEBVTT\n\n00:10:00.000 --> 00:10:05.000\na\n\n00:01:00.000 --> "
                     "00:01:05.000\nb\n", "out_of_order", id="far-out-of-order"),
        pytest.param("1\n00:00:01,000 --> 00:00:02,000\nsubrip\n", "no_header", id="srt-file"),
        pytest.param("Just a plain transcript.\nSecond line.\n", "no_header", id="plain-text"),
        pytest.param("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\na\n", "no_header",
                     id="wrong-signature"),
        pytest.param("", "no_header", id="empty"),
        pytest.param("WEBVTT\n\nNOTE only a note\n", "no_cues", id="no-cues"),
    ],
)  # fmt: skip
def test_repair_refuses_what_it_would_have_to_guess(text, code):
    with pytest.raises(WebVTTError) as error:
        repair(text)
    assert error.value.code == code


_DEFECTS = ["none", "zero", "open", "missing", "start_only", "overlap", "blank_after_timing"]


@st.composite
def damaged_files(draw) -> tuple[str, list[tuple[int, str]]]:
    """A WebVTT file of cues in time order with random faults, and its (start ms, text)."""
    count = draw(st.integers(min_value=1, max_value=12))
    gaps = draw(st.lists(st.integers(1, 20_000), min_size=count, max_size=count))
    words = st.text(alphabet="口述历史abc xyz", min_size=1, max_size=12).map(str.strip)
    texts = draw(st.lists(words.filter(bool), min_size=count, max_size=count))
    defects = draw(st.lists(st.sampled_from(_DEFECTS), min_size=count, max_size=count))
    crlf = draw(st.booleans())
    start, blocks, expected = 0, [], []
    for n in range(count):
        start += gaps[n]
        end = start + draw(st.integers(1, 15_000))
        a, b = timestamp(start / 1000), timestamp(end / 1000)
        timing = {
            "zero": f"{a} --> {a}",
            "open": f"{a} --> 00:00:00.000",
            "missing": f"{a} -->",
            "start_only": a,
            "overlap": f"{a} --> {timestamp((end + 60_000) / 1000)}",
        }.get(defects[n], f"{a} --> {b}")
        separator = "\n\n" if defects[n] == "blank_after_timing" else "\n"
        blocks.append(f"{timing}{separator}{texts[n]}")
        expected.append((start, texts[n]))
    text = "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"
    return (text.replace("\n", "\r\n") if crlf else text), expected


@settings(max_examples=150, deadline=None)
@given(damaged_files())
def test_repaired_files_pass_the_strict_parser_and_keep_every_cue(case):
    text, expected = case
    repaired = repair(text)
    cues = parse(repaired.text.encode())
    assert [(round(c.start * 1000), c.text) for c in cues] == expected
    for cue, following in itertools.pairwise(cues):
        assert cue.end <= following.start
    # Nothing is mended silently: an undamaged file comes back unchanged.
    assert (repaired.text == text) == (repaired.repairs == ())
