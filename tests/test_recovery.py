"""Syntax recovery: one parse goes past every bad statement, keeps the rest, and `ride check`
reports syntax and semantic mistakes of a file together, in line order."""

import re

import pytest
from conftest import ROOT, SCENES, write_scene
from lark import Lark

import ride
from ride.cli import main
from ride.errors import Diagnostics, RideError, RideSyntaxError
from ride.language import nodes as n
from ride.language import syntax_problems
from ride.language.recovery import parse_recovering
from ride.language.syntax import MAX_SYNTAX_ERRORS, parse
from ride.language.unparse import unparse

EIGHT_MISTAKES = """\
title "a scene
zom 1.01
steps 30 40
strength 2
guidance = 7
camera {
  rotate sinn(t)
  pan (0, 1
}
timeline {
  5 "a road"
  48 end
}
"""


def _errors(stderr: str) -> list[tuple[int, str]]:
    """(line, code or '') of each error printed by `ride check`."""
    return [(int(line), code) for line, code in re.findall(r":(\d+):\d+: error: .* \[(R\d+)\]$", stderr, re.M)]


def test_check_reports_four_syntax_and_four_semantic_mistakes_in_one_run(tmp_path, capsys):
    script = write_scene(tmp_path, EIGHT_MISTAKES, "eight.ride")
    assert main(["check", str(script)]) == 1
    errors = _errors(capsys.readouterr().err)
    assert [line for line, _ in errors] == [1, 2, 3, 4, 5, 7, 8, 11]
    syntax = [line for line, code in errors if code.startswith("R1")]
    assert syntax == [1, 3, 5, 8]


def _problems(text: str) -> tuple[n.Script | None, list]:
    diagnostics = Diagnostics("s.ride", text)
    script = parse(text, "s.ride", diagnostics)
    return script, diagnostics.sorted()


def test_the_bad_statement_is_dropped_and_the_rest_kept():
    script, problems = _problems('fps 12\nsteps 30 40\ncamera {\n  zoom 1 +\n  rotate 2\n}\nguidance 7\n')
    assert [(p.span.line, p.code) for p in problems] == [(2, "R104"), (4, "R105")]
    assert [type(s).__name__ for s in script.statements] == ["ValueSetting", "Camera", "ValueSetting"]
    camera = script.statements[1]
    assert [s.name for s in camera.settings] == ["rotate"]


def test_without_a_collector_every_problem_is_raised():
    with pytest.raises(RideSyntaxError) as caught:
        parse("steps 30 40\nguidance = 7\nfps 12\n", "s.ride")
    assert [p.span.line for p in caught.value.problems] == [1, 2]
    assert all(p.path == "s.ride" and p.code for p in caught.value.problems)


def test_many_bad_lines_of_a_large_file_are_all_reported():
    good = "".join(f"camera {{\n  zoom 1.0{i % 10}\n  pan 0, {i % 7}\n}}\n" for i in range(2000))
    lines = good.splitlines()
    bad_lines = list(range(3, len(lines), 160))  # the 'pan' lines of every 40th block
    for index in bad_lines:
        lines[index - 1] = "  pan = 0"
    script, problems = _problems("\n".join(lines) + "\n")
    assert [p.span.line for p in problems] == bad_lines
    assert len(script.statements) == 2000  # every camera block kept, less its bad line


def test_a_stray_character_is_reported_and_its_line_dropped():
    script, problems = _problems('fps 12 @\nsteps 30\nfocus [0.5, 0.6]\nguidance 7\n')
    assert [(p.span.line, p.code) for p in problems] == [(1, "R101"), (3, "R101")]
    assert "commas, not brackets" in problems[1].hint
    assert [s.name for s in script.statements] == ["steps", "guidance"]


# One example of each syntax problem, as docs/errors.md shows it.
EXAMPLES = {
    "R101": "fps 12 \u00a7\n",
    "R102": 'title "Giro\n',
    "R103": "title \u201cGiro\u201d\n",
    "R104": "guidance = 7\n",
    "R105": "steps\n",
    "R106": "camera {\n  zoom 1 + }\n",
    "R107": 'camera {\n  zoom 1\ntimeline {\n  0 "a"\n  9 end\n}\n',
    "R108": "let k =",
    "R109": "strength " + "-" * 5000 + "1\n",
    "R110": "#" * 2_000_001,
    "R111": "= 1\n" * 150,
}


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_each_syntax_code_has_its_example(code):
    if code == "R109":  # the parser no longer recurses: deep nesting is the expression's R308, at its place
        with pytest.raises(RideError) as caught:
            ride.compile_text(EXAMPLES[code] + 'timeline {\n  0 "a"\n  9 end\n}\n')
        assert [(p.code, p.span.line, p.span.col > 1) for p in caught.value.problems] == [("R308", 1, True)]
        return
    _, problems = _problems(EXAMPLES[code])
    assert code in [p.code for p in problems]


def test_every_syntax_code_is_documented():
    documented = set(re.findall(r"^\| (R1\d\d) \|", (ROOT / "docs" / "errors.md").read_text(), re.MULTILINE))
    defined = {value for name, value in vars(syntax_problems).items() if name.isupper() and
               isinstance(value, str) and re.fullmatch(r"R1\d\d", value)}
    assert documented == defined == set(EXAMPLES)


SMALL = Lark(r"""
start: _NL? (stmt _NL)*
stmt: NAME "=" NUMBER | NAME "{" _NL? (stmt _NL)* "}"
NAME: /[a-z]+/
NUMBER: /[0-9]+/
_NL: /(\r?\n)+/
%ignore " "
""", parser="lalr")


def test_lexer_errors_are_recovered_in_the_same_pass():
    """Without ride's catch-all terminal a stray character is a lexer error: skipped like a bad token."""
    found = []
    tree = parse_recovering(SMALL, "a = 1\nb = @2\nc {\n  d = 3 $\n  e = 4\n}\nf = 5\n",
                            lambda error: found.append((type(error).__name__, error.line)))
    assert found == [("UnexpectedCharacters", 2), ("UnexpectedCharacters", 4)]
    names = [str(t.children[0]) for t in tree.iter_subtrees_topdown() if t.data == "stmt"]
    assert names == ["a", "c", "e", "f"]


@pytest.mark.parametrize("text", [
    'camera {\n  zoom 1.01\ntimeline {\n  0 "a"\n  48 end\n}\n',
    'track zoom {\n  0 1\n  10 1.2\nstrength 0.5\ntimeline {\n  0 "a"\n  48 end\n}\n',
    'fps 12\ntimeline {\n  0 "a road"\n  48 end\n',
    'camera {\n  zoom 1 +\n',
])
def test_an_unclosed_block_is_one_clear_error(text):
    script, problems = _problems(text)
    assert [p.code for p in problems if p.code != "R105"] == ["R107"]  # R105: `zoom 1 +` is incomplete too
    assert "'}'" in problems[-1].hint
    assert script is not None  # the block is closed where it must have ended: the rest is checked


def test_an_unclosed_block_before_the_end_keeps_what_follows():
    script, problems = _problems('camera {\n  zoom 1.01\ntimeline {\n  0 "a"\n  48 end\n}\n')
    assert [p.code for p in problems] == ["R107"]
    assert [type(s).__name__ for s in script.statements] == ["Camera", "Timeline"]


def test_a_stray_closing_brace_is_reported_once():
    script, problems = _problems("fps 12\n}\nsteps 30\n")
    assert [(p.span.line, p.code) for p in problems] == [(2, "R106")]
    assert [s.name for s in script.statements] == ["fps", "steps"]


def test_a_flood_of_errors_stops_with_one_more_saying_so():
    script, problems = _problems("= 1\n" * (MAX_SYNTAX_ERRORS + 50))
    assert len(problems) == MAX_SYNTAX_ERRORS + 1 and problems[-1].code == "R111"
    assert script is None


def test_good_scenes_parse_the_same_with_a_collector():
    for scene in SCENES.glob("*.ride"):
        text = scene.read_text()
        script, problems = _problems(text)
        assert problems == [] and script == parse(text), scene.name


def test_a_keyword_at_column_1_closes_a_block_where_it_would_read_as_a_name():
    # a '{' typed into giro's `zoom` line opens a key block inside `camera {`; there the word
    # `timeline` at column 1 lexes as an unknown setting's name. It is the keyword of the statement
    # after a missing '}': the blocks close there (one R107) and the timeline is kept (a find of
    # test_syntax.py's test_mutated_scenes_recover)
    giro = (SCENES / "giro.ride").read_text()
    at = giro.index("1.01") + 1  # zoom 1{.01
    script, problems = _problems(giro[:at] + "{" + giro[at:])
    timeline = giro[:giro.index("timeline {")].count("\n") + 1
    assert [p for p in problems if p.span.line > timeline] == []
    assert problems[-1].code == "R107" and problems[-1].span.line == timeline
    assert any(isinstance(st, n.Timeline) for st in script.statements)
    parse(unparse(script))
