"""The plan is a contract: frozen, read-only, and its JSON reads back as the same plan."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import SCENES, write_scene
from hypothesis import given, settings
from hypothesis import strategies as st

import ride
import ride.cli
from ride.compile.compiler import compile_text, load
from ride.engines import check_engine_options
from ride.errors import RideError
from ride.plan import Plan

SCENE_CASES = sorted(SCENES.glob("*.ride"))


def assert_same_plan(a: Plan, b: Plan) -> None:
    assert a.settings == b.settings
    assert list(a.frames()) == list(b.frames())
    assert a.keys() == b.keys()


@pytest.mark.parametrize("scene", SCENE_CASES, ids=lambda p: p.stem)
def test_every_scene_round_trips_through_json(scene):
    plan = ride.load(scene)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert_same_plan(plan, again)


numbers = st.floats(-1000, 1000, allow_nan=False).map(lambda x: f"{x:.9f}")
prompts = st.text(alphabet="abc xyz,.", min_size=1, max_size=12)


@st.composite
def scripts(draw):
    length = draw(st.integers(2, 40))
    key_frames = sorted(draw(st.sets(st.integers(1, length - 1), max_size=4)))
    lines = [f"fps {draw(st.sampled_from(['12', '24', '7.5']))}",
             f"strength {draw(st.floats(0, 1)):.9f}",
             f"guidance 7 + sin(t * {draw(numbers)}) * 0.3",
             f"seed {draw(st.integers(0, 2**40))}" + draw(st.sampled_from(["", " iter"])),
             "camera {",
             f"  zoom 1 + 0.01 * sin(t / {draw(st.integers(1, 9))})",
             f"  pan {draw(numbers)}, t * 0.1",
             f"  rotate {draw(numbers)}",
             "}",
             f"cadence {draw(st.integers(1, 3))}"]
    if draw(st.booleans()) and length > 3:
        lines.append(f"loop close {draw(st.integers(1, length - 2))}")
    lines.append("timeline {")
    lines.append(f'  0 "{draw(prompts)}" * 2 + "{draw(prompts)}"')
    for frame in key_frames:
        morph = draw(st.sampled_from(["", " morph 3", " morph 2 slerp ease"]))
        lines.append(f'  {frame} "{draw(prompts)}"{morph}')
    lines += [f"  {length} end", "}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(scripts())
def test_from_json_of_to_json_is_the_same_plan(text):
    plan = compile_text(text)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert_same_plan(plan, again)


def test_plan_and_settings_are_frozen_and_columns_read_only():
    plan = ride.load(SCENES / "giro.ride")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.settings.width = 64
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.columns = {}
    with pytest.raises(ValueError):
        plan.columns["zoom"][0] = 2.0
    with pytest.raises(TypeError):
        plan.columns["zoom"] = np.zeros(len(plan))
    with pytest.raises(TypeError):
        plan.settings.assets["x"] = "y"


def test_a_constant_column_holds_one_value_and_reads_as_every_frames():
    text = ('camera { zoom { 0 1; 500 1.02 } }\nstrength 0.35\n'
            'timeline {\n  0 "a road"\n  1000 end\n}\n')
    plan = compile_text(text)
    strength, zoom = plan.columns["strength"], plan.columns["zoom"]
    assert strength.strides == (0,) and strength.shape == (len(plan),)  # 8 bytes, however long the scene
    assert zoom.strides != (0,)  # a track varies: a real column
    assert plan.frame(999).strength == 0.35 and plan.camera(700).zoom == 1.02
    with pytest.raises(ValueError):
        strength[0] = 0.5
    assert_same_plan(Plan.from_json(json.loads(json.dumps(plan.to_json()))), plan)


def test_a_partial_plan_json_is_refused():
    plan = ride.load(SCENES / "giro.ride")
    with pytest.raises(ValueError, match="write it whole"):
        Plan.from_json(plan.to_json(0, 10))


def _png(color) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


class MemoryReader:
    """Files in memory: the compiler must read through the reader it is given, and nothing else."""

    def __init__(self, files):
        self.files = files
        self.asked = []

    def read_text(self, path):
        self.asked.append(path.name)
        return self.files[path.name].decode()

    def read_bytes(self, path):
        self.asked.append(path.name)
        return self.files[path.name]

    def is_file(self, path):
        self.asked.append(path.name)
        return path.name in self.files


def test_the_compiler_reads_files_only_through_its_reader(tmp_path):
    script = b'init "start.png"\ntimeline {\n  0 image "key.png"\n  5 end\n}\n'
    first, second = _png((10, 20, 30)), _png((40, 50, 60))  # images: their headers are read at check time
    reader = MemoryReader({"scene.ride": script, "start.png": first, "key.png": second})
    plan = load(tmp_path / "scene.ride", reader=reader)  # nothing of it is on disk
    assert {"scene.ride", "start.png", "key.png"} <= set(reader.asked)
    assert set(plan.settings.assets) == {"start.png", "key.png"}
    other = load(tmp_path / "scene.ride", reader=MemoryReader({**reader.files, "key.png": _png((70, 80, 90))}))
    assert other.keys()[0] != plan.keys()[0]  # an image's bytes are in the keys
    with pytest.raises(RideError, match=r"file not found: 'key.png'"):
        load(tmp_path / "scene.ride", reader=MemoryReader({"scene.ride": script, "start.png": first}))


def test_an_unknown_scheduler_is_the_engines_check_and_points_at_its_line(tmp_path, capsys):
    path = write_scene(tmp_path, 'title "t"\nscheduler eulr\ntimeline {\n  0 "a road"\n  48 end\n}\n')
    plan = ride.load(path)  # the compiler no longer knows engines' scheduler names
    (problem,) = check_engine_options(plan)
    assert problem.code == "R601" and problem.span.line == 2 and "unknown scheduler 'eulr'" in problem.message
    assert ride.cli.main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2:1: error: unknown scheduler 'eulr'" in err
    assert "hint: did you mean 'euler' or 'euler_a'?" in err
    good = write_scene(tmp_path, 'scheduler euler_a\ntimeline {\n  0 "a"\n  4 end\n}\n', "good.ride")
    assert check_engine_options(ride.load(good)) == []
