"""`--ray local`: jobs as Ray tasks give the frames of the same jobs in local processes (slow: a
local Ray starts in 4 to 20 s here; skipped where the `ray` extra is not installed). One test, so
Ray starts once."""

import importlib.util

import pytest
from conftest import write_scene
from test_jobs import SCENE

from ride.cli import main
from ride.renderer.store import store_info

if importlib.util.find_spec("ray") is None:  # not imported here: ride sets Ray's environment first
    pytest.skip("the ray extra is not installed", allow_module_level=True)
pytestmark = pytest.mark.slow


def frames(folder):
    return {p.name: p.read_bytes() for p in folder.rglob("*.frame")}


def test_a_local_ray_gives_the_frames_of_local_processes_shares_prefixes_and_survives_a_failure(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    good = write_scene(tmp_path, SCENE, "good.ride")
    bad = write_scene(tmp_path, 'output "blocked/x.gif"\n' + SCENE, "bad.ride")
    (tmp_path / "blocked").write_text("a file where a folder should be: bad.ride's jobs fail")
    sweep = ["--set", "late=0.4,0.6", "--set", "seed=1,2"]
    assert main(["render", str(good), str(bad), *sweep, "--jobs", "2", "--cache", str(tmp_path / "here")]) == 1
    here = capsys.readouterr().out
    assert main(["render", str(good), str(bad), *sweep, "--ray", "local", "--cache", str(tmp_path / "ray")]) == 1
    there = capsys.readouterr().out
    for out in (here, there):
        assert "8 jobs: 4 done, 4 failed" in out
        assert out.count("(12 reused, 12 rendered)") == 2  # each seed's second `late` shares frames 0-11
        assert "bad.ride late=0.4 seed=1: failed: cannot write" in out
    assert store_info(tmp_path / "ray").frames == 72
    assert frames(tmp_path / "ray") == frames(tmp_path / "here")
