"""The parser: spans, the round trip parse(unparse(ast)) == ast, and that no input, however
broken, escapes as anything but a RideError."""

import string

import pytest
from conftest import SCENES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ride
from ride.errors import Diagnostics, RideError
from ride.language import nodes as n
from ride.language.syntax import parse
from ride.language.unparse import unparse

GIRO = (SCENES / "giro.ride").read_text()


def test_nodes_carry_spans():
    script = parse('title "x"\ncamera {\n  zoom 1 + t\n}\n', "s.ride")
    camera = script.statements[1]
    zoom = camera.settings[0]
    assert (zoom.span.line, zoom.span.col) == (3, 3)
    name = zoom.values[0].right
    assert isinstance(name, n.Name) and (name.span.line, name.span.col, name.span.end_col) == (3, 12, 13)


def test_commas_inside_calls_and_value_lists():
    script = parse("camera {\n  pan 0, arctan2(t, 2) * 3\n}")
    pan = script.statements[0].settings[0]
    assert len(pan.values) == 2 and pan.values[1].left.func == "arctan2"


def test_round_trip_of_every_scene():
    for scene in SCENES.glob("*.ride"):
        script = parse(scene.read_text())
        assert parse(unparse(script)) == script, scene.name


EXPRESSIONS = st.recursive(
    st.one_of(st.sampled_from(["t", "sec", "u", "n", "fps", "beat", "pi", "e"]),
              st.floats(0, 1000, allow_nan=False).map(lambda x: repr(round(x, 3)))),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "**", "<", "==", "&", "|"]), inner)
        .map(lambda x: f"({x[0]} {x[1]} {x[2]})"),
        inner.map(lambda x: f"-({x})"),
        inner.map(lambda x: f"~({x})"),
        inner.map(lambda x: f"sin({x})"),
        st.tuples(inner, inner, inner).map(lambda x: f"where({x[0]}, {x[1]}, {x[2]})"),
    ),
    max_leaves=8,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS)
def test_round_trip_of_expressions(expr):
    text = f'guidance {expr}\ntimeline {{\n  0 "a"\n  5 end\n}}\n'
    script = parse(text)
    assert parse(unparse(script)) == script


def _compiles_or_ride_error(text: str) -> None:
    try:
        ride.compile_text(text, "fuzz.ride")
    except RideError as error:
        assert error.problems and all(p.message for p in error.problems)
        str(error)  # formatting never fails either


ALPHABET = string.ascii_letters[:12] + string.digits + ' \n{}()+-*/%,"=#.:;<>&|~xsb\t' + "\u201c"
TOKENS = ["camera", "timeline", "track", "zoom", "pan", "seed", "end", "morph", "slerp", "ease", "in",
          "image", "let", "loop", "close", "0", "25", "2s", "50%", "+3", '"a road"', "{", "}", "\n", ",",
          "*", "(", ")", "t", "sin", "bezier", "hold", "cubic", "size", "512x512", "strength", "1.5", "-"]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_random_text_raises_only_ride_errors(text):
    _compiles_or_ride_error(text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_random_token_soup_raises_only_ride_errors(text):
    _compiles_or_ride_error(text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_scenes_raise_only_ride_errors(data):
    _compiles_or_ride_error(_mutated_giro(data))


def _mutated_giro(data) -> str:
    """giro.ride with 1 to 4 stretches of up to 12 characters replaced by a token or a character."""
    text = GIRO
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 12)))
        text = text[:i] + data.draw(st.sampled_from(["", *TOKENS, *ALPHABET])) + text[j:]
    return text


def _recovers(text: str) -> None:
    """With a collector nothing is raised; each problem is coded and placed; what is kept is valid."""
    diagnostics = Diagnostics("fuzz.ride", text)
    script = parse(text, "fuzz.ride", diagnostics)
    lines = text.count("\n") + 1
    for problem in diagnostics.problems:
        assert problem.code.startswith("R1") and problem.message and problem.hint
        assert 1 <= problem.span.line <= lines and problem.span.col >= 1
    if script is not None:
        parse(unparse(script))  # the kept statements are a script in the language's shape


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_token_soup_recovers(text):
    _recovers(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_scenes_recover(data):
    _recovers(_mutated_giro(data))
