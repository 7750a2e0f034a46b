"""The gallery: every scene in scenes/ passes `ride check`, says what it shows and how to render it,
and renders its first frames with the preview engine. (Their plans are golden: tests/test_golden.py.)"""

import numpy as np
import pytest
from conftest import SCENES

import ride
from ride.cli import main

SCENE_FILES = sorted(SCENES.glob("*.ride"))
FIRST_FRAMES = (0, 8)
MAX_SIDE = 512  # the gallery stays quick to preview; a larger scene gets a --size override here


def test_the_gallery_has_the_seed_stories():
    names = {path.stem for path in SCENE_FILES}
    assert {"giro", "train", "loop", "tunnel", "roadtrip"} <= names
    assert len(names) >= 8


@pytest.mark.parametrize("scene", SCENE_FILES, ids=lambda p: p.stem)
def test_scene_passes_ride_check(scene, capsys):
    assert main(["check", str(scene)]) == 0, capsys.readouterr().err
    assert ": ok (" in capsys.readouterr().out


@pytest.mark.parametrize("scene", SCENE_FILES, ids=lambda p: p.stem)
def test_scene_header_says_what_it_shows_and_how_to_render_it(scene):
    header = scene.read_text().split("\n\n")[0].splitlines()
    assert header[0].startswith(f"# {scene.name}: "), "the first line names the scene and what it shows"
    assert all(line.startswith("#") for line in header), "the header is one block of comment lines"
    assert any(f"ride render scenes/{scene.name}" in line for line in header), "the header shows a render command"


@pytest.mark.slow
@pytest.mark.parametrize("scene", SCENE_FILES, ids=lambda p: p.stem)
def test_scene_renders_its_first_frames_with_the_preview_engine(scene):
    plan = ride.load(scene)
    width, height = plan.settings.width, plan.settings.height
    assert max(width, height) <= MAX_SIDE, "keep gallery scenes quick to preview"
    frames = {}
    result = ride.render(scene, frames=FIRST_FRAMES, engine="preview", write_video=False, use_cache=False,
                         on_frame=lambda event: frames.setdefault(event.index, event.image))
    assert result.rendered == FIRST_FRAMES[1]
    assert set(range(*FIRST_FRAMES)) <= set(frames)
    assert all(f.shape == (height, width, 3) and f.dtype == np.uint8 for f in frames.values())
    assert frames[FIRST_FRAMES[1] - 1].std() > 5, "the preview painted something, not a flat frame"


def test_scene_images_are_small_and_used(tmp_path):
    images = sorted(p for p in SCENES.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
    used = "\n".join(scene.read_text() for scene in SCENE_FILES)
    for image in images:
        relative = image.relative_to(SCENES).as_posix()
        assert image.stat().st_size < 32_000, f"{relative}: keep gallery images small"
        assert f'"{relative}"' in used, f"{relative} is not used by any scene"
