"""`ride fmt`: the layout, and its three promises over every scene, every doc block and generated scripts:
idempotent, the plan unchanged, every comment kept."""

from __future__ import annotations

import io
import random
from collections import Counter

import pytest
from conftest import SCENES
from fuzz_inputs import grammar_aware
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from test_docs import BLOCKS, TIMELINE

import ride
from ride.cli import main
from ride.errors import RideError, RideSyntaxError
from ride.language.format import format_text
from ride.language.syntax import grammar

SCENE_FILES = sorted(SCENES.glob("*.ride"))


class _Comments:
    """The comments of a text, as the grammar's own lexer sees them (a path apart from fmt's)."""

    def __init__(self):
        self.found: list[str] = []
        self.lark = Lark(grammar(), parser="lalr", lexer_callbacks={"COMMENT": self._add})

    def _add(self, token):
        self.found.append(str(token).rstrip())

    def __call__(self, text: str) -> Counter:
        self.found = []
        self.lark.parse(text)
        return Counter(self.found)


COMMENTS = _Comments()


def plan_values(text: str):
    """What the script means: the plan's JSON without where it came from, or the errors it has."""
    try:
        plan = ride.compile_text(text, str(SCENES / "fmt_check.ride"), random_seed=7)
    except RideError as error:
        return sorted((p.code, p.message) for p in error.problems)
    data = plan.to_json()
    del data["source"]
    return data


def assert_promises(text: str) -> str:
    formatted = format_text(text)
    assert format_text(formatted) == formatted, "fmt is not idempotent:\n" + formatted
    assert COMMENTS(formatted) == COMMENTS(text), "fmt lost or changed a comment:\n" + formatted
    assert plan_values(formatted) == plan_values(text), "fmt changed the plan:\n" + formatted
    return formatted


# ---- the promises -------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENE_FILES, ids=lambda p: p.name)
def test_every_scene_keeps_its_plan_and_comments_and_is_already_formatted(path):
    text = path.read_text(encoding="utf-8")
    assert assert_promises(text) == text, f"run `ride fmt {path.relative_to(SCENES.parent)}`"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_every_doc_block(block):
    text = block.text
    if "fragment" in block.kinds and "timeline" not in text:
        text += TIMELINE
    try:
        format_text(text)
    except RideSyntaxError:
        assert "error" in block.kinds, f"{block.name} does not parse"
        return  # a script that does not parse is not formatted (test_fmt_refuses_a_broken_file)
    assert_promises(text)


def test_the_layout_shown_in_the_docs_is_the_layout():
    (shown,) = [b for b in BLOCKS if b.doc.name == "editors.md"]
    assert format_text(shown.text) == shown.text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_generated_scripts(seed):
    text = grammar_aware(random.Random(seed))
    try:
        ride.compile_text(text, str(SCENES / "fmt_check.ride"), random_seed=7)
    except (RideError, OverflowError, ValueError):  # the last two: compiler bugs on huge and NaN times,
        # cadences (tests/test_hostile.py fails on them too)
        return  # only scripts that compile: their plans are compared
    assert_promises(text)


# ---- the layout -----------------------------------------------------------------------------


def test_the_layout():
    messy = (
        "title \"A\"  # the title\nguidance   7;  strength .4\nsize 512 X 256\n\n\n"
        "let a=2*pi*sec\nlet bb =  1 +0.5*a\n"
        "camera { zoom 1.01; pan 0.3*sin(a) ,0 }\n"
        "track noise {\n\n 0 0.02\n 2.5s 0.05 ease   in # rising\n end 0.02\n\n}\n"
        "timeline {\n  0 \"a road\"\n  25 \"a long road by the sea\" morph 10 slerp\n"
        "  +12 \"a\"*0.5+image \"x.png\" * 0.5 negative \"blur\"\n  75 end }\n"
    )
    assert format_text(messy) == (
        'title    "A"  # the title\n'
        "guidance 7\n"
        "strength .4\n"
        "size     512x256\n"
        "\n"
        "let a  = 2*pi*sec\n"
        "let bb = 1 + 0.5*a\n"
        "camera {\n"
        "  zoom 1.01\n"
        "  pan  0.3*sin(a), 0\n"
        "}\n"
        "track noise {\n"
        "  0     0.02\n"
        "  2.5s  0.05   ease in  # rising\n"
        "  end   0.02\n"
        "}\n"
        "timeline {\n"
        '  0     "a road"\n'
        '  25    "a long road by the sea"         morph 10 slerp\n'
        '  +12   "a" * 0.5 + image "x.png" * 0.5  negative "blur"\n'
        "  75    end\n"
        "}\n"
    )


def test_a_key_block_on_one_line_stays_on_one_line_and_one_over_lines_gets_a_key_per_line():
    text = "camera {\n  zoom {0 1.0;2s 1.1 ease}\n  focus { 0 0.5\n 50% 0.4 cubic }, 0.6  # x\n}\n"
    assert format_text(text) == (
        "camera {\n"
        "  zoom { 0 1.0; 2s 1.1 ease }\n"
        "  focus {\n"
        "    0     0.5\n"
        "    50%   0.4    cubic  # x\n"  # with the key, not with the `}` after it
        "  }, 0.6\n"
        "}\n"
    )


def test_comments_stay_where_they_were():
    text = ("# header\n\n\nfps 12; steps 30 # both\n"
            "camera {  # the camera\n   # zoom first\n zoom 1   # in\n rotate 0.5  # turn\n\n  # last\n}\n"
            "# the end\n")
    assert format_text(text) == (
        "# header\n\n"
        "fps   12\n"
        "steps 30  # both\n"
        "camera {  # the camera\n"
        "  # zoom first\n"
        "  zoom   1    # in\n"
        "  rotate 0.5  # turn\n"
        "\n"
        "  # last\n"
        "}\n"
        "# the end\n"
    )


def test_phrases_are_not_aligned_and_end_a_run():
    text = "seed 1 iter\noutput \"a.mp4\"\nloop close 40 ease\ncolor match off\nreverse\nengine preview\n"
    assert format_text(text) == (
        'seed   1 iter\noutput "a.mp4"\nloop close 40 ease\ncolor match off\nreverse\nengine preview\n')


def test_numbers_strings_and_expressions_keep_their_spelling():
    text = "let k = -(1.50e0)*where(u<0.5,1,-1)\ntitle 'single'\nzoom\\\n 1.0\n"
    assert format_text(text) == "let k = -(1.50e0)*where(u<0.5, 1, -1)\ntitle 'single'\nzoom  1.0\n"


def test_line_ends_and_a_byte_order_mark_are_kept():
    assert format_text("\ufefffps  12\r\nsteps 3\r\n") == "\ufefffps   12\r\nsteps 3\r\n"
    assert format_text("") == ""
    assert format_text("\n\n# only a comment\n\n") == "# only a comment\n"


def test_fmt_refuses_a_broken_file():
    with pytest.raises(RideSyntaxError) as raised:
        format_text("fps 12\nzoom 1 +\nsteps 30 40\n", "bad.ride")
    assert len(raised.value.problems) == 2
    assert all(p.path == "bad.ride" or not p.path for p in raised.value.problems)


# ---- the command ----------------------------------------------------------------------------


def test_ride_fmt_rewrites_files_and_check_shows_the_diff(tmp_path, capsys):
    messy, tidy = tmp_path / "messy.ride", tmp_path / "tidy.ride"
    messy.write_text("fps 12\nguidance  7\n", encoding="utf-8")
    tidy.write_text("fps 12\n", encoding="utf-8")
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 1
    out = capsys.readouterr()
    assert "-fps 12\n-guidance  7\n+fps      12\n+guidance 7\n" in out.out and "would be reformatted" in out.err
    assert messy.read_text() == "fps 12\nguidance  7\n"  # --check changes nothing

    assert main(["fmt", str(messy), str(tidy)]) == 0
    assert messy.read_text() == "fps      12\nguidance 7\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.ride", "tidy.ride"]  # no temporary left
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 0
    assert capsys.readouterr().out == ""


def test_ride_fmt_leaves_a_broken_file_alone_and_reports_it(tmp_path, capsys):
    broken = tmp_path / "broken.ride"
    broken.write_text("fps  12\nsteps 30 40\n", encoding="utf-8")
    assert main(["fmt", str(broken), str(tmp_path / "missing.ride")]) == 1
    err = capsys.readouterr().err
    assert "broken.ride:2:10: error" in err and "[R104]" in err
    assert "missing.ride" in err and "[R501]" in err
    assert broken.read_text() == "fps  12\nsteps 30 40\n"


def test_ride_fmt_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.ride"
    real.write_text("fps  12\n", encoding="utf-8")
    link = tmp_path / "link.ride"
    link.symlink_to(real)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and real.read_text() == "fps 12\n"


def test_ride_fmt_reads_standard_input_for_editors(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("fps 12\nguidance  7\n"))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == "fps      12\nguidance 7\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("fps 12 13\n"))
    assert main(["fmt", "-"]) == 1
    assert "<stdin>:1:8: error" in capsys.readouterr().err


def test_deep_nesting_is_a_positioned_error_and_long_chains_are_linear():
    with pytest.raises(RideSyntaxError) as raised:
        format_text("let a = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    assert raised.value.problems[0].code == "R109"
    assert format_text("let a = " + "(" * 300 + "1" + ")" * 300 + "\n").count("(") == 300
    chain = "let a =  1" + " + 1" * 250 + "\n"
    assert format_text(chain) == chain.replace("=  ", "= ")
