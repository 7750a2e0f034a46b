"""editors/vscode: the TextMate grammar names what the compiler accepts, its snapshot tests pass
(vscode-tmgrammar-test) and the extension packages into a .vsix (@vscode/vsce).

The node tests need `(cd editors/vscode && npm ci --no-audit --no-fund --ignore-scripts)` first (CI runs it);
without node, or before that, they are skipped.
"""

import importlib.util
import json
import re
import shutil
import subprocess
import zipfile

import pytest
from conftest import ROOT

from ride.compile.curves import FUNCTIONS, MACROS
from ride.settings import SETTINGS

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "ride.tmLanguage.json").read_text(encoding="utf-8"))


def alternatives(pattern: str) -> set[str]:
    """The words of the grammar pattern's `\\b(a|b|c)\\b` group."""
    return set(re.search(r"\\b\(([\w|]+)\)\\b", pattern).group(1).split("|"))


def test_the_grammar_is_make_grammar_output():
    spec = importlib.util.spec_from_file_location("make_grammar", VSCODE / "make_grammar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (VSCODE / "syntaxes" / "ride.tmLanguage.json").read_text(encoding="utf-8")
    assert current == module.text(), "the grammar is stale: run `python editors/vscode/make_grammar.py`"


def test_the_grammar_keywords_are_the_settings_table():
    assert alternatives(GRAMMAR["repository"]["setting"]["match"]) == {s.name for s in SETTINGS}


def test_the_grammar_functions_are_the_allow_list():
    known = GRAMMAR["repository"]["function"]["patterns"][0]["match"]
    assert alternatives(known) == set(FUNCTIONS) | set(MACROS)


def test_the_extension_contributes_the_language_its_grammar_and_ride_path():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "ride" and language["extensions"] == [".ride"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.ride"
    assert (VSCODE / grammar["path"]).is_file() and (VSCODE / language["configuration"]).is_file()
    assert manifest["contributes"]["configuration"]["properties"]["ride.path"]["default"] == "ride"
    assert "vscode-languageclient" in manifest["dependencies"]
    configuration = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
    assert ".gitignore" in {p.name for p in VSCODE.iterdir()} and "node_modules/" in (VSCODE / ".gitignore").read_text()


def _npx(*args: str, cwd=VSCODE, timeout: int = 300) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or shutil.which("npx") is None:
        pytest.skip("node is not installed")
    if not (VSCODE / "node_modules" / ".bin").is_dir():
        pytest.skip("run `(cd editors/vscode && npm ci --ignore-scripts)` first")
    return subprocess.run(["npx", "--no-install", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_grammar_snapshots():
    tests = sorted(p.name for p in (VSCODE / "tests").glob("*.ride"))
    assert tests, "no grammar tests in editors/vscode/tests/"
    done = _npx("vscode-tmgrammar-test", "tests/*.ride")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("run successfuly") == len(tests), done.stdout


@pytest.mark.slow
def test_the_extension_js_parses():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    done = subprocess.run(["node", "--check", str(VSCODE / "extension.js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_the_vsix_builds(tmp_path):
    vsix = tmp_path / "ride.vsix"
    done = _npx("vsce", "package", "--skip-license", "--allow-missing-repository", "-o", str(vsix))
    assert done.returncode == 0, done.stdout + done.stderr
    names = set(zipfile.ZipFile(vsix).namelist())
    for name in ("extension/package.json", "extension/extension.js", "extension/syntaxes/ride.tmLanguage.json",
                 "extension/language-configuration.json", "extension/node_modules/vscode-languageclient/package.json"):
        assert name in names, f"{name} is not in the .vsix"
    assert not any(n.startswith("extension/tests/") for n in names)
