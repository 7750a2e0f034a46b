"""Bugs of the compiler, each with the test that would have caught it; and the diagnostics' codes."""

import re

import numpy as np
import pytest
from conftest import ROOT

import ride
from ride.compile.compiler import compile_text
from ride.errors import RideError

TIMELINE = 'timeline {\n  0 "a road"\n  10 "a sea" morph 4\n  20 end\n}\n'


def errors_of(text):
    with pytest.raises(RideError) as caught:
        compile_text(text, "scene.ride")
    return caught.value.problems


def test_a_seed_track_sets_each_frames_seed_floored():
    plan = compile_text("track seed {\n  0 1\n  10 100\n}\n" + TIMELINE)
    seeds = plan.columns["seed"]
    expected = np.floor(1 + 99 * np.clip(np.arange(20) / 10, 0, 1))
    assert seeds.tolist() == expected.astype(int).tolist()
    assert seeds[0] == 1 and seeds[5] == 50 and seeds[19] == 100


def test_a_seed_track_and_a_seed_line_are_one_setting_set_twice():
    (problem,) = errors_of("seed 3\ntrack seed {\n  0 1\n  10 100\n}\n" + TIMELINE)
    assert problem.code == "R204" and problem.message == "'seed' is set twice" and problem.span.line == 2


def test_loop_close_with_loop_pingpong_says_they_cannot_be_combined():
    (problem,) = errors_of("loop close 12\nloop pingpong\n" + TIMELINE)
    assert problem.code == "R209" and problem.span.line == 2
    assert problem.message == "`loop close` and `loop pingpong` cannot be combined"
    assert "keep one" in problem.hint and "line 1" in problem.hint
    (twice,) = errors_of("loop close 12\nloop close 4\n" + TIMELINE)
    assert twice.message == "'loop' is set twice"


def test_morph_on_the_first_key_is_an_error_with_a_hint():
    (problem,) = errors_of('timeline {\n  0 "a road" morph 4\n  20 end\n}\n')
    assert problem.code == "R414" and problem.span.line == 2 and problem.span.col == 14
    assert "nothing to morph from" in problem.message and problem.hint


def test_every_compile_problem_has_a_documented_code_in_the_compile_ranges():
    codes = set()
    for path in (ROOT / "ride" / "compile").glob("*.py"):
        codes |= set(re.findall(r'"(R\d{3})"', path.read_text()))
    assert codes and all("R200" <= c < "R600" for c in codes)
    documented = set(re.findall(r"^\| (R\d{3}) \|", (ROOT / "docs" / "errors.md").read_text(), re.M))
    assert codes <= documented, sorted(codes - documented)


def test_every_problem_of_a_file_comes_at_once_in_line_order_with_codes():
    text = ('zom 1.01\nstrength 2\nfps 12\nfps 24\ncamera { steps 3 }\nloop close 4\nloop pingpong\n'
            'timeline {\n  0 "a" morph 3\n  5 image "nope.png"\n  20 end\n}\n')
    problems = errors_of(text)
    assert [p.span.line for p in problems] == sorted(p.span.line for p in problems)
    assert [p.code for p in problems] == ["R201", "R306", "R204", "R202", "R209", "R414", "R505"]


def test_a_problem_shows_its_code():
    with pytest.raises(RideError) as caught:
        ride.compile_text("zom 1\n" + TIMELINE, "scene.ride")
    assert str(caught.value).startswith("scene.ride:1:1: error: unknown setting 'zom'")


def test_a_timeline_word_written_as_a_setting_says_where_it_belongs(tmp_path):
    for word, where in (("morph 3", "morph belongs on a timeline key"), ('image "x.png"', "an image is a timeline key")):
        with pytest.raises(RideError) as caught:
            ride.compile_text(word + '\ntimeline {\n  0 "a road"\n  12 end\n}\n', str(tmp_path / "scene.ride"))
        (problem,) = caught.value.problems
        assert problem.code == "R201" and where in problem.hint
