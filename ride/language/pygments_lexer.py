"""A Pygments lexer for .ride scenes, registered as the plugin `ride-scene`.

Pygments ships a lexer named `ride` (for the Waves smart-contract language) and built-in lexers win
over plugins, so this one has its own alias; docs/editors.md shows how a docs tool maps this
project's ```ride fences to it. Setting names come from the settings table (ride/settings.py), so a
new setting is highlighted without touching this file. Pygments comes with rich (a dependency).
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from ..settings import SETTINGS

STATEMENTS = ("let", "track", "camera", "timeline")
TRANSITIONS = ("linear", "hold", "cubic", "ease", "bezier", "in_out", "in", "out")
# words with a meaning after a setting or on a key
MODIFIERS = ("morph", "lerp", "slerp", "image", "negative", "end", "iter", "random", "close", "pingpong")
TIME_VARIABLES = ("t", "sec", "n", "u", "fps", "beat", "level", "onset", "bass", "mid", "treble")
CONSTANTS = ("pi", "e")
SETTING_NAMES = tuple(s.name for s in SETTINGS)
WORD_VALUES = tuple(sorted({w for s in SETTINGS for w in s.words}))


class RideSceneLexer(RegexLexer):
    """The .ride scene language of ride (generative video), not the Waves `ride` of Pygments."""

    name = "ride scene"
    aliases = ["ride-scene"]
    filenames: list[str] = []  # *.ride is Waves' in Pygments: pick this lexer by its alias
    mimetypes = ["text/x-ride-scene"]

    _word = r"(?![\w])"
    tokens = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"\\[ \t]*\r?\n", Text),  # a line continued
            (r"#.*?$", Comment.Single),
            (r'"([^"\\\n]|\\.)*"', String.Double),
            (r"'([^'\\\n]|\\.)*'", String.Single),
            (r"\d+\s*[xX]\s*\d+" + _word, Number),  # size 512x512
            (r"\d+(\.\d*)?(s|b|f|%)(?![\w.])", Number.Float),  # times with a unit: 2s 4b 50% 12f
            (r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", Number),
            (words(STATEMENTS, suffix=r"\b"), Keyword.Declaration),
            (words(SETTING_NAMES, suffix=r"\b"), Keyword),
            (words(TRANSITIONS, suffix=r"\b"), Keyword.Constant),
            (words(MODIFIERS, suffix=r"\b"), Keyword.Reserved),
            (words(TIME_VARIABLES + CONSTANTS, suffix=r"\b"), Name.Builtin),
            (words(WORD_VALUES, suffix=r"\b"), Name.Constant),
            (r"[A-Za-z_]\w*(?=\s*\()", Name.Function),
            (r"[A-Za-z_]\w*", Name),
            (r"\*\*|<=|>=|==|!=|[-+*/%<>&|~=]", Operator),
            (r"[{}(),;]", Punctuation),
        ],
    }


def superfences_format(source: str, language: str, class_name: str, options: dict, md, **kwargs) -> str:
    """A custom fence for pymdownx.superfences (MkDocs): ```ride blocks highlighted as ride scenes."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    return highlight(source, RideSceneLexer(), HtmlFormatter(cssclass=class_name or "highlight"))
