"""`ride import deforum`: the imported scene's plan equals what Deforum computes, at every frame.

The reference (tests/deforum_reference.py) is Deforum's own code transcribed, run with numexpr;
the scene is compiled by ride. Real settings files from public repositories are in
tests/data/deforum/ (SOURCES.tsv says where each comes from); hypothesis writes more schedules.
"""

from __future__ import annotations

import json
from pathlib import Path

import deforum_reference as ref
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ride.cli import main
from ride.compile.compiler import compile_text
from ride.errors import RideError
from ride.importers.deforum import import_deforum
from ride.language.format import format_text

DATA = Path(__file__).parent / "data" / "deforum"
FILES = sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".json"))
MALFORMED = {"26_e-dream-ai_gpu-container-deforum_test-settings.txt": ("rotation_3d_x", "R392")}
PARSEQ = [p for p in FILES if "parseq" in p.name]
SETTINGS = [p for p in FILES if p.name not in MALFORMED and p not in PARSEQ]
TOLERANCE = 1e-6


def _settings(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _is_3d(settings: dict) -> bool:
    return settings.get("animation_mode") == "3D"


def _plan(text: str):
    return compile_text(text, "scene.ride")


def _column(plan, name: str) -> np.ndarray:
    frames = list(plan.frames(0, len(plan)))
    return np.array([getattr(f.camera, name) if hasattr(f.camera, name) else getattr(f, name) for f in frames],
                    dtype=float)


def _close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    worst = np.max(np.abs(actual - expected)) if len(actual) else 0.0
    assert worst <= TOLERANCE, f"{what}: differs by {worst} (first at frame {np.argmax(np.abs(actual - expected))})"


def check_values(settings: dict, plan, camera: bool = True) -> None:
    """Every mapped value of every frame, and the prompts, against the reference."""
    n = int(settings["max_frames"])
    assert len(plan) == n
    seed = settings.get("seed", -1)
    if "strength_schedule" in settings:
        _close(_column(plan, "strength"), 1 - np.clip(ref.schedule(settings, "strength_schedule", seed), 0, 1),
               "strength")
    if "cfg_scale_schedule" in settings:
        _close(_column(plan, "guidance"), np.clip(ref.schedule(settings, "cfg_scale_schedule", seed), 0, 100),
               "guidance")  # ride's range: outside it, the import clips (with a warning)
    if "noise_schedule" in settings:
        _close(_column(plan, "noise"), np.clip(ref.schedule(settings, "noise_schedule", seed), 0, 1), "noise")
    if camera and not _is_3d(settings):
        for deforum, ride in (("zoom", "zoom"), ("angle", "rotate"), ("translation_x", "pan_x"),
                              ("translation_y", "pan_y"), ("transform_center_x", "focus_x"),
                              ("transform_center_y", "focus_y")):
            if deforum in settings:
                _close(_column(plan, ride), ref.schedule(settings, deforum, seed), ride)
    if camera and _is_3d(settings):
        for deforum, ride, sign in (("translation_x", "move_x", 1), ("translation_y", "move_y", -1),
                                    ("translation_z", "move_z", 1), ("rotation_3d_x", "turn_x", -1),
                                    ("rotation_3d_y", "turn_y", 1), ("rotation_3d_z", "turn_z", 1),
                                    ("fov_schedule", "fov", 1)):
            if deforum in settings:
                _close(_column(plan, ride), sign * ref.schedule(settings, deforum, seed), ride)
    if seed != -1 or settings.get("seed_behavior") == "schedule":
        planned = _column(plan, "seed")
        for frame, expected in ref.seeds(settings, seed).items():
            assert planned[frame] == expected % 2**32, f"seed at frame {frame}"
    expected = ref.prompts(settings)
    frames = list(plan.frames(0, n))
    for f, (positive, negative) in zip(frames, expected):
        assert [w.source.value for w in f.conditioning.sources] == [positive], f"prompt at frame {f.index}"
        assert (f.negative or "") == negative, f"negative at frame {f.index}"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name[:2]) for p in SETTINGS])
def test_every_file_imports_to_a_scene_that_evaluates_as_deforum(path):
    settings = _settings(path)
    imported = import_deforum(path)
    check_values(settings, _plan(imported.text))


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name[:2]) for p in SETTINGS])
def test_the_scene_is_in_canonical_layout_and_names_its_source(path):
    imported = import_deforum(path)
    assert format_text(imported.text) == imported.text
    assert imported.text.startswith(f"# {path.stem}.ride: imported from {path.name}")
    assert "source: Deforum" in imported.text.splitlines()[1]


def test_a_parseq_manifest_imports_as_per_frame_tracks():
    path = PARSEQ[0]
    manifest = _settings(path)
    frames = manifest["rendered_frames"]
    plan = _plan(import_deforum(path).text)
    assert len(plan) == len(frames)
    _close(_column(plan, "rotate"), np.array([f["angle_delta"] for f in frames]), "rotate")
    assert list(_column(plan, "seed")) == [int(f["seed"]) for f in frames]
    for f, frame in zip(plan.frames(0, len(plan)), frames):
        positive, negative = frame["deforum_prompt"].split("--neg")
        assert f.conditioning.sources[0].source.value == positive.strip()
        assert f.negative == negative.strip()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_file_is_an_error_naming_the_key_and_value(name):
    key, code = MALFORMED[name]
    with pytest.raises(RideError) as caught:
        import_deforum(DATA / name)
    problem = caught.value.problems[0]
    assert problem.code == code
    assert problem.message.startswith(f'{key}: "0: 0: ((0.11')
    assert "has two ':'" in problem.message
    assert problem.span.line == 50


# ---- schedules written by hypothesis ---------------------------------------------------------

_NUMBERS = st.sampled_from(["0", "1", "-1", "0.5", ".25", "-0.75", "1.02", "2", "10", "+3"])
_EXPRESSIONS = st.sampled_from(["(1.02+0.01*sin(t/5))", "(t%7)", "(0.5*cos(3.141*t/12)**2)", "(max_f/100)",
                                "(0.3+0.001*t)", "(1.)", "(abs(sin(t/3)))", "(0.5**(t%3))", "(-1+2*(t>10))"])


@st.composite
def schedules(draw, length: int, numbers=_NUMBERS, expressions=_EXPRESSIONS) -> str:
    frames = sorted(set(draw(st.lists(st.integers(1, length + 5), max_size=6))) | {0})
    parts = []
    for frame in frames:
        value = draw(st.one_of(numbers, expressions))
        parts.append(f"{frame}: {value if value.startswith('(') else '(' + value + ')'}")
    return ", ".join(parts)


_COLAB_EXPRESSIONS = st.sampled_from(["(where(t>10, 1, -1))", "(minimum(t, 5)*0.5)", "(sin(t/4))", "(t%3)"])
_UNIT = st.sampled_from(["0", "1", "0.5", ".25", "0.65", "0.9"])
_UNIT_EXPRESSIONS = st.sampled_from(["(0.5+0.4*sin(t/5))", "(0.1*(t%5))", "(0.65)", "(0.5+0.5*cos(t/4))"])
_ZOOM = st.sampled_from(["1", "1.02", "0.98", "1.5", "0.5"])
_ZOOM_EXPRESSIONS = st.sampled_from(["(1.02+0.01*sin(t/5))", "(1+0.001*(t%9))", "(1.)"])


@st.composite
def deforum_settings(draw) -> dict:
    length = draw(st.integers(1, 40))
    keys = draw(st.lists(st.integers(0, length + 10), min_size=1, max_size=5, unique=True))
    words = st.sampled_from(["a forest", "a lake --neg fog", "a city at night", "snow --neg people, text",
                             "a field `t*2` flowers", "a road `max_f-t`"])
    prompts = {str(k): draw(words) for k in keys}
    settings = {
        "max_frames": length, "animation_mode": "2D", "seed": draw(st.integers(0, 2**32 - 1)),
        "seed_behavior": draw(st.sampled_from(["iter", "fixed", "ladder", "alternate"])),
        "seed_iter_N": draw(st.integers(1, 3)), "diffusion_cadence": draw(st.integers(1, 4)),
        "prompts": prompts, "animation_prompts_positive": draw(st.sampled_from(["", "masterpiece,"])),
        "animation_prompts_negative": draw(st.sampled_from(["", "blurry"])), "deforum_git_commit_id": "test",
        "strength_schedule": draw(schedules(length, _UNIT, _UNIT_EXPRESSIONS)),
        "noise_schedule": draw(schedules(length, _UNIT, _UNIT_EXPRESSIONS)),
        "cfg_scale_schedule": draw(schedules(length)).replace("-", ""),
        "zoom": draw(schedules(length, _ZOOM, _ZOOM_EXPRESSIONS)),
        "angle": draw(schedules(length)), "translation_x": draw(schedules(length)),
        "translation_y": draw(schedules(length)),
    }
    if draw(st.booleans()):  # a 3D scene: translation_x/y are the camera's move there
        settings["animation_mode"] = "3D"
        for key in ("translation_z", "rotation_3d_x", "rotation_3d_y", "rotation_3d_z"):
            settings[key] = draw(schedules(length))
        settings["fov_schedule"] = draw(schedules(length, st.sampled_from(["40", "70", "120"]),
                                                  st.sampled_from(["(40+20*sin(t/5))", "(70)"])))
    kind = draw(st.sampled_from(["ui", "run", "colab"]))
    if kind == "run":  # a run's saved settings: the prompts are already merged, the globals kept apart
        settings["positive_prompts"] = settings.pop("animation_prompts_positive")
        settings["negative_prompts"] = settings.pop("animation_prompts_negative")
    if kind == "colab":  # the notebook: animation_prompts; its parser reads commas inside calls
        for key in ("animation_prompts_positive", "animation_prompts_negative", "deforum_git_commit_id"):
            del settings[key]
        settings["animation_prompts"] = settings.pop("prompts")
        settings["translation_x"] = draw(schedules(length, expressions=_COLAB_EXPRESSIONS))
        for key, value in settings.items():  # the notebook's schedules read only t
            if key.endswith("_schedule") or key.startswith(("translation_", "rotation_3d_")) or key in ("zoom", "angle"):
                settings[key] = value.replace("max_f", "29")
    return settings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deforum_settings())
def test_generated_schedules_and_prompts_evaluate_as_deforum(tmp_path_factory, settings_dict):
    path = tmp_path_factory.mktemp("deforum") / "deforum_settings.txt"
    path.write_text(json.dumps(settings_dict), encoding="utf-8")
    check_values(settings_dict, _plan(import_deforum(path).text))


# ---- the command -------------------------------------------------------------------------------


def test_the_command_writes_the_scene_and_one_warning_line_each(tmp_path, capsys):
    source = DATA / "06_ryuhat_stable-diffusion-webui_deforum_settings.txt"
    out = tmp_path / "scene.ride"
    assert main(["import", "deforum", str(source), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert out.read_text(encoding="utf-8") == import_deforum(source).text
    warnings = [line for line in captured.err.splitlines() if ": warning: " in line]
    assert len(warnings) == len(import_deforum(source).warnings) >= 1
    assert any("(word:1.2)" in w for w in warnings)
    assert main(["check", str(out)]) == 0


def test_the_command_prints_to_standard_output(capsys):
    assert main(["import", "deforum", str(DATA / "28_deforum-art_sd-webui-deforum_simple.input_settings.txt")]) == 0
    assert "timeline {" in capsys.readouterr().out


def test_a_malformed_file_exits_1_with_a_positioned_error_and_no_traceback(capsys):
    path = DATA / "26_e-dream-ai_gpu-container-deforum_test-settings.txt"
    assert main(["import", "deforum", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:50:5: error: rotation_3d_x:" in err
    assert "[R392]" in err and "Traceback" not in err


@pytest.mark.parametrize("text, message, code", [
    ("not json", "it is not JSON", "R592"),
    ('{"W": 512}', "not a Deforum settings file", "R592"),
    ('{"max_frames": 10, "prompts": {"0": "a"}, "zoom": 1.02}', 'zoom: 1.02: a bare number', "R392"),
    ('{"max_frames": 10, "prompts": {"0": "a"}, "zoom": "1.02"}', "has no ':'", "R392"),
    ('{"max_frames": 10, "prompts": {"0": "a"}, "zoom": "5: (1.02)"}', "no key at frame 0", "R392"),
    ('{"max_frames": 10, "prompts": {"0": "a"}, "angle": "0: (min(1, t))"}', "a comma inside a call", "R393"),
    ('{"max_frames": 10, "prompts": {"0": "a"}, "angle": "0: (foo(t))"}', "unknown function", "R393"),
    ('{"max_frames": 10, "prompts": {"0": "a `sqrt(t)`"}}', "'sqrt' becomes 'sqr0'", "R396"),
    ('{"max_frames": 10, "seed": -1, "prompts": {"0": "a"}, "angle": "0: (s)"}', "reads the seed", "R394"),
    ('{"max_frames": "many", "prompts": {"0": "a"}}', "is not a number of frames", "R397"),
])
def test_mistakes_are_errors_with_the_fix(tmp_path, text, message, code):
    path = tmp_path / "deforum_settings.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RideError) as caught:
        import_deforum(path)
    problem = caught.value.problems[0]
    assert message in problem.message and problem.code == code
    assert problem.hint or code in ("R393", "R397")
