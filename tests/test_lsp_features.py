"""The language server's features as functions of a document (no client, no subprocess): the quick loop's
share of `ride lsp`. tests/test_lsp.py drives the same features through the protocol."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

pytest.importorskip("pygls")

from ride.cli import main  # noqa: E402
from ride.compile.curves import FUNCTIONS, MACROS, TIME_VARIABLES  # noqa: E402
from ride.compile.timeline import MORPH_METHODS  # noqa: E402
from ride.errors import Span  # noqa: E402
from ride.lsp import words  # noqa: E402
from ride.lsp.analysis import analyze  # noqa: E402
from ride.lsp.completion import complete  # noqa: E402
from ride.lsp.context import CAMERA, TIMELINE, TOP, TRACK, cursor_context  # noqa: E402
from ride.lsp.definition import definition, references  # noqa: E402
from ride.lsp.hover import hover_text  # noqa: E402
from ride.lsp.symbols import outline  # noqa: E402

SCENE = """\
fps 12
bpm 120
let wobble = 0.5*sin(2*pi*sec/4)
camera {
  zoom 1 + 0.01*wobble   # a { in a comment and "a } in a string" do not count
}
track noise {
  0    0.02
  2s   0.05 ease in
  +4b  0.03
  end  0.02
}
timeline {
  0    "a road"
  50%  "the sea"  morph 1s slerp
  100  end
}
loop close 2s
"""


def labels(text: str, line: int, char: int) -> set[str]:
    return {item.label for item in complete(analyze(text), line, char)}


def hover(text: str, line: int, char: int) -> str:
    found = hover_text(analyze(text), line, char)
    return found[0] if found else ""


def test_every_function_time_variable_and_morph_method_has_its_description():
    assert set(FUNCTIONS) | set(MACROS) == set(words.FUNCTIONS)
    assert set(TIME_VARIABLES) == set(words.TIME_VARIABLES)
    assert set(MORPH_METHODS) == set(words.MORPH_METHODS)


def test_the_cursor_context_knows_blocks_despite_braces_in_comments_and_strings():
    assert cursor_context(SCENE, 4, 2).block == CAMERA
    assert cursor_context(SCENE, 6, 0).block == TOP
    assert cursor_context(SCENE, 7, 2).block == TRACK
    assert cursor_context(SCENE, 13, 2).block == TIMELINE
    context = cursor_context(SCENE, 8, 14)
    assert context.words == ("2s", "0.05") and context.partial == "ea"
    assert cursor_context(SCENE, 4, 40).partial == "#"  # in a comment: nothing is offered


def test_completion_offers_what_is_valid_where_the_cursor_is():
    assert {"fps", "size", "camera", "track", "timeline", "let"} <= labels(SCENE, 17, 0)
    assert not {"zoom", "pan_x"} & labels(SCENE, 17, 0)
    assert labels(SCENE, 4, 0) >= {"zoom", "focus", "pan", "rotate"} and "fps" not in labels(SCENE, 4, 0)
    assert {"noise", "strength", "pan_x", "focus_y"} <= labels("track ", 0, 6)
    assert {"preview", "diffusers"} == labels("engine ", 0, 7)
    assert {"close", "pingpong"} == labels("loop ", 0, 5)
    assert {"random", "sin", "t"} <= labels("seed ", 0, 5) and "iter" in labels("seed 4 ", 0, 7)
    assert {"in", "out", "in_out"} == labels(SCENE, 8, 17)
    track_value = labels(SCENE, 8, 11)
    assert {"sin", "wobble", "u", "linear", "hold", "cubic", "bezier"} <= track_value
    assert {"lerp", "slerp", "ease"} <= labels(SCENE, 14, 29)
    assert {"morph", "negative"} <= labels(SCENE, 13, 15)
    assert "wobble" not in labels("let wobble = ", 0, 13)  # a name is not its own value
    assert labels(SCENE, 13, 8) == set()  # inside a prompt


def test_hover_says_what_each_word_means_and_where_a_key_falls():
    assert "beats/min" in hover(SCENE, 1, 1)
    assert "-0.5 .. 0.5" in hover(SCENE, 2, 6)
    assert "0 .. 1" in hover("let p = u\ntimeline {\n 0 \"a\"\n 10 end\n}\n", 0, 8)
    assert "smaller" in hover("zoom min(1, 2)", 0, 6)
    assert "starts slowly" in hover(SCENE, 8, 17)
    assert "frame 24, 2.00 s" in hover(SCENE, 8, 2)
    assert "frame 48, 4.00 s" in hover(SCENE, 9, 3)  # +4b at 120 bpm, 12 fps: 24 frames after frame 24
    assert "frame 99" in hover(SCENE, 10, 2)  # a track's `end` is the last frame
    assert "frame 50" in hover(SCENE, 14, 2)  # 50% of frames 0..99, on a whole frame
    assert "12 frames = 1.00 s" in hover(SCENE, 14, 26)
    assert "the scene's end: 100 frames" in hover(SCENE, 15, 3)
    assert "24 frames" in hover(SCENE, 17, 12)
    assert hover('timeline {\n  0 "a slow ease, t"  # ease\n  10 end\n}', 1, 13) == ""  # words of a prompt
    assert hover('timeline {\n  0 "a slow ease, t"  # ease\n  10 end\n}', 1, 26) == ""  # and of a comment
    assert "DPMSolverMultistepScheduler" in hover("scheduler dpm++_karras", 0, 12)


def test_hover_on_a_broken_file_still_answers_from_what_parses():
    broken = SCENE.replace("bpm 120", "bpm = 120") + "zom 1.01\n"
    assert analyze(broken).problems
    assert "-0.5 .. 0.5" in hover(broken, 2, 6)


def test_definition_and_references_of_let_names():
    analysis = analyze(SCENE + "let k = wobble * 2\n")
    assert definition(analysis, 4, 18) == Span(3, 5, 3, 11)
    assert references(analysis, 2, 6, include_declaration=False) == [Span(5, 17, 5, 23), Span(19, 9, 19, 15)]
    assert len(references(analysis, 2, 6, include_declaration=True)) == 3
    assert definition(analysis, 4, 3) is None  # zoom is no `let`


def test_outline_of_settings_tracks_and_timeline_keys():
    symbols = outline(analyze(SCENE))
    assert [s.name for s in symbols] == ["fps", "bpm", "wobble", "camera", "track noise", "timeline", "loop"]
    assert [(k.name, k.detail) for k in symbols[4].children][:2] == [("0", "0.02"), ("2s", "0.05")]
    assert [k.name for k in symbols[5].children] == ["0", "50%", "100 end"]
    assert symbols[-1].detail == "close 2s"


def test_diagnostics_come_from_the_compiler_with_codes_and_hints(tmp_path):
    path = tmp_path / "scene.ride"
    path.write_text("an older version on disk: the editor's text is what is checked")
    problems = analyze(SCENE.replace("fps 12", "fsp 12") + 'init "missing.png"\n', str(path)).problems
    assert [p.code for p in problems] == ["R201", "R505"]  # every problem of the file, in line order
    assert problems[0].span == Span(1, 1, 1, 4) and problems[0].hint == "did you mean 'fps'?"
    Image.new("RGB", (8, 8)).save(tmp_path / "missing.png")  # files beside the script are read from disk
    assert analyze(SCENE + 'init "missing.png"\n', str(path)).problems == ()
    # the engines' own checks, as `ride check` makes them
    assert [p.code for p in analyze(SCENE + "scheduler eulr\n", str(path)).problems] == ["R601"]


def test_ride_lsp_without_pygls_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pygls", None)  # `import pygls` raises ImportError
    assert main(["lsp"]) == 1
    err = capsys.readouterr().err
    assert "`ride lsp` needs pygls" in err and "pip install 'ride[lsp]'" in err and "Traceback" not in err


def test_formatting_leaves_a_file_with_syntax_errors_alone():
    pytest.importorskip("ride.language.format")  # lands with `ride fmt`'s branch
    from ride.lsp.formatting import formatted

    assert formatted("fps = 12\ntimeline {\n  0 \"a\"\n  10 end\n}\n") is None  # the diagnostics say why
    assert formatted(SCENE) is not None
