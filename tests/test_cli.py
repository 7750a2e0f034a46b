"""`ride check` and `ride plan` as a user runs them."""

import json
import subprocess
import sys

import pytest
from conftest import SCENES, write_scene

from ride.cli import main

GIRO = str(SCENES / "giro.ride")


def test_check_ok_and_exit_code(capsys):
    assert main(["check", GIRO]) == 0
    assert "giro.ride: ok (275 frames" in capsys.readouterr().out


def test_check_reports_every_error_with_position_caret_and_hint(tmp_path, capsys):
    bad = write_scene(tmp_path, 'zom 1.01\nstrength 2\ntimeline {\n  0 "a"\n  9 end\n}\n', "bad.ride")
    assert main(["check", str(bad), GIRO]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:1:1: error: unknown setting 'zom'" in captured.err
    assert "hint: did you mean 'zoom'?" in captured.err
    assert f"{bad}:2:1: error: strength must be between 0 and 1" in captured.err
    assert "       | ^^^" in captured.err
    assert "2 errors" in captured.err
    assert "giro.ride: ok" in captured.out  # the other file is still checked


def test_check_of_a_missing_file(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.ride")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_plan_json_has_the_documented_fields(capsys):
    assert main(["plan", GIRO, "--format", "json", "--frames", "20:23"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["fps"], data["width"], data["height"]) == (12, 512, 512)
    assert [f["index"] for f in data["frames"]] == [20, 21, 22]
    frame = data["frames"][0]
    for field in ("index", "time", "seed", "strength", "guidance", "steps", "noise", "camera",
                  "conditioning", "negative", "loop_blend", "key"):
        assert field in frame
    assert set(frame["camera"]) == {"zoom", "pan_x", "pan_y", "rotate", "focus_x", "focus_y",
                                    "move_x", "move_y", "move_z", "turn_x", "turn_y", "turn_z", "fov"}
    assert frame["conditioning"]["morph"]["method"] == "lerp"


def test_plan_csv_and_table(capsys):
    assert main(["plan", GIRO, "--format", "csv", "--frames", ":3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("index,time,seed,strength") and len(lines) == 4
    assert main(["plan", GIRO, "--frames", "270:"]) == 0
    assert "274" in capsys.readouterr().out


def test_plan_bad_frames_is_a_clear_error(capsys):
    assert main(["plan", GIRO, "--frames", "x:y"]) == 1
    assert "--frames must look like A:B" in capsys.readouterr().err


@pytest.mark.slow
def test_check_does_not_import_torch():
    code = ("import sys; from ride.cli import main; main(['check', %r]); "
            "sys.exit(1 if {'torch', 'diffusers', 'moviepy'} & set(sys.modules) else 0)") % GIRO
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_python_api_load():
    import ride

    plan = ride.load(GIRO)
    assert len(plan) == 275 and plan.frame(0).conditioning.sources[0].source.kind == "prompt"


def test_a_byte_order_mark_is_no_error(tmp_path, capsys):
    scene = tmp_path / "bom.ride"
    scene.write_bytes(b"\xef\xbb\xbf" + b'timeline {\n  0 "a road"\n  48 end\n}\n')
    assert main(["check", str(scene)]) == 0


def test_version_prints_the_packages_version(capsys):
    import re

    import ride

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ride {ride.__version__}\n"
    project = re.search(r'^version = "(.+)"$', (SCENES.parent / "pyproject.toml").read_text(), re.M)
    assert ride.__version__ == project[1]  # the wheel's metadata and `ride --version` agree


def test_cache_info_of_a_folder_that_is_not_a_cache_is_an_error(tmp_path, capsys):
    assert main(["cache", "info", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert f"error: '{tmp_path / 'nope'}' is not a frame cache: no such folder [R621]" in err
    assert "hint: a frame cache is the .ride-cache/ folder a render makes beside its script" in err
    write_scene(tmp_path, 'timeline {\n  0 "a road"\n  4 end\n}\n')
    assert main(["cache", "prune", str(tmp_path), "--max-size", "1MB"]) == 1  # never prunes a folder of files
    assert "is not a frame cache: it holds other files" in capsys.readouterr().err


def test_cache_info_of_a_scene_folder_points_at_its_cache(tmp_path, capsys):
    scene = write_scene(tmp_path, 'size 64x64\ntimeline {\n  0 "a road"\n  4 end\n}\n')
    assert main(["render", str(scene), "--engine", "preview", "-o", str(tmp_path / "out.gif")]) == 0
    capsys.readouterr()
    assert main(["cache", "info", str(tmp_path)]) == 1
    assert f"hint: did you mean '{tmp_path / '.ride-cache'}'?" in capsys.readouterr().err
    assert main(["cache", "info", str(tmp_path / ".ride-cache")]) == 0
    assert "4 frames" in capsys.readouterr().out


def test_cache_prune_keep_last(tmp_path, capsys):
    scene = write_scene(tmp_path, 'size 64x64\ntimeline {\n  0 "a road"\n  6 end\n}\n')
    assert main(["render", str(scene), "--engine", "preview", "--cache", str(tmp_path / "c"), "-o",
                 str(tmp_path / "out.gif")]) == 0
    capsys.readouterr()
    assert main(["cache", "prune", str(tmp_path / "c"), "--keep-last", "2"]) == 0
    assert "removed 4 frames; 2 frames" in capsys.readouterr().out
    assert main(["cache", "prune", str(tmp_path / "c"), "--keep-last", "-1"]) == 1
    assert "--keep-last must be 0 or more" in capsys.readouterr().err
