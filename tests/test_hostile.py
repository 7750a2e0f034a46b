"""Hostile input (issue 10): every finding of the fuzzing run gets a positioned error or works,
in `ride check` and in `ride render`, never a traceback."""

import io
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from conftest import write_scene
from PIL import Image

from ride.cli import main

TIMELINE = 'timeline {\n  0 "a road"\n  12 end\n}\n'
POSITIONED = re.compile(r"scene\.ride:(\d+):(\d+): error: ")


def check(tmp_path, capsys, text: str) -> tuple[int, str]:
    """`ride check` of `text`: its exit code and what it printed to stderr."""
    path = write_scene(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning reaching the user is a finding too
        code = main(["check", str(path)])
    return code, capsys.readouterr().err


def assert_error_at(err: str, line: int, words: str = "") -> None:
    found = POSITIONED.search(err)
    assert found, err
    assert int(found.group(1)) == line, err
    assert words in err, err


def render(tmp_path, capsys, text: str, *extra: str) -> tuple[int, str]:
    path = write_scene(tmp_path, text)
    code = main(["render", str(path), "--size", "64x64", "--no-cache", "-o", str(tmp_path / "out.mp4"), *extra])
    return code, capsys.readouterr().err


HUGE = "9" * 320


@pytest.mark.parametrize("text, line", [
    (f'timeline {{\n  0 "a"\n  {HUGE} "b"\n  400 end\n}}\n', 3),  # a time
    (f'timeline {{\n  0 "a"\n  10 "b" morph {HUGE}\n  40 end\n}}\n', 3),  # a morph
    (f"loop close {HUGE}\n" + TIMELINE, 1),
    (f"track strength {{\n  0 0.3\n  {HUGE} 0.5\n}}\n" + TIMELINE, 3),
    (f"cadence {HUGE}\n" + TIMELINE, 1),
    ("bpm 1e-320\n" + TIMELINE.replace("12 end", "4b end"), 1),
    (f"size {'5' * 5000}x512\n" + TIMELINE, 1),
], ids=["time", "morph", "loop-close", "track-key", "cadence", "bpm", "size"])
def test_huge_numbers_are_positioned_errors(tmp_path, capsys, text, line):
    code, err = check(tmp_path, capsys, text)
    assert code == 1
    assert_error_at(err, line)


@pytest.mark.parametrize("expression", ["1/0", "1 % 0", "10 ** 400", "(t > 1) ** 1e308"])
def test_constant_arithmetic_errors_are_positioned(tmp_path, capsys, expression):
    code, err = check(tmp_path, capsys, f"let a = {expression}\nstrength 0.3 + 0 * a\n" + TIMELINE)
    assert code == 1
    assert_error_at(err, 1)


def test_truth_values_combine(tmp_path, capsys):
    code, err = check(tmp_path, capsys, "camera { zoom 1 + 0.01 * ((1 > 0) | (t > 5)) }\n" + TIMELINE)
    assert code == 0, err


@pytest.mark.parametrize("name", ["lambda", "None", "True", "if", "class"])
def test_python_words_as_let_names(tmp_path, capsys, name):
    code, err = check(tmp_path, capsys, f"let {name} = 0.2\nstrength {name}\n" + TIMELINE)
    if code == 0:  # if ride accepts the name, it must really use it
        assert main(["plan", str(tmp_path / "scene.ride"), "--format", "csv", "--frames", "0:1"]) == 0
        assert ",0.2," in capsys.readouterr().out
    else:
        assert_error_at(err, 1, name)


@pytest.mark.parametrize("path", ["a\x00b.png", "x" * 300 + ".png"])
def test_unusable_paths(tmp_path, capsys, path):
    code, err = check(tmp_path, capsys, f'init "{path}"\n' + TIMELINE)
    assert code == 1
    assert_error_at(err, 1)


def test_an_empty_timeline_is_caught_by_check(tmp_path, capsys):
    code, err = check(tmp_path, capsys, "timeline {\n  12 end\n}\n")
    assert code == 1
    assert_error_at(err, 2)


@pytest.mark.parametrize("text", [
    "camera { zoom 100 }\nloop close 399\n" + TIMELINE.replace("12 end", "400 end"),
    "camera { pan 1e308, 0 }\ncadence 2\n" + TIMELINE,
], ids=["zoom-loop", "pan-cadence"])
def test_camera_motion_that_overflows_is_caught_by_check(tmp_path, capsys, text):
    code, err = check(tmp_path, capsys, text)
    assert code == 1
    assert "camera" in err or "zoom" in err or "pan" in err, err


def _png_claiming(side: int) -> bytes:
    """A small PNG whose header says side x side: what check reads (writing the real pixels takes 20 s)."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", side, side)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


@pytest.mark.parametrize("side", [20000, 12000])
def test_huge_images_are_clear_errors(tmp_path, capsys, side):
    (tmp_path / "big.png").write_bytes(_png_claiming(side))
    code, err = check(tmp_path, capsys, 'init "big.png"\n' + TIMELINE)
    assert code == 1
    assert_error_at(err, 1, "big.png")


def test_the_expression_limit_is_the_documented_one(tmp_path, capsys):
    flat = " + ".join(["t"] * 1500)
    code, err = check(tmp_path, capsys, f"strength 0 * ({flat})\n" + TIMELINE)
    assert code == 0, err
    code, err = check(tmp_path, capsys, "strength 0 * (" + " + ".join(["t"] * 2500) + ")\n" + TIMELINE)
    assert code == 1
    assert_error_at(err, 1, "too long")


@pytest.mark.parametrize("text, line", [
    ('timeline {\n  0 "a"\n  10 "b" morph 5 bezier(2, 0, -1, 1)\n  40 end\n}\n', 3),
    ("loop close 10 bezier(2, 0, -1, 1)\n" + TIMELINE.replace("12 end", "40 end"), 1),
], ids=["morph", "loop-close"])
def test_bezier_is_range_checked_everywhere(tmp_path, capsys, text, line):
    code, err = check(tmp_path, capsys, text)
    assert code == 1
    assert_error_at(err, line, "bezier")


def test_escapes_from_a_script_are_not_sent_to_the_terminal(tmp_path, capsys):
    code, err = check(tmp_path, capsys, 'zom\x1b[2J\x1b]0;pwned\x07 1.01\n' + TIMELINE)
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err


def test_a_form_feed_does_not_move_the_caret(tmp_path, capsys):
    code, err = check(tmp_path, capsys, "title \"a\"\f\nzom 1.01\n" + TIMELINE)
    assert code == 1
    assert_error_at(err, 2, "zom")
    source_line = [line for line in err.splitlines() if " | " in line and "zom" in line]
    assert source_line and source_line[0].endswith("zom 1.01"), err


@pytest.mark.parametrize("text, line", [
    ("strength 0.3 + 0 * (t / 0)\n" + TIMELINE, 1),  # numexpr would divide 1 by the constant itself
    ("strength 0.3 + 0 * (t % 0)\n" + TIMELINE, 1),
    ('timeline {\n  0 "a"\n  10 "b" morph 5 bezier(0.5, 1e300, 0.5, 1)\n  40 end\n}\n', 3),  # a blend weight
    ("camera { rotate 1e300 }\n" + TIMELINE, 1),
    ("camera { focus 1e300, 0.5 }\n" + TIMELINE, 1),
    ("camera { zoom 2 }\ncadence 100\n" + TIMELINE.replace("12 end", "400 end"), 1),  # 2^100 between frames
], ids=["divide-by-constant", "modulo-constant", "morph-bezier-y", "rotate", "focus", "zoom-cadence"])
def test_more_values_caught_by_check(tmp_path, capsys, text, line):
    code, err = check(tmp_path, capsys, text)
    assert code == 1
    assert_error_at(err, line)


@pytest.mark.parametrize("expression, expected", [
    ("10 - t - 2 - t", lambda t: 10 - t - 2 - t),
    ("t * 3 / 2 / (t + 1) * 4", lambda t: t * 3 / 2 / (t + 1) * 4),
    ("t * 3 % 5 / 2", lambda t: t * 3 % 5 / 2),
    ("t / 4 / 0.5", lambda t: t / 4 / 0.5),
    ("2 ** 3 + t - 1 - 1", lambda t: 2 ** 3 + t - 1 - 1),
    ("(t > 3) | (1 > 2)", lambda t: (t > 3) * 1.0),
    ("(t > 3) & (1 < 2) & ~(t > 8)", lambda t: ((t > 3) & (t <= 8)) * 1.0),
    ("where(1 > 0, t, 0 - t) + -(t < 2)", lambda t: t - (t < 2)),
    ("lambda + None * True", lambda t: 1.0 + 2.0 * 3.0),
])
def test_folded_and_balanced_chains_keep_their_value(expression, expected):
    from ride.compile.curves import compile_expr, evaluate
    from ride.errors import Diagnostics
    from ride.language.syntax import parse

    script = parse(f"let x = {expression}\n")
    t = np.arange(12.0)
    env = {"t": t, "lambda": 1.0, "None": 2.0, "True": 3.0}
    compiled = compile_expr(script.statements[0].expr, set(env), Diagnostics())
    assert np.allclose(evaluate(compiled, env, 12), expected(t))
