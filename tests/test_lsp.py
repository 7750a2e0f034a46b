"""`ride lsp` end to end: a pytest-lsp client talks to `python -m ride.cli lsp` over stdio.

One server for the module (its start-up is most of the time); each test opens its own document.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SCENE = """\
fps 12
let wobble = 0.5*sin(2*pi*sec/4)
camera {
  zoom 1 + 0.01*wobble
}
track noise {
  0   0.02
  2s  0.05 ease
}
timeline {
  0   "a road"
  25  "the sea"  morph 10 slerp
  100 end
}
"""


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "ride.cli", "lsp"],
    server_env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


_count = iter(range(1_000_000))


async def open_document(client: LanguageClient, text: str, tmp_path: Path) -> str:
    """Open a new document and wait for its first diagnostics."""
    uri = (tmp_path / f"scene{next(_count)}.ride").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="ride", version=1, text=text)))
    await _diagnostics_for(client, uri)
    return uri


async def _diagnostics_for(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    while True:
        params = await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20)
        if params.uri == uri:
            return params.diagnostics


def _at(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def test_diagnostics_appear_with_range_code_and_hint_then_clear(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE.replace("fps 12", "fsp 12"), tmp_path)
    (problem,) = client.diagnostics[uri]
    assert problem.code == "R201" and problem.source == "ride"
    assert problem.range == types.Range(_at(0, 0), _at(0, 3))
    assert problem.message.startswith("unknown setting 'fsp'") and "hint: did you mean 'fps'?" in problem.message

    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=SCENE)]))
    assert list(await _diagnostics_for(client, uri)) == []  # cleared when fixed

    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    assert list(await _diagnostics_for(client, uri)) == []


async def test_quick_edits_are_checked_once_the_typing_stops(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE, tmp_path)
    for version, typed in enumerate(["z", "zo", "zom"], start=2):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=SCENE + typed + " 2\n")]))
    while True:  # a slow machine may publish between edits; the last edit's check comes in the end
        params = await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20)
        if params.uri == uri and params.version == 4:
            break
    (problem,) = params.diagnostics
    assert "unknown setting 'zom'" in problem.message and problem.range.start == _at(14, 0)


async def test_every_error_of_the_file_at_once(client: LanguageClient, tmp_path):
    broken = SCENE.replace("zoom 1 +", "zoom 1 + }").replace("0   0.02", "0   0.02 )") + "steps 0\n"
    uri = await open_document(client, broken, tmp_path)
    codes = [d.code for d in client.diagnostics[uri]]
    assert len(codes) >= 2 and all(code and code.startswith("R") for code in codes)


async def test_hover_on_a_setting_a_let_a_function_and_a_key(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE, tmp_path)

    async def hover(line, character) -> str:
        result = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri=uri), _at(line, character)))
        return result.contents.value

    assert "frames per second" in await hover(0, 1)
    assert "-0.5 .. 0.5" in await hover(1, 6)  # wobble's range over the scene
    assert "sine" in await hover(1, 19)
    zoom = await hover(3, 3)
    assert "between 0.01 and 100" in zoom and "factor/frame" in zoom
    assert "frame 24, 2.00 s" in await hover(7, 2)  # `2s` at 12 fps
    assert "frame 25" in await hover(11, 2)
    assert "slerp" in await hover(11, 27)


async def test_completion_by_context(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE + "track \nscheduler \n", tmp_path)

    async def labels(line, character) -> set[str]:
        result = await client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri=uri), _at(line, character)))
        return {item.label for item in result.items}

    top = await labels(16, 0)
    assert {"fps", "strength", "camera", "timeline", "let"} <= top and "zoom" not in top
    inside_camera = await labels(3, 2)
    assert {"zoom", "focus", "pan", "rotate"} <= inside_camera and "fps" not in inside_camera
    assert {"noise", "strength", "pan_x"} <= await labels(14, 6)
    assert {"euler", "dpm++", "lcm"} <= await labels(15, 10)
    expression = await labels(3, 7)
    assert {"sin", "clip", "t", "sec", "wobble"} <= expression
    assert {"lerp", "slerp", "ease"} <= await labels(11, 26)


async def test_definition_and_references_of_a_let(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE, tmp_path)
    where = types.TextDocumentIdentifier(uri=uri)
    found = await client.text_document_definition_async(types.DefinitionParams(text_document=where, position=_at(3, 18)))
    assert found.uri == uri and found.range == types.Range(_at(1, 4), _at(1, 10))
    references = await client.text_document_references_async(types.ReferenceParams(
        text_document=where, position=_at(1, 6), context=types.ReferenceContext(include_declaration=True)))
    assert sorted((r.range.start.line, r.range.start.character) for r in references) == [(1, 4), (3, 16)]


async def test_document_symbols_outline(client: LanguageClient, tmp_path):
    uri = await open_document(client, SCENE, tmp_path)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri=uri)))
    assert [s.name for s in symbols] == ["fps", "wobble", "camera", "track noise", "timeline"]
    timeline = symbols[-1]
    assert [c.name for c in timeline.children] == ["0", "25", "100 end"]
    assert timeline.children[1].detail == "the sea"
    assert [c.name for c in symbols[3].children] == ["0", "2s"]


async def test_formatting_through_ride_fmt(client: LanguageClient, tmp_path):
    format_module = pytest.importorskip("ride.language.format")  # lands with `ride fmt`'s branch
    messy = "fps    12\ntimeline {\n0 \"a road\"\n   100 end\n}\n"
    uri = await open_document(client, messy, tmp_path)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri=uri), types.FormattingOptions(tab_size=2, insert_spaces=True)))
    expected = format_module.format_text(messy)
    assert expected != messy
    (edit,) = edits
    assert edit.new_text == expected and edit.range.start == _at(0, 0)
