"""The depth model for the 3D camera (ride/engines/depth_model.py) on a tiny random Depth Anything
built in code (tests/tiny_depth.py): loaded offline from a folder, end to end through `ride render`."""

import numpy as np
import pytest
from conftest import write_scene

pytest.importorskip("torch")
pytest.importorskip("transformers")

import tiny_depth  # noqa: E402

from ride.cli import main  # noqa: E402
from ride.engines.depth_model import DepthModel  # noqa: E402
from ride.engines.preview import PreviewEngine  # noqa: E402
from ride.errors import RideRenderError  # noqa: E402
from ride.renderer.store import DEFAULT_FOLDER  # noqa: E402

pytestmark = pytest.mark.slow  # loading transformers' models takes seconds


@pytest.fixture(scope="module")
def depth_folder(tmp_path_factory):
    return tiny_depth.save_depth_model(tmp_path_factory.mktemp("depth") / "tiny-depth")


def picture(seed: int = 0, width: int = 96, height: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_a_depth_model_folder_gives_a_depth_of_median_100_the_same_every_time(depth_folder):
    model = DepthModel("tiny-depth", base_dir=depth_folder.parent)  # a folder beside the script
    depth = model.depth(picture())
    assert depth.shape == (64, 96) and depth.dtype == np.float32
    assert np.median(depth) == pytest.approx(100.0, rel=1e-3)
    assert np.all(np.isfinite(depth)) and depth.min() >= 1.0
    assert np.array_equal(depth, DepthModel(str(depth_folder)).depth(picture()))  # loaded again: the same
    model.close()


def test_a_depth_model_that_cannot_be_loaded_says_so(tmp_path):
    with pytest.raises(RideRenderError, match=r"cannot load the depth model 'no/such-depth-model'") as error:
        DepthModel("no/such-depth-model", base_dir=tmp_path).depth(picture())
    assert error.value.problems[0].code == "R680"


SCENE = """\
size 64x64
seed 4 iter
strength 0.3
camera {{
  move 0.5, 0, 2
  turn 0, 0.4, 0
  depth {depth}
}}
cadence 2
timeline {{
  0 "a road through a forest"
  6 end
}}
"""


def test_ride_render_with_a_depth_model_folder_offline(depth_folder, tmp_path, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "tiny-depth").symlink_to(depth_folder, target_is_directory=True)
    scene = write_scene(folder, SCENE.format(depth='"tiny-depth"'))
    assert main(["render", str(scene), "-o", f"{folder / 'frames'}/"]) == 0
    assert len(list((folder / "frames").glob("*.png"))) == 6
    cache = folder / DEFAULT_FOLDER
    depths = sorted(cache.rglob("*.depth"))
    assert len(depths) == 3  # frames 0, 2 and 4: each diffused frame's, made once
    stamps = [path.stat().st_mtime_ns for path in depths]
    capsys.readouterr()
    assert main(["render", str(scene), "--frames", "0:6"]) == 0  # everything reused: no model runs again
    assert "6 reused, 0 rendered" in capsys.readouterr().out
    assert [path.stat().st_mtime_ns for path in sorted(cache.rglob("*.depth"))] == stamps


def test_the_depth_model_moves_the_picture_as_its_depth_says(depth_folder, tmp_path):
    """Same scene, the model's depth against a flat wall: different frames, and both the same run to run."""
    from builders import compile_scene, feedback_render

    def frames(depth: str):
        plan = compile_scene(SCENE.format(depth=depth), depth_folder.parent)
        return feedback_render(plan, PreviewEngine())

    model, again, flat = frames('"tiny-depth"'), frames('"tiny-depth"'), frames("100")
    assert all(np.array_equal(a, b) for a, b in zip(model, again))
    assert not np.array_equal(model[2], flat[2])


DIFFUSED = """\
model "sd"
size 64x64
steps 2
seed 4 iter
strength 0.5
camera {{
  move 0.5, 0, 2
  depth {depth}
}}
timeline {{
  0 "a road through a forest"
  4 end
}}
"""


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    import tiny_sd

    return tiny_sd.save_sd(tmp_path_factory.mktemp("sd") / "sd")


def test_depth_auto_with_diffusers_runs_the_default_depth_model_on_each_frame(depth_folder, sd_folder, tmp_path,
                                                                             monkeypatch, capsys):
    import ride.engines.depth_model as depth_model

    monkeypatch.setattr(depth_model, "DEFAULT_DEPTH_MODEL", str(depth_folder))  # Depth Anything V2, offline
    (tmp_path / "sd").symlink_to(sd_folder, target_is_directory=True)
    scene = write_scene(tmp_path, DIFFUSED.format(depth="auto"))
    assert main(["render", str(scene), "-o", f"{tmp_path / 'frames'}/"]) == 0
    assert len(list((tmp_path / "frames").glob("*.png"))) == 4
    assert len(list((tmp_path / DEFAULT_FOLDER).rglob("*.depth"))) == 3  # frames 0, 1, 2 warped into 1, 2, 3


def test_a_depth_model_that_cannot_load_stops_the_render_before_frame_0(sd_folder, tmp_path, capsys):
    (tmp_path / "sd").symlink_to(sd_folder, target_is_directory=True)
    scene = write_scene(tmp_path, DIFFUSED.format(depth='"no/such-depth-model"'))
    assert main(["render", str(scene), "-o", f"{tmp_path / 'frames'}/"]) == 1
    assert "cannot load the depth model 'no/such-depth-model'" in capsys.readouterr().err
    assert not list((tmp_path / DEFAULT_FOLDER).rglob("*.frame"))
