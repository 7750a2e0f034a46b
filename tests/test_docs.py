"""The docs' examples are tested: every ```ride block in README.md and docs/*.md runs through `ride check`.

The convention (also in docs/architecture.md):

    ```ride              a whole scene: `ride check` must pass.
    ```ride fragment     part of a scene (a setting, a camera or track block): checked the same way, with
                         `timeline { 0 "a road"; 48 end }` appended if the block has no timeline.
    ```ride error        a deliberate mistake: `ride check` must fail, and report exactly the errors the
                         block documents, one comment line each, anywhere in the block:
                             # error: unknown setting 'zom'
                             # error: 3:10: unknown function 'sinn'      (optionally with line:col)
                         The text matches the message after "error: " (a substring of it is enough).
                         `ride error fragment` combines both.

Every block is checked as a file in scenes/ (a copy of it), so blocks may use the gallery's images,
e.g. `image "stills/valley.png"`. Any other fence (```sh, ```text, none) is not checked.

Also here: the README's demo render (CI runs it) and the docs' relative links.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SCENES

from ride.cli import main
from ride.outputs.video import probe

DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```ride(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.MULTILINE | re.DOTALL)
EXPECTED = re.compile(r"#\s*error:\s*(?:(?P<line>\d+):(?P<col>\d+):\s*)?(?P<message>.+?)\s*$")
REPORTED = re.compile(r":(?P<line>\d+):(?P<col>\d+): error(\[R\d+\])?: (?P<message>.*)$")
TIMELINE = '\ntimeline {\n  0 "a road"\n  48 end\n}\n'
KINDS = {"error", "fragment"}


@dataclass
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    kinds: set[str]
    text: str

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def ride_blocks(doc: Path) -> list[Block]:
    source = doc.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(source):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        blocks.append(Block(doc, source.count("\n", 0, match.start()) + 1, set(match["info"].split()), body))
    return blocks


BLOCKS = [block for doc in DOC_FILES for block in ride_blocks(doc)]


@pytest.fixture(scope="module")
def scene_folder(tmp_path_factory) -> Path:
    """A copy of scenes/ (its images), where every block is written as a .ride file."""
    folder = tmp_path_factory.mktemp("docs") / "scenes"
    shutil.copytree(SCENES, folder, ignore=shutil.ignore_patterns(".ride-cache", "*.mp4", "*.gif"))
    return folder


def test_blocks_are_found_with_their_markers_and_indentation(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text('Text.\n\n```ride\nfps 12\n```\n\n- item:\n\n  ```ride error fragment\n  zom 1\n'
                   "  # error: unknown setting 'zom'\n  ```\n\n```text\nnot ride\n```\n")
    first, second = ride_blocks(doc)
    assert (first.line, first.kinds, first.text) == (3, set(), "fps 12\n")
    assert (second.line, second.kinds) == (9, {"error", "fragment"})
    assert second.text.startswith("zom 1\n#")


def test_the_blocks_use_known_markers():
    for block in BLOCKS:
        assert block.kinds <= KINDS, f"{block.name}: unknown marker(s) {block.kinds - KINDS}; use {sorted(KINDS)}"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_ride_block(block, scene_folder, capsys):
    text = block.text
    if "fragment" in block.kinds and not re.search(r"^\s*timeline\b", text, re.MULTILINE):
        text += TIMELINE
    path = scene_folder / f"doc_{block.doc.stem}_{block.line}.ride"
    path.write_text(text, encoding="utf-8")
    status = main(["check", str(path)])
    err = capsys.readouterr().err
    if "error" not in block.kinds:
        assert status == 0, f"{block.name}: this example does not pass `ride check`:\n{err}"
        return
    assert status == 1, f"{block.name}: marked `ride error`, but `ride check` passes"
    expected = [m for m in map(EXPECTED.search, text.splitlines()) if m]
    assert expected, f"{block.name}: a `ride error` block documents its errors: `# error: <message>`"
    reported = [m for m in map(REPORTED.search, err.splitlines()) if m]

    def matches(want, got) -> bool:
        place = want["line"] is None or (want["line"], want["col"]) == (got["line"], got["col"])
        return place and want["message"] in got["message"]

    for want in expected:
        assert any(matches(want, got) for got in reported), (
            f"{block.name}: documents `{want.group(0)}`, but `ride check` says:\n{err}")
    for got in reported:
        assert any(matches(want, got) for want in expected), (
            f"{block.name}: `ride check` also reports `{got['message']}`; document it too:\n{err}")


def test_the_readme_shows_a_scene():
    assert any(block.doc.name == "README.md" and not block.kinds for block in BLOCKS)


LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_images_exist(doc):
    targets = {match["target"].split("#")[0] for match in LINK.finditer(doc.read_text(encoding="utf-8"))}
    # skip links within the page and web addresses
    missing = sorted(t for t in targets if t and not re.match(r"[a-z]+:", t) and not (doc.parent / t).exists())
    assert not missing, f"{doc.relative_to(ROOT)} links to missing files: {', '.join(missing)}"


def ride_command() -> list[str]:
    script = Path(sys.executable).with_name("ride")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ride.cli"]


@pytest.mark.slow
def test_the_readme_demo_renders_a_video(tmp_path):
    """The README's first command, made small: `ride render scenes/giro.ride` through the real CLI."""
    video = tmp_path / "giro.mp4"
    command = [*ride_command(), "render", "scenes/giro.ride", "-o", str(video), "--size", "128x128",
               "--frames", "0:24", "--cache", str(tmp_path / "cache")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    info = probe(video)
    assert (info.frames, info.width, info.height, info.fps) == (24, 128, 128, 12)
    assert "ride render scenes/giro.ride" in (ROOT / "README.md").read_text()


def test_the_readme_test_command_is_the_one_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    command = next(line for line in ci if "python -m pytest" in line and line.startswith("python3 -m venv"))
    assert f"```sh\n{command}\n```" in (ROOT / "README.md").read_text()
