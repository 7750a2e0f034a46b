"""The Pygments lexer (`ride-scene`): no Error token on any scene or doc block, and the right token kinds."""

import pytest
from conftest import SCENES
from pygments.token import Comment, Error, Keyword, Name, Number, String
from test_docs import BLOCKS

from ride.language.pygments_lexer import RideSceneLexer
from ride.settings import SETTINGS

LEXER = RideSceneLexer()
TEXTS = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SCENES.glob("*.ride"))] + [
    (b.name, b.text) for b in BLOCKS if "error" not in b.kinds]


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_no_error_tokens(name, text):
    bad = [(value, index) for index, token, value in LEXER.get_tokens_unprocessed(text) if token in Error]
    assert not bad, f"{name}: Pygments marks these as errors: {bad[:5]}"


def test_token_kinds():
    text = 'zoom 1 + 0.3*sin(2*pi*sec)  # sway\ntrack noise {\n  2s 0.05 ease in\n  50% 1\n}\ntitle "A"\n'
    kinds = {value: token for token, value in LEXER.get_tokens(text)}
    assert kinds["zoom"] in Keyword and kinds["track"] is Keyword.Declaration
    assert kinds["sin"] is Name.Function and kinds["pi"] is Name.Builtin and kinds["sec"] is Name.Builtin
    assert kinds["2s"] is Number.Float and kinds["50%"] is Number.Float and kinds["0.05"] is Number
    assert kinds["ease"] is Keyword.Constant and kinds["in"] is Keyword.Constant
    assert kinds['"A"'] in String and kinds["# sway"] in Comment
    assert kinds["noise"] in Keyword  # a setting's name, also as a track's


def test_every_setting_is_a_keyword():
    for setting in SETTINGS:
        (token, value), *_ = LEXER.get_tokens(setting.name)
        assert token in Keyword and value == setting.name


def test_the_alias_is_not_pygments_own_ride():
    assert "ride" not in RideSceneLexer.aliases and RideSceneLexer.aliases == ["ride-scene"]


def test_the_mkdocs_fence_highlights_without_errors():
    from ride.language.pygments_lexer import superfences_format

    html = superfences_format('zoom 1.01  # in\ntitle "A"\n', "ride", "highlight", {}, None)
    assert html.startswith('<div class="highlight">') and 'class="err"' not in html
    assert '<span class="k">zoom</span>' in html and '<span class="c1"># in</span>' in html
