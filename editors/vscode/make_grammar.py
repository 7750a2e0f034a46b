"""Writes syntaxes/ride.tmLanguage.json: the TextMate grammar of .ride scenes for VS Code.

The setting keywords come from ride's settings table (ride/settings.py) and the function names from
the expression allow-list (ride/compile/curves.py), so the grammar names what the compiler accepts;
tests/test_editors.py checks the file is this script's output. After a new setting:

    python editors/vscode/make_grammar.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # run from anywhere in a checkout

from ride.compile.curves import CONSTANTS, FUNCTIONS, MACROS, TIME_VARIABLES  # noqa: E402
from ride.settings import SETTINGS  # noqa: E402

STATEMENTS = ("let", "track", "camera", "timeline")
TRANSITIONS = ("linear", "hold", "cubic", "ease", "in_out", "in", "out")
MODIFIERS = ("morph", "lerp", "slerp", "image", "negative", "end", "iter", "flow", "random", "close", "circle",
             "pingpong")
PATH = HERE / "syntaxes" / "ride.tmLanguage.json"


def words(names) -> str:
    return "|".join(sorted(names, key=lambda n: (-len(n), n)))  # longest first: `in_out` before `in`


def grammar() -> dict:
    settings = words(s.name for s in SETTINGS)
    values = words(sorted({w for s in SETTINGS for w in s.words}))
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "ride",
        "scopeName": "source.ride",
        "fileTypes": ["ride"],
        "patterns": [{"include": f"#{name}"} for name in (
            "comment", "string", "track", "let", "setting", "statement", "time", "size", "number", "bezier",
            "transition", "modifier", "function", "variable", "constant", "word", "operator", "punctuation")],
        "repository": {
            "comment": {"match": "(#).*$", "name": "comment.line.number-sign.ride",
                        "captures": {"1": {"name": "punctuation.definition.comment.ride"}}},
            "string": {"patterns": [
                {"begin": '"', "end": '"|$', "name": "string.quoted.double.ride",
                 "patterns": [{"match": "\\\\.", "name": "constant.character.escape.ride"}]},
                {"begin": "'", "end": "'|$", "name": "string.quoted.single.ride",
                 "patterns": [{"match": "\\\\.", "name": "constant.character.escape.ride"}]}]},
            "track": {"match": "\\b(track)\\s+([A-Za-z_]\\w*)",
                      "captures": {"1": {"name": "storage.type.track.ride"},
                                   "2": {"name": "keyword.other.setting.ride"}}},
            "let": {"match": "\\b(let)\\s+([A-Za-z_]\\w*)",
                    "captures": {"1": {"name": "storage.type.let.ride"},
                                 "2": {"name": "variable.other.definition.ride"}}},
            # a setting's name starts a statement: `fps 12`, but `fps` inside an expression is a variable
            "setting": {"match": f"(?:^|(?<=[;{{]))\\s*\\b({settings})\\b",
                        "captures": {"1": {"name": "keyword.other.setting.ride"}}},
            "statement": {"match": "\\b(camera|timeline)\\b", "name": "storage.type.block.ride"},
            "time": {"match": "(?<![\\w.])(\\d+(?:\\.\\d*)?)(s|b|f|%)(?![\\w.])", "name": "constant.numeric.time.ride",
                     "captures": {"1": {"name": "constant.numeric.ride"}, "2": {"name": "keyword.other.unit.ride"}}},
            "size": {"match": "\\b\\d+\\s*[xX]\\s*\\d+\\b", "name": "constant.numeric.size.ride"},
            "number": {"match": "(?<![\\w.])(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?", "name": "constant.numeric.ride"},
            "bezier": {"match": "\\b(bezier)(?=\\s*\\()", "name": "support.constant.transition.ride"},
            "transition": {"match": f"\\b({words(TRANSITIONS)})\\b", "name": "support.constant.transition.ride"},
            "modifier": {"match": f"\\b({words(MODIFIERS)})\\b", "name": "keyword.other.ride"},
            "function": {"patterns": [
                {"match": f"\\b({words([*FUNCTIONS, *MACROS])})\\b(?=\\s*\\()", "name": "support.function.ride"},
                {"match": "\\b[A-Za-z_]\\w*(?=\\s*\\()", "name": "entity.name.function.ride"}]},
            "variable": {"match": f"\\b({words(TIME_VARIABLES)})\\b", "name": "variable.language.ride"},
            "constant": {"match": f"\\b({words(CONSTANTS)})\\b", "name": "constant.language.ride"},
            "word": {"match": f"\\b({values})\\b", "name": "constant.language.word.ride"},
            "operator": {"match": "\\*\\*|<=|>=|==|!=|[-+*/%<>&|~=]", "name": "keyword.operator.ride"},
            "punctuation": {"patterns": [
                {"match": ",", "name": "punctuation.separator.comma.ride"},
                {"match": ";", "name": "punctuation.terminator.statement.ride"},
                {"match": "[{}]", "name": "punctuation.section.block.ride"},
                {"match": "[()]", "name": "punctuation.section.parens.ride"}]},
        },
    }


def text() -> str:
    return json.dumps(grammar(), indent=2) + "\n"


if __name__ == "__main__":
    PATH.write_text(text(), encoding="utf-8")
    print(f"wrote {PATH}")
