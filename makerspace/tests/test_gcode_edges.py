"""G-code checks at their edges: brackets, checksums, the build volume's tolerance, what a
refusal tells the maker.

Found by mutation testing (scripts/mutation): each test pins a decision of makerspace/gcode.py
that test_gcode.py let change unnoticed. Refusals are asserted by code; where the message
quotes the offending word or line, that quotation is part of what is pinned.
"""

from functools import reduce

import pytest

from makerspace import gcode

# The same English messages and the same refusal helper as the main G-code tests.
from .test_gcode import english, refused  # noqa: F401


def xor(text: str) -> int:
    return reduce(lambda a, b: a ^ b, text.encode(), 0)


# -- ( ... ) comments ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "(open",
        "M104 S200 (open",
        ") M104 S200",
        "M104 S200 )",
        "M104 ) (x)",
        "M104 (a (b) c)",
        "M104 (a) (b",
        "M104 )(",
        "(a) M104 S200 (b (c))",
        "M104 S1 (a (b)",
        "M104 S1 ((b)",
    ],
)
def test_unclosed_nested_or_stray_brackets_are_refused(line):
    error = refused(f"G28\n{line}\n".encode())
    assert error.code == "gcode_bad_comment"
    assert error.message == ("Line 2: a comment in brackets is not closed, or is nested.")


@pytest.mark.parametrize(
    "line",
    ["(a) M104 S200 (b)", "M104 (a) S200 (b) (c)", "(only a comment)", "M104(a)S200", "M104 S1 ()"],
)
def test_closed_brackets_are_comments(line):
    result = gcode.analyse(f"G28\n{line}\n".encode())
    assert result.lines == 2


def test_only_spaces_are_trimmed_around_bracket_comments():
    assert gcode.analyse(b"M104 S1 (a)X\n").commands == 1  # X is a word, kept
    # A tab is not a separator: what is left around the comment is not a readable line.
    assert refused(b"M104\t(a) S1\n").code == "gcode_bad_word"
    assert refused(b"M104 (a)\t(b) S1\n").code == "gcode_bad_word"


# -- checksums -------------------------------------------------------------------------------------
def test_the_checksum_is_the_xor_of_everything_before_the_first_star():
    # A star inside a message: the first star starts the checksum, whatever follows.
    line = "M117 hi*there"
    assert refused(f"{line}*{xor(line)}\n".encode()).code == "gcode_bad_checksum"


def test_a_comment_after_the_checksum_may_hold_semicolons():
    line = "N1 G28"
    result = gcode.analyse(f"{line}*{xor(line)} ; note; more\n".encode())
    assert result.commands == 1


def test_the_largest_checksum_is_255():
    # The XOR of ASCII stays under 128: a message with a CJK character can reach 255.
    line = next(
        text
        for text in (f"M117 {chr(c)}{a}" for c in range(0x4E00, 0x4F00) for a in "abcdefgh")
        if xor(text) == 255
    )
    assert gcode.analyse(f"G28\n{line}*255\n".encode()).commands == 2
    error = refused(f"G28\n{line}*256\n".encode())
    assert error.code == "gcode_bad_checksum"
    assert error.message == "Line 2: the checksum after * must be a number from 0 to 255."


def test_a_wrong_checksum_names_its_line():
    error = refused(b"G28\nG1 X1*0\n")
    assert error.code == "gcode_bad_checksum"
    assert error.message == "Line 2: the checksum is wrong."


def test_an_empty_line_with_a_checksum_of_zero_is_nothing():
    assert gcode.analyse(b"*0\nG28\n").commands == 1


# -- what a refusal quotes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("G1 X1..2", "gcode_bad_number", "X1..2 is not a number G-code can use."),
        ("G1 X1 Y--2", "gcode_bad_number", "Y--2 is not a number G-code can use."),
        ("G1 X1,5", "gcode_bad_number", "X1,5 is not a number G-code can use."),
        ("G1 X1 ,5", "gcode_bad_number", ",5 is not a number G-code can use."),
        ("G1 X1 Y2 +", "gcode_bad_number", "+ is not a number G-code can use."),
        ("G1 X.", "gcode_bad_number", "X. is not a number G-code can use."),
        ("G1 X1 Y 1.2.3", "gcode_bad_number", "Y is not a number G-code can use."),
        ("G1 X1 #", "gcode_bad_word", "cannot read #."),
        ("M104 S200 !", "gcode_bad_word", "cannot read !."),
        (
            "M104 S1 !abcdefghijklmnopqrstuvwxyz",
            "gcode_bad_word",
            "cannot read !abcdefghijklmnopqrs.",
        ),
        ("M104 S1 !ab cd", "gcode_bad_word", "cannot read !ab."),
        ("M104 S1 !ab cd ef", "gcode_bad_word", "cannot read !ab."),
        ("G1 X10\tY5", "gcode_bad_word", "cannot read X10\tY5."),
        ("G1 X10 \tY5", "gcode_bad_word", "cannot read \tY5."),
        ("M104 S1.2.3 T1", "gcode_bad_number", "S1.2.3 is not a number G-code can use."),
    ],
)
def test_an_unreadable_line_quotes_the_word_it_cannot_read(line, code, message):
    error = refused(f"G28\n{line}\n".encode())
    assert (error.code, error.message) == (code, f"Line 2: {message}")


@pytest.mark.parametrize(
    ("arc", "why"),
    [
        ("G2 X10 Y0 I5 J0 R5", "give either I and J, or R, not both"),
        ("G2 X10 Y0 R5 I5", "give either I and J, or R, not both"),
        ("G2 X10 Y0 R5 J0", "give either I and J, or R, not both"),
        ("G2 X10 Y0 R0", "an arc with R needs a radius and an end point"),
        ("G2 X0 Y0 R5", "an arc with R needs a radius and an end point"),
        ("G2 X10 Y0 R2", "the radius R is too small to reach the end point"),
        ("G2 X10 Y0", "the arc has no centre: give I and J, or R"),
        ("G2 X0 Y0 I0 J0", "the arc's centre is its start point"),
        ("G2 X0.08 Y0 I0.01", "the end point is not on the arc's circle"),
    ],
)
def test_an_impossible_arc_says_why(arc, why):
    error = refused(f"G28\n{arc}\n".encode())
    assert error.code == "gcode_bad_arc"
    assert error.message == f"Line 2: this arc cannot be drawn: {why}."


def test_r_arcs_at_their_limits_are_drawn():
    # Radius 1 is a radius like any other; R exactly half the chord less the slack still fits.
    assert gcode.analyse(b"G28\nG2 X2 Y0 R1\n").extent["Y"] == (0.0, 1.0)
    assert gcode.analyse(b"G28\nG2 X10 Y0 R4.95\n").extent["Y"] == (0.0, 5.0)


def test_arcs_at_the_limits_of_their_checks_are_drawn():
    assert gcode.analyse(b"G28\nG2 X2 Y0 I1\n").extent["Y"] == (0.0, 1.0)  # radius 1
    # The end 0.06 from the centre of a 0.01 circle: exactly the 0.05 mm slack, still drawn.
    assert gcode.analyse(b"G28\nG2 X0.07 Y0 I0.01\n").extent["X"] == (0.0, 0.07)


def test_a_missing_i_or_j_is_zero():
    only_i = gcode.analyse(b"G28\nG2 X10 Y0 I5\n").extent
    assert only_i["X"] == (0.0, 10.0) and only_i["Y"] == pytest.approx((0.0, 5.0))
    only_j = gcode.analyse(b"G28\nG2 X0 Y10 J5\n").extent
    assert only_j["X"] == pytest.approx((-5.0, 0.0), abs=1e-9)
    assert only_j["Y"] == pytest.approx((0.0, 10.0))


def test_a_short_r_arc_under_one_millimetre_takes_the_short_way():
    # R0.6 over a chord of 1: the short arc bulges 0.27 mm; the long way would reach 0.87 mm.
    clockwise = gcode.analyse(b"G28\nG2 X1 Y0 R0.6\n").extent["Y"]
    assert clockwise == pytest.approx((0.0, 0.2683375), abs=1e-6)
    counter = gcode.analyse(b"G28\nG3 X1 Y0 R0.6\n").extent["Y"]
    assert counter == pytest.approx((-0.2683375, 0.0), abs=1e-6)


# -- the build volume and the estimates ---------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "fits"),
    [
        (0.0, 200.0, True),
        (-0.001, 200.001, True),  # the tolerance, exactly
        (-0.0011, 100.0, False),
        (-0.5, 100.0, False),
        (0.0, 200.0011, False),
    ],
)
def test_the_build_volume_tolerance_is_a_thousandth_of_a_millimetre(low, high, fits):
    analysis = gcode.Analysis(extent={"X": (low, high), "Y": (0.0, 1.0), "Z": (0.0, 1.0)})
    assert analysis.fits(x=200, y=200, z=200) is fits
    assert analysis.fits(x=200, y=200, z=0.5) is False


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d 2h 3m 4s", 86400 + 7200 + 180 + 4),
        ("2d", 172800),
        ("5m 1s", 301),
        ("45s", 45),
        ("3 h", 10800),
    ],
)
def test_estimated_times_in_every_unit(text, seconds):
    data = f"G28\n; estimated printing time (normal mode) = {text}\n".encode()
    assert gcode.analyse(data).seconds == seconds


# -- the file as a whole -------------------------------------------------------------------------
def test_only_the_first_64_kib_are_searched_for_binary_data():
    head = b"G28\n; "
    at_limit = head + b"x" * (65535 - len(head)) + b"\0\n"
    assert at_limit.index(b"\0") == 65535
    assert refused(at_limit).code == "gcode_binary"
    beyond = head + b"x" * (65536 - len(head)) + b"\0\n"
    assert gcode.analyse(beyond).commands == 1


def test_a_file_that_is_not_utf8_is_read_as_latin1_for_its_checksums():
    line = "M117 café"
    checksum = reduce(lambda a, b: a ^ b, line.encode("latin-1"), 0)
    data = f"{line}*{checksum}\n".encode("latin-1")
    assert gcode.analyse(data).commands == 1
    utf8 = reduce(lambda a, b: a ^ b, line.encode("utf-8"), 0)
    assert utf8 != checksum
    assert refused(f"{line}*{utf8}\n".encode("latin-1")).code == "gcode_bad_checksum"


def test_the_first_time_estimate_counts_and_every_filament_figure_is_read():
    result = gcode.analyse(
        b"G28\n; estimated printing time = 5m\n; estimated printing time (normal mode) = 1h\n"
        b"; total filament used [g] = 2.5\n; filament used [mm] = 100\n"
    )
    assert (result.seconds, result.filament_g, result.filament_mm) == (300, 2.5, 100.0)
    assert (result.lines, result.commands) == (5, 1)


def test_lines_are_counted_with_or_without_a_final_newline():
    assert gcode.analyse(b"G28\nG1 X1").lines == 2
    assert gcode.analyse(b"G28\nG1 X1\n").lines == 2
    assert gcode.analyse(b"G28\nG1 X1\n\n").lines == 3


# -- the deny-list -------------------------------------------------------------------------------
def test_denied_commands_are_listed_by_name_with_at_most_five_lines_each():
    error = refused(b"M999\nG28\nM500\nM500\nM500\nM500\nM500\nM500\n")
    assert error.code == "gcode_denied"
    assert error.message == (
        "The G-code contains commands the library does not allow: "
        "M500 (line 3, 4, 5, 6, 7); M999 (line 1)"
    )


def test_a_file_of_denied_commands_only_is_denied_not_empty():
    assert refused(b"M500\n").code == "gcode_denied"


def test_a_denied_command_is_denied_with_any_sub_code_and_named_as_denied():
    error = refused(b"G28\nM500.1\n")
    assert (error.code, error.message) == (
        "gcode_denied",
        "The G-code contains commands the library does not allow: M500 (line 2)",
    )


def test_a_denied_sub_code_denies_only_that_sub_code():
    error = refused(b"G28\nG1.5 X1\n", deny=("g 01.05",))
    assert error.message == (
        "The G-code contains commands the library does not allow: G1.5 (line 2)"
    )
    assert gcode.analyse(b"G28\nG1 X1\n", deny=("G1.5",)).commands == 2
    error = refused(b"G28\nG1.5 X1\n")
    assert (error.code, error.message) == (
        "gcode_unknown_command",
        "G1.5 (line 2) is not a command the library's printers accept.",
    )


@pytest.mark.parametrize(
    ("entry", "name"), [(" g 01.05 ", "G1.5"), ("m0500", "M500"), ("T1", "T1"), ("M 999", "M999")]
)
def test_deny_list_entries_are_normalised(entry, name):
    assert gcode.normalise(entry) == name


@pytest.mark.parametrize("entry", ["M50O", "G", "x1", "  ", "G1.", "M500 M502"])
def test_deny_list_entries_that_are_not_command_names_are_refused(entry):
    with pytest.raises(ValueError, match="not a G-code command name"):
        gcode.normalise(entry)


# -- following the head --------------------------------------------------------------------------
def test_g0_moves_like_g1():
    result = gcode.analyse(b"G0 X5 Y-3 Z2\n")
    assert result.extent == {"X": (0.0, 5.0), "Y": (-3.0, 0.0), "Z": (0.0, 2.0)}


def test_g92_on_the_extruder_alone_moves_nothing():
    assert gcode.analyse(b"G92 E0\nG1 X5\n").extent["X"] == (0.0, 5.0)


def test_homing_one_axis_clears_only_its_offset():
    result = gcode.analyse(b"G28\nG1 X10 Y10\nG92 X0 Y0\nG1 X5 Y5\nG28 X\nG1 X1 Y1\n")
    assert result.extent["X"] == (0.0, 15.0)
    assert result.extent["Y"] == (0.0, 15.0)
    later = gcode.analyse(b"G28\nG1 X10 Y10\nG92 X0 Y0\nG28 X\nG1 X1 Y-20\n")
    assert later.extent["X"] == (0.0, 10.0)
    assert later.extent["Y"] == (-10.0, 10.0)


def test_units_may_change_at_home_only():
    assert gcode.analyse(b"G21\nG20\nG1 X1\n").extent["X"] == (0.0, 25.4)
    assert gcode.analyse(b"G28\nG1 X1\nG21\n").commands == 3  # no change: nothing to check
    error = refused(b"G28\nG1 X1\nG20\n")
    assert (error.code, error.message) == (
        "gcode_unit_change",
        "Line 3: units may only change at the home position (before any move, or right after G28).",
    )
    assert gcode.analyse(b"G28\nG1 X1\nG28\nG20\nG1 X1\n").extent["X"] == (0.0, 25.4)
    assert refused(b"G92 X5\nG20\n").code == "gcode_unit_change"  # an offset is not home


def test_messages_and_bracket_comments_on_m_lines():
    assert gcode.analyse(b"M117 Hello (world) & more\n").commands == 1
    assert gcode.analyse(b"M104 S200 (hot end)\n").commands == 1
    assert refused(b"G4 P100 (wait)\n").code == "gcode_bad_comment"


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (b"G21\nG1 Y1 X1 X2\n", "Line 2: G1 gives X twice."),
        (b"G1 X1 Q5\n", "Line 1: G1 does not take the parameter Q."),
        (b"G90\nG92 X0\nG2 X1 Y1 K3\n", "Line 3: G2 does not take the parameter K."),
    ],
)
def test_a_bad_parameter_is_named_with_its_command_and_line(program, message):
    error = refused(program)
    assert (error.code, error.messages) == ("gcode_bad_parameter", [message])


def test_refusals_of_the_whole_file_say_what_is_wrong(monkeypatch):
    assert refused(b"; only a comment\n\n").messages == ["The file contains no G-code commands."]
    assert refused(b"G1 X1\n\0\n").messages == [
        "This is not a G-code file (it contains binary data)."
    ]
    monkeypatch.setattr(gcode, "MAX_BYTES", 3 * 2**20)
    assert refused(b"G1 X1\n" * (2**20)).messages == ["The G-code file is larger than 3 MB."]


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (b"G1 X\n", "Line 1: G1 needs a number after X."),
        (b"X" + b"1" * 50 + b"\n", "Line 1 is not a G-code command: X" + "1" * 39),
        (b"G1 x1." + b"0" * 45 + b"\n",
         "Line 1: write G commands in capital letters (G1 x1." + "0" * 34 + ")."),
    ],
)  # fmt: skip
def test_a_refused_line_is_quoted_in_its_first_40_characters(program, message):
    assert refused(program).messages == [message]


def test_only_the_first_semicolon_starts_the_comment():
    assert gcode.analyse(b"G21\nG90\nG1 X1 Y1 ; first; second\n").commands == 3
