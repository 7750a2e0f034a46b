"""Many renders: sweeps and several scenes, here or in worker processes, over one frame cache."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, write_scene
from PIL import Image

from ride.cli import main
from ride.compile.overrides import SettingOverride
from ride.jobs.job import job_output, make_jobs, sheet_path, thumbnail_frames
from ride.jobs.local import InProcess, Processes
from ride.jobs.schedule import plan_jobs, run_jobs
from ride.renderer.request import RenderRequest
from ride.renderer.store import store_info

# `late` arrives at frame 12 and holds: a sweep over it shares frames 0-11
SCENE = """size 64x64
seed 3
let late = 0.5
track strength {
  0 0.3
  12 late hold
}
camera {
  zoom 1.02
}
timeline {
  0 "a road"
  24 end
}
"""


def pngs(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))]


def sweep(values: list[tuple[str, list[str]]]) -> list[tuple[SettingOverride, ...]]:
    import itertools

    return [tuple(c) for c in itertools.product(*[[SettingOverride(n, v) for v in vs] for n, vs in values])]


@pytest.mark.slow
def test_a_2x2_sweep_equals_four_single_renders(tmp_path, capsys):
    scene = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["render", str(scene), "-o", f"{tmp_path}/f/", "--set", "late=0.4,0.6",
                 "--set", "seed=1,2"]) == 0
    out = capsys.readouterr().out
    assert "4 jobs: 4 done, 0 failed" in out
    for late in ("0.4", "0.6"):
        for seed in ("1", "2"):
            alone = tmp_path / f"alone-{late}-{seed}"
            assert main(["render", str(scene), "-o", f"{alone}/", "--no-cache", "--set", f"late={late}",
                         "--set", f"seed={seed}"]) == 0
            swept = pngs(tmp_path / f"f.late-{late}.seed-{seed}")
            assert len(swept) == 24
            assert all(np.array_equal(a, b) for a, b in zip(swept, pngs(alone)))
    sheet = Image.open(tmp_path / "f.sweep.jpg")  # four rows of four frames, labelled
    assert sheet.size[1] > 4 * 64 and sheet.size[0] > 4 * 64


@pytest.mark.slow
def test_shared_prefixes_are_rendered_once(tmp_path):
    scene = write_scene(tmp_path, SCENE, "s.ride")
    jobs = make_jobs([str(scene)], sweep([("late", ["0.2", "0.4", "0.6"])]), RenderRequest(scene, write_video=False))
    planned, failed = plan_jobs(jobs)
    assert not failed and [(p.source, p.shared) for p in planned] == [(None, 0), (0, 12), (0, 12)]
    results = run_jobs(planned, InProcess())
    assert [(r.reused, r.rendered) for r in results.values()] == [(0, 24), (12, 12), (12, 12)]
    assert store_info(tmp_path / ".ride-cache").frames == 12 + 3 * 12
    again = run_jobs(plan_jobs(jobs)[0], InProcess())  # a rerun renders nothing
    assert [(r.reused, r.rendered) for r in again.values()] == [(24, 0)] * 3


@pytest.mark.slow
def test_two_processes_render_shared_frames_once_and_the_same_frames(tmp_path):
    scene = write_scene(tmp_path, SCENE, "s.ride")
    values = sweep([("late", ["0.4", "0.6"]), ("seed", ["1", "2"])])
    here = make_jobs([str(scene)], values, RenderRequest(scene, write_video=False, cache=tmp_path / "a"))
    there = make_jobs([str(scene)], values, RenderRequest(scene, write_video=False, cache=tmp_path / "b"))
    local = run_jobs(plan_jobs(here)[0], InProcess())
    runner = Processes(2)
    try:
        parallel = run_jobs(plan_jobs(there)[0], runner)
    finally:
        runner.close()
    assert sum(r.rendered for r in parallel.values()) == 2 * 24 + 2 * 12  # two seeds; each late shares 0-11
    assert store_info(tmp_path / "b").frames == store_info(tmp_path / "a").frames == 72
    assert sorted(p.name for p in (tmp_path / "a").rglob("*.frame")) == \
        sorted(p.name for p in (tmp_path / "b").rglob("*.frame"))
    for a, b in zip(sorted((tmp_path / "a").rglob("*.frame")), sorted((tmp_path / "b").rglob("*.frame"))):
        assert a.read_bytes() == b.read_bytes()
    for n in local:
        assert [i for i, _ in local[n].thumbnails] == [i for i, _ in parallel[n].thumbnails]


@pytest.mark.slow
def test_a_failing_job_is_reported_and_the_others_finish(tmp_path, capsys):
    good = write_scene(tmp_path, SCENE, "good.ride")
    broken = write_scene(tmp_path, SCENE.replace("seed 3", "seed 3\nstrenght 0.2"), "broken.ride")
    (tmp_path / "blocked").write_text("a file where a folder should be")
    status = main(["render", str(good), str(broken), "--set", "output=good.mp4,blocked/x.mp4", "--frames", "0:6"])
    assert status == 1
    captured = capsys.readouterr()
    assert "strenght" in captured.err and "Traceback" not in captured.err
    assert "4 jobs: 1 done, 3 failed" in captured.out
    assert captured.err.count("unknown setting 'strenght'") == 1  # the same error of two jobs, said once
    assert "good.ride output=blocked/x.mp4: failed" in captured.out and "cannot write" in captured.out
    assert (tmp_path / "good.mp4").stat().st_size > 0  # the other job finished


def test_job_outputs_and_sheet_names():
    values = (SettingOverride("strength", "0.3"), SettingOverride("negative", '"a b"'))
    assert job_output("out/giro.mp4", values) == "out/giro.strength-0.3.negative-a_b.mp4"
    assert job_output("frames/", values[:1]) == "frames.strength-0.3/"
    assert job_output("giro.mp4", ()) == "giro.mp4"
    assert sheet_path("out/giro.mp4") == Path("out/giro.sweep.jpg") and sheet_path("f/") == Path("f.sweep.jpg")
    assert thumbnail_frames(0, 24) == [0, 8, 15, 23] and thumbnail_frames(0, 2) == [0, 1]


def test_two_values_that_read_alike_in_a_file_name_are_an_error(tmp_path, capsys):
    scene = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["render", str(scene), "--set", 'title="a b","a_b"']) == 1
    assert "would both write" in capsys.readouterr().err


def test_options_that_do_not_go_with_many_jobs(tmp_path, capsys):
    scene = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["render", str(scene), str(scene), "-o", "x.mp4", "--watch", "--jobs", "0"]) == 1
    err = capsys.readouterr().err
    assert "--jobs 0" in err and "--watch renders one scene" in err and "-o names one output" in err


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_an_interrupted_run_loses_nothing_and_a_rerun_resumes_every_job(tmp_path, how):
    scene = write_scene(tmp_path, SCENE.replace("24 end", "100 end"), "s.ride")
    command = [sys.executable, "-m", "ride.cli", "render", str(scene), "--set", "seed=1,2", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    cache = tmp_path / ".ride-cache"
    deadline = time.time() + 120
    while store_info(cache).frames < 20 and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, how)  # the run and its workers, as a terminal's Ctrl-C or a kill -9 of the group
    status = process.wait(timeout=120)
    assert status == (130 if how == signal.SIGINT else -signal.SIGKILL)
    assert store_info(cache).frames >= 20
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "2 jobs: 2 done, 0 failed" in done.stdout and "reused" in done.stdout
    assert store_info(cache).frames == 200  # every frame, none lost


def test_ray_without_the_extra_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if `ride[ray]` were not installed
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    scene = write_scene(tmp_path, SCENE, "s.ride")
    assert main(["render", str(scene), "--set", "seed=1,2", "--ray", "local"]) == 1
    assert "--ray needs Ray: pip install 'ride[ray]' [R746]" in capsys.readouterr().err


def test_seed_random_is_drawn_once_per_scene_for_all_its_jobs(tmp_path):
    scene = write_scene(tmp_path, SCENE.replace("seed 3", "seed random"), "s.ride")
    jobs = make_jobs([str(scene)], sweep([("late", ["0.2", "0.4"])]), RenderRequest(scene, write_video=False))
    planned, _ = plan_jobs(jobs)
    assert planned[0].job.random_seed == planned[1].job.random_seed is not None
    assert planned[1].shared == 12  # the same seed: the frames before `late` are shared
