"""The scene's curves (ride/plot/series.py) and `ride plot` (ride/plot/figure.py, matplotlib)."""

import json
import sys

import numpy as np
import pytest
from builders import compile_scene, scene_text
from conftest import GOLDEN, SCENES
from test_golden import check_golden

from ride.cli import main
from ride.errors import RideError
from ride.plot.series import WEIGHT, Curves, Series, plan_curves, sample_frames

matplotlib = pytest.importorskip("matplotlib", reason="ride plot needs matplotlib (pip install 'ride[plot]')")
from ride.plot import figure  # noqa: E402

GOLDEN_MATPLOTLIB = "3.11.2"  # the version tests/golden/plot/*.svg were written with (pinned in `dev`)

TEXT = scene_text(['0 "a road"', '6 "a sea" * 0.75 + "a sky" * 0.25 morph 4'], length=12, fps=4, bpm=60,
                  tracks={"noise": ["0 0.02", "1s 0.06 ease", "end 0.03"]}, camera={"pan": "0, 0.5*t"})


def small_curves() -> Curves:
    return plan_curves(compile_scene(TEXT), TEXT)


def by_name(curves: Curves) -> dict[str, Series]:
    return {s.name: s for s in curves.series}


def test_every_column_is_a_curve_with_its_keys():
    curves = by_name(small_curves())
    plan = compile_scene(TEXT)
    for name in ("seed", "strength", "noise", "zoom", "pan_x", "pan_y", "loop_blend"):
        assert np.array_equal(curves[name].values, plan.columns[name])
    assert curves["noise"].keys == (0, 4, 11)  # 0, 1s at 4 fps, end
    assert not curves["noise"].constant and curves["zoom"].constant
    assert curves["pan_y"].keys == ()  # an expression has no keys


def test_weights_share_each_frame_and_follow_the_morph():
    curves = small_curves()
    weights = {s.name: s.values for s in curves.group(WEIGHT)}
    assert list(weights) == ['"a road"', '"a sea"', '"a sky"']
    assert np.allclose(sum(weights.values()), 1.0)
    assert weights['"a road"'][0] == 1.0 and weights['"a sea"'][11] == 0.75
    assert 0 < weights['"a road"'][4] < 1  # mid-morph: both mixes in proportion
    assert curves.timeline_keys == (0, 6)


def test_select_window_and_json():
    curves = small_curves().select(["noise", "conditioning"]).window(2, 10)
    assert [s.name for s in curves.series if s.group != WEIGHT] == ["noise"]
    data = curves.to_json()
    assert data["frames"] == list(range(2, 10))
    noise = data["series"][0]
    assert [k for k, _ in noise["keys"]] == [4] and len(noise["values"]) == 8
    assert data["timeline_keys"] == [6]


def test_unknown_track_is_r753_with_a_suggestion():
    with pytest.raises(RideError) as caught:
        small_curves().select(["nosie"])
    assert caught.value.problems[0].code == "R753" and "noise" in caught.value.problems[0].hint


def test_more_series_are_one_call():
    """Issue 19's audio curves: any named per-frame series joins the page and the plot."""
    curves = small_curves()
    level = Series("level", np.linspace(0, 1, 12), "audio")
    more = curves.adding(level)
    assert "level" in more.names and more.to_json()["series"][-1]["group"] == "audio"
    assert "level" in [p["label"] for p in figure.drawn(figure.draw(more))]


def test_long_scenes_are_sampled_for_the_page():
    frames = sample_frames(0, 100_000, 4000)
    assert len(frames) <= 4000 and frames[0] == 0 and frames[-1] == 99_999


def test_drawn_curves_golden(update_golden):
    """What `ride plot scenes/pulse.ride` draws, panel by panel, as data."""
    plan_text = (SCENES / "pulse.ride").read_text()
    from ride.compile.compiler import load

    curves = plan_curves(load(SCENES / "pulse.ride"), plan_text).window(0, 48)
    drawn = figure.drawn(figure.draw(curves))
    check_golden(GOLDEN / "plot" / "pulse.drawn.json", json.dumps(drawn, indent=None) + "\n", update_golden)


@pytest.mark.slow
def test_same_curves_same_bytes():
    curves = small_curves()
    assert figure.write(curves, "svg") == figure.write(curves, "svg")
    assert figure.write(curves, "png") == figure.write(curves, "png")
    svg = figure.write(curves, "svg").decode()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


@pytest.mark.skipif(matplotlib.__version__ != GOLDEN_MATPLOTLIB,
                    reason=f"the golden SVG is matplotlib {GOLDEN_MATPLOTLIB}'s (pinned in the dev extra)")
def test_svg_golden(update_golden):
    check_golden(GOLDEN / "plot" / "small.svg", figure.write(small_curves(), "svg").decode(), update_golden)


@pytest.mark.slow
def test_cli_writes_png_and_svg(tmp_path, capsys):
    scene = tmp_path / "scene.ride"
    scene.write_text(TEXT)
    assert main(["plot", str(scene)]) == 0
    png = tmp_path / "scene.curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plot", str(scene), "-o", str(tmp_path / "c.svg"), "--tracks", "noise", "--frames", "2:8"]) == 0
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
    assert "frames 2-7" in capsys.readouterr().out


def test_cli_mistakes(tmp_path, capsys):
    scene = tmp_path / "scene.ride"
    scene.write_text(TEXT)
    assert main(["plot", str(scene), "-o", str(tmp_path / "c.jpg")]) == 1
    assert "[R754]" in capsys.readouterr().err
    assert main(["plot", str(scene), "--tracks", "zom"]) == 1
    assert "did you mean 'zoom'" in capsys.readouterr().err
    assert main(["plot", str(scene), "--frames", "9:3"]) == 1
    assert not list(tmp_path.glob("*.png"))


def test_without_matplotlib_an_install_hint(tmp_path, capsys, monkeypatch):
    scene = tmp_path / "scene.ride"
    scene.write_text(TEXT)
    monkeypatch.delitem(sys.modules, "ride.plot.figure")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert main(["plot", str(scene)]) == 1
    err = capsys.readouterr().err
    assert "[R752]" in err and "pip install 'ride[plot]'" in err


@pytest.mark.parametrize("scene", sorted(SCENES.glob("*.ride")), ids=lambda p: p.stem)
def test_every_scene_has_curves(scene):
    """Every gallery scene's weights share each frame, and keys fall on the scene's frames."""
    from ride.compile.compiler import load

    curves = plan_curves(load(scene))
    weights = curves.group(WEIGHT)
    assert weights and np.allclose(sum(s.values for s in weights), 1.0)
    assert all(0 <= k < curves.stop for s in curves.series for k in s.keys)
    assert curves.timeline_keys[0] == 0


def test_inline_keys_of_a_pair_mark_their_part():
    """`focus { 0 0.5; end 0.55 }, 0.62` keys focus_x, not focus_y (seasons.ride writes it so)."""
    text = scene_text(length=10, camera={"focus": "{ 0 0.5; 50% 0.4; end 0.55 }, 0.62"})
    curves = by_name(plan_curves(compile_scene(text), text))
    assert curves["focus_x"].keys == (0, 4, 9) and curves["focus_y"].keys == ()
