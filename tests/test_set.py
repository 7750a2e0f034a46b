"""`--set NAME=VALUE[,VALUE...]` on check, plan and render: overrides, their precedence, their errors."""

import json

import pytest
from conftest import write_scene

from ride.cli import main
from ride.cli.set_flags import combinations, parse_set_flags, split_values
from ride.compile.compiler import Overrides, load
from ride.compile.overrides import SettingOverride
from ride.errors import RideError

SCENE = """size 64x64
seed 7
strength 0.4
let late = 0.5
camera {
  zoom 1.01
}
track guidance {
  0 7
  12 late * 10 hold
}
timeline {
  0 "a road"
  24 end
}
"""


def plan_with(tmp_path, *values):
    path = write_scene(tmp_path, SCENE, "s.ride")
    return load(path, overrides=Overrides(settings=tuple(SettingOverride(n, v) for n, v in values)))


def frame(plan, index):
    return next(plan.frames(index, index + 1))


def test_a_value_replaces_the_scripts_line_camera_line_and_track(tmp_path):
    plan = plan_with(tmp_path, ("strength", "0.2"), ("zoom", "0.99"), ("guidance", "5"), ("seed", "3 iter"))
    f = frame(plan, 20)
    assert (f.strength, f.camera.zoom, f.guidance, f.seed) == (0.2, 0.99, 5.0, 23)


def test_expressions_words_texts_and_pair_halves(tmp_path):
    plan = plan_with(tmp_path, ("strength", "0.3 + 0.1*(t >= 12)"), ("color", "match off"), ("pan_x", "2"),
                     ("negative", 'blurry, "text"'), ("title", "a test"), ("reverse", "on"))
    assert (frame(plan, 0).strength, frame(plan, 12).strength) == (0.3, 0.4)
    assert frame(plan, 5).camera.pan_x == 2.0 and frame(plan, 5).camera.pan_y == 0.0
    assert plan.settings.color_match == "off" and plan.settings.reverse
    assert frame(plan, 0).negative == 'blurry, "text"' and plan.settings.title == "a test"


def test_a_let_of_the_script_can_be_set(tmp_path):
    plan = plan_with(tmp_path, ("late", "0.9"))
    assert frame(plan, 20).guidance == 9.0


def test_keys_follow_the_override_and_only_from_the_frame_it_changes(tmp_path):
    base = plan_with(tmp_path).keys()
    late = plan_with(tmp_path, ("late", "0.9")).keys()
    assert late[:12] == base[:12] and late[12] != base[12]  # a value keyed at frame 12 changes 12 on
    assert plan_with(tmp_path, ("strength", "0.4")).keys() == base  # the script's own value: same frames


def test_value_errors_name_the_flag_all_at_once(tmp_path, capsys):
    path = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["check", str(path), "--set", "strength=5", "--set", "strenght=1", "--set", "zoom=foo(",
                 "--set", "color=purple"]) == 1
    err = capsys.readouterr().err
    assert f"{path}: error: --set strength=5: strength must be between 0 and 1; frame 0 has 5 [R306]" in err
    assert f"{path}: error: --set strenght=1: unknown setting 'strenght' [R241]\n  hint: did you mean " \
           "'strength'?" in err
    assert "--set zoom=foo(: " in err and "--set color=purple: " in err
    assert "4 errors" in err and "Traceback" not in err


def test_flag_shape_errors_come_before_any_script_is_read(capsys):
    assert main(["check", "nope.ride", "--set", "seed", "--set", "x=2"]) == 1
    err = capsys.readouterr().err
    assert "--set seed: expected NAME=VALUE [R740]" in err and "cannot read" not in err


def test_flag_shape_error_texts(capsys):
    with pytest.raises(RideError) as caught:
        parse_set_flags(["seed", "pan=1,2", "x=1,", "strength=1", "strength=2"])
    assert str(caught.value).splitlines() == [
        "ride: error: --set seed: expected NAME=VALUE [R740]",
        "  hint: e.g. --set strength=0.5, or --set seed=1,2,3 for a sweep over three values",
        "ride: error: --set pan=1,2: 'pan' is two numbers [R742]",
        "  hint: set each: --set pan_x=... --set pan_y=...",
        "ride: error: --set x=1,: a value is empty [R740]",
        "  hint: values are separated by commas: --set x=A,B",
        "ride: error: --set strength=2: 'strength' is set twice [R743]",
        "  hint: give every value in one flag: --set strength=A,B"]
    assert main(["check", "nope.ride", "--set", "seed"]) == 1  # exit status 1, as other option errors
    assert "R740" in capsys.readouterr().err


def test_values_split_at_commas_outside_quotes_and_brackets():
    assert split_values('1,2') == ["1", "2"]
    assert split_values('"a, b",c') == ['"a, b"', "c"]
    assert split_values("clip(t, 0, 1),2") == ["clip(t, 0, 1)", "2"]


def test_sweeps_multiply_first_flag_slowest():
    sweeps = parse_set_flags(["seed=1,2", "strength=0.3,0.5", "steps=20"])
    assert [tuple(v.value for v in c) for c in combinations(sweeps)] == [
        ("1", "0.3", "20"), ("1", "0.5", "20"), ("2", "0.3", "20"), ("2", "0.5", "20")]


def test_check_and_plan_with_a_sweep(tmp_path, capsys):
    path = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["check", str(path), "--set", "seed=1,2"]) == 0
    out = capsys.readouterr().out
    assert f"{path} [seed=1]: ok" in out and f"{path} [seed=2]: ok" in out
    assert main(["plan", str(path), "--set", "seed=1,2", "--frames", ":2"]) == 0
    out = capsys.readouterr().out
    assert "seed=1" in out and "seed=2" in out
    assert main(["plan", str(path), "--set", "seed=1,2", "--format", "json"]) == 1
    assert "--format json prints one plan; these --set values make 2 [R748]" in capsys.readouterr().err
    assert main(["plan", str(path), "--set", "steps=12", "--format", "json", "--frames", ":1"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"][0]["steps"] == 12


def test_the_python_api_takes_settings_as_set_does(tmp_path):
    import ride

    path = write_scene(tmp_path, SCENE.replace("24 end", "3 end"), "s.ride")
    plain, strong = [], []
    ride.render(path, write_video=False, use_cache=False, on_frame=lambda e: plain.append(e.image))
    ride.render(path, write_video=False, use_cache=False, settings={"strength": 0.9},
                on_frame=lambda e: strong.append(e.image))
    assert len(plain) == len(strong) == 3
    assert not (plain[2] == strong[2]).all()
    with pytest.raises(RideError, match="--set strength=5: strength must be between 0 and 1"):
        ride.render(path, write_video=False, use_cache=False, settings={"strength": 5})
