"""Faults in rendering and watching (issue 10): nothing lost, nothing deleted that ride did not write,
watch mode never dies."""

import numpy as np
from conftest import write_scene
from test_hostile import TIMELINE, render

from ride.cli import main


def test_watch_survives_any_error_of_a_pass(tmp_path):
    import threading

    from ride.api import RenderRequest
    from ride.watch import Watcher

    scene = write_scene(tmp_path, "let summit = 1/0\nstrength 0.3 + 0 * summit\n" + TIMELINE)
    errors, stop = [], threading.Event()
    watcher = Watcher(RenderRequest(scene, output=tmp_path / "out.mp4", width=64, height=64),
                      on_error=lambda e: (errors.append(e), stop.set()), stop_event=stop)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    thread.join(timeout=60)
    stop.set()
    thread.join(timeout=10)
    assert errors and not thread.is_alive()


def test_a_folder_output_never_removes_the_cache(tmp_path, capsys):
    scene = write_scene(tmp_path, 'output ".ride-cache/"\n' + TIMELINE)
    assert main(["render", str(scene), "--size", "64x64"]) in (0, 1)
    capsys.readouterr()
    cache = tmp_path / ".ride-cache"
    frames_before = sorted(p.name for p in cache.rglob("*") if p.is_file())
    main(["render", str(scene), "--size", "64x64"])
    assert set(frames_before) <= {p.name for p in cache.rglob("*") if p.is_file()}


def test_a_folder_output_beside_its_cache(tmp_path, capsys):
    scene = write_scene(tmp_path, TIMELINE)
    out = tmp_path / "D"
    for _ in range(2):
        main(["render", str(scene), "--size", "64x64", "-o", f"{out}/", "--cache", str(out / "cache")])
    capsys.readouterr()
    assert len(list((out / "cache").rglob("*.*"))) >= 12
    assert len(list(out.glob("*.png"))) == 12  # `12 end`: frames 0..11


def test_a_damaged_cached_frame_is_redrawn_in_the_same_run(tmp_path, capsys):
    scene = write_scene(tmp_path, 'cadence 2\n' + TIMELINE)
    cache = tmp_path / "cache"
    args = ["render", str(scene), "--size", "64x64", "--cache", str(cache), "-o", str(tmp_path / "a.mp4")]
    assert main(args) == 0
    stored = sorted(p for p in cache.rglob("*") if p.is_file() and p.stat().st_size > 100)
    stored[len(stored) // 2].write_bytes(b"damaged")
    assert main([*args[:-1], str(tmp_path / "b.mp4"), "--frames", "10:13"]) == 0, capsys.readouterr().err


def test_a_one_hertz_wav_is_not_dropped_silently(tmp_path, capsys):
    import wave

    with wave.open(str(tmp_path / "slow.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(1)
        out.writeframes(np.zeros(4, np.int16).tobytes())
    code, err = render(tmp_path, capsys, 'audio "slow.wav"\n' + TIMELINE)
    assert code == 1 or "audio" in err + capsys.readouterr().out
