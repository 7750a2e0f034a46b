"""ride.outputs.video: files are read back and their metadata compared, never their bytes."""

from __future__ import annotations

import math
import struct
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ride.errors import RideRenderError
from ride.outputs.frames_folder import MANIFEST
from ride.outputs.video import VideoWriter, output_kind, probe

WIDTH, HEIGHT, FPS, COUNT = 64, 48, 12, 24


def make_frames(count: int = COUNT, width: int = WIDTH, height: int = HEIGHT) -> list[np.ndarray]:
    """Smooth moving waves: easy to encode, different on every frame."""
    y, x = np.mgrid[0:height, 0:width] / 16.0
    waves = [
        np.stack([np.sin(x + t / 3), np.cos(y - t / 4), np.sin(x + y + t / 5)], axis=-1) for t in range(count)
    ]
    return [(127.5 + 100 * wave).astype(np.uint8) for wave in waves]


def write_video(path: Path, frames: list[np.ndarray], **options) -> VideoWriter:
    with VideoWriter(path, FPS, (frames[0].shape[1], frames[0].shape[0]), **options) as writer:
        for frame in frames:
            writer.write(frame)
    return writer


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [("out.mp4", "h264", "yuv420p"), ("out.webm", "vp9", "yuv420p"), ("out.gif", "gif", "")],
)
def test_video_files_hold_what_was_written(tmp_path, name, codec, pix_fmt):
    writer = write_video(tmp_path / name, make_frames())
    info = probe(writer.path)
    assert (info.frames, info.fps, info.width, info.height, info.codec) == (COUNT, FPS, WIDTH, HEIGHT, codec)
    assert info.duration == pytest.approx(COUNT / FPS, abs=0.1)
    assert not info.has_audio
    if pix_fmt:
        assert info.pix_fmt == pix_fmt
    assert leftovers(tmp_path) == []


def decoded_frames(path: Path) -> list[np.ndarray]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["out.mp4", "out.webm"])
def test_video_pixels_come_back_in_order(tmp_path, name):
    frames = make_frames()
    decoded = decoded_frames(write_video(tmp_path / name, frames).path)
    errors = [np.abs(d.astype(int) - f).mean() for d, f in zip(decoded, frames)]
    assert len(decoded) == COUNT and max(errors) < 6


@pytest.mark.slow
def test_gif_colours_stay_close_to_the_frames(tmp_path):
    frames = make_frames()
    write_video(tmp_path / "out.gif", frames)
    with Image.open(tmp_path / "out.gif") as gif:
        assert gif.info.get("loop") == 0  # loops forever
        gif.seek(5)
        error = np.abs(np.asarray(gif.convert("RGB"), dtype=int) - frames[5]).mean()
    assert error < 12


def test_frames_folder_holds_exact_sorted_pngs(tmp_path):
    frames = make_frames()
    writer = write_video(f"{tmp_path}/frames/", frames)
    names = sorted(p.name for p in writer.path.iterdir() if p.name != MANIFEST)  # the frames ride wrote here
    assert names == [f"{i:06d}.png" for i in range(COUNT)]
    for name, frame in zip(names, frames):
        assert np.array_equal(np.asarray(Image.open(writer.path / name)), frame)
    assert (probe(writer.path).frames, probe(writer.path).width) == (COUNT, WIDTH)


def test_frames_folder_is_replaced_only_at_close(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    (target / "000007.png").write_bytes(b"an earlier render's frame")
    writer = VideoWriter(f"{target}/", FPS, (WIDTH, HEIGHT))
    writer.write(make_frames(1)[0])
    assert (target / "000007.png").exists()
    writer.close()
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "000000.png"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["out.mp4", "frames/"])
def test_a_failed_render_leaves_the_earlier_output_untouched(tmp_path, name):
    target = f"{tmp_path}/{name}"
    earlier = write_video(target, make_frames(3)).path
    before = sorted(earlier.iterdir()) if earlier.is_dir() else earlier.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with VideoWriter(target, FPS, (WIDTH, HEIGHT)) as writer:
            for frame in make_frames(10):
                writer.write(frame)
            raise KeyboardInterrupt
    assert (sorted(earlier.iterdir()) if earlier.is_dir() else earlier.read_bytes()) == before
    assert leftovers(tmp_path) == []
    write_video(target, make_frames())
    assert probe(target).frames == COUNT


def test_missing_parent_folders_are_created(tmp_path):
    writer = write_video(tmp_path / "a" / "b" / "out.mp4", make_frames(2))
    assert writer.path.is_file()


def sine_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("name", ["out.mp4", "out.webm"])
def test_audio_is_muxed_and_cut_to_the_video(tmp_path, name):
    audio = sine_wav(tmp_path / "tone.wav", 3.0)
    writer = write_video(tmp_path / name, make_frames(FPS), audio=audio)  # a 1 s video
    info = probe(writer.path)
    assert info.has_audio and info.frames == FPS
    assert info.audio_duration == pytest.approx(1.0, abs=0.1)
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["out.gif", "frames/"])
def test_audio_is_ignored_with_a_warning_where_there_is_no_sound(tmp_path, name):
    audio = sine_wav(tmp_path / "tone.wav", 0.5)
    writer = write_video(f"{tmp_path}/{name}", make_frames(2), audio=audio)
    assert len(writer.warnings) == 1 and "ignored" in writer.warnings[0]


def test_a_broken_audio_file_is_a_render_error_and_keeps_the_earlier_output(tmp_path):
    target = tmp_path / "out.mp4"
    earlier = write_video(target, make_frames(3)).path.read_bytes()
    (tmp_path / "noise.wav").write_bytes(b"not a wav file")
    with pytest.raises(RideRenderError, match="cannot add the audio"):
        write_video(target, make_frames(3), audio=tmp_path / "noise.wav")
    assert target.read_bytes() == earlier
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_writing_streams_frames_instead_of_keeping_them(tmp_path):
    size = 256
    frame = np.zeros((size, size, 3), np.uint8)
    tracemalloc.start()
    try:
        with VideoWriter(tmp_path / "long.mp4", 25, (size, size), quality="low") as writer:
            for t in range(300):
                frame[:] = t % 256
                writer.write(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * frame.nbytes  # 300 frames would be 300 * 196 KiB
    assert probe(writer.path).frames == 300


@pytest.mark.parametrize(
    ("path", "kind"),
    [("a.mp4", "mp4"), ("a.WEBM", "webm"), ("x/a.gif", "gif"), ("out/", "frames")],
)
def test_output_kind(path, kind):
    assert output_kind(path) == kind


def test_a_name_without_a_suffix_or_slash_is_refused(tmp_path):
    with pytest.raises(RideRenderError, match="no video suffix"):
        output_kind(tmp_path / "out")


def test_a_render_never_replaces_the_users_files(tmp_path, monkeypatch):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    with pytest.raises(RideRenderError, match="holds other files"):
        VideoWriter(f"{precious}/", FPS, (WIDTH, HEIGHT))
    (tmp_path / "README").write_text("keep")
    with pytest.raises(RideRenderError, match="it is a file"):
        VideoWriter(f"{tmp_path}/README/", FPS, (WIDTH, HEIGHT))
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(RideRenderError, match="it is a folder"):
        VideoWriter(tmp_path / "dir.mp4", FPS, (WIDTH, HEIGHT))
    monkeypatch.chdir(precious)
    (precious / "notes.txt").unlink()
    with pytest.raises(RideRenderError, match="holds other files"):
        VideoWriter("./", FPS, (WIDTH, HEIGHT))  # the working folder itself
    assert precious.is_dir() and (tmp_path / "README").read_text() == "keep"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: VideoWriter(d / "a.avi", FPS, (64, 48)), "unknown video format '.avi'"),
        (lambda d: VideoWriter(d / "a.mp4", FPS, (63, 48)), "even width and height"),
        (lambda d: VideoWriter(d / "a.mp4", 0, (64, 48)), "fps must be positive"),
        (lambda d: VideoWriter(d / "a.mp4", FPS, (64, 48), quality="hihg"), "did you mean 'high'"),
        (lambda d: VideoWriter(d / "a.mp4", FPS, (64, 48), audio=d / "none.wav"), "no such file"),
        (lambda d: VideoWriter(d / "a.mp4", FPS, (64, 48)).close(), "no frames"),
        (lambda d: probe(d / "missing.mp4"), "no such file"),
    ],
)
def test_mistakes_are_render_errors(tmp_path, call, message):
    with pytest.raises(RideRenderError) as caught:
        call(tmp_path)
    assert message in str(caught.value)
    assert leftovers(tmp_path) == []


def test_a_frame_of_the_wrong_shape_is_a_render_error(tmp_path):
    with pytest.raises(RideRenderError, match="not uint8"):
        with VideoWriter(tmp_path / "a.mp4", FPS, (WIDTH, HEIGHT)) as writer:
            writer.write(np.zeros((HEIGHT, WIDTH + 2, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_dying_mid_way_is_a_render_error(tmp_path):
    with pytest.raises(RideRenderError, match="ffmpeg failed"):
        with VideoWriter(tmp_path / "a.mp4", FPS, (WIDTH, HEIGHT)) as writer:
            writer.write(make_frames(1)[0])
            writer._ffmpeg.proc.kill()  # as if the OOM killer took it
            for frame in make_frames(200):
                writer.write(frame)
            writer.close()
    assert list(tmp_path.iterdir()) == []


def test_close_is_idempotent_and_ends_writing(tmp_path):
    writer = write_video(tmp_path / "a.gif", make_frames(2))
    assert writer.close() == writer.path == tmp_path / "a.gif"
    with pytest.raises(RuntimeError):
        writer.write(make_frames(1)[0])


def test_odd_sizes_are_fine_outside_mp4(tmp_path):
    writer = write_video(tmp_path / "odd.webm", make_frames(3, 65, 49))
    assert (probe(writer.path).width, probe(writer.path).height) == (65, 49)


def test_leftovers_of_a_killed_render_are_swept(tmp_path):
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    leftover = tmp_path / f".out.mp4.tmp-{dead}-abc123.mp4"
    leftover.write_bytes(b"half a video")
    write_video(tmp_path / "out.mp4", make_frames(2))
    assert not leftover.exists()


def test_a_file_with_no_sound_is_refused_before_rendering(tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    with pytest.raises(RideRenderError, match="finds no sound"):
        VideoWriter(tmp_path / "out.mp4", FPS, (WIDTH, HEIGHT), audio=not_audio)


def test_a_frames_folder_removes_only_the_frames_it_wrote(tmp_path):
    """Frames are renamed in one by one: a frame cache, hidden files and the manifest's other
    entries stay; the earlier render's extra frames go (issue 10: the cache went with them)."""
    target = tmp_path / "D"
    write_video(f"{target}/", make_frames(5))
    (target / "cache" / "0123456789abcdef").mkdir(parents=True)
    (target / "cache" / "0123456789abcdef" / "x.frame").write_bytes(b"a cached frame")
    (target / ".DS_Store").write_bytes(b"finder")
    write_video(f"{target}/", make_frames(3))
    assert sorted(p.name for p in target.glob("*.png")) == ["000000.png", "000001.png", "000002.png"]
    assert (target / "cache" / "0123456789abcdef" / "x.frame").read_bytes() == b"a cached frame"
    assert (target / ".DS_Store").exists() and leftovers(tmp_path) == []
    assert probe(target).frames == 3


def test_a_numbered_png_ride_did_not_write_is_never_replaced(tmp_path):
    target = tmp_path / "frames"
    write_video(f"{target}/", make_frames(2))
    (target / "000005.png").write_bytes(b"the user's own")
    with pytest.raises(RideRenderError) as caught:
        VideoWriter(f"{target}/", FPS, (WIDTH, HEIGHT))
    (problem,) = caught.value.problems
    assert problem.code == "R632" and "'000005.png', which its .ride-frames does not list" in problem.message
    assert (target / "000005.png").read_bytes() == b"the user's own"


def test_a_crash_while_publishing_frames_is_tidied_by_the_next_render(tmp_path, monkeypatch):
    import os

    target = tmp_path / "frames"
    write_video(f"{target}/", make_frames(6))
    real_replace, moved = os.replace, []

    def replace(source, destination):
        if str(destination).endswith(".png") and len(moved) == 2:
            raise OSError(28, "No space left on device")
        moved.append(destination)
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(RideRenderError, match="No space left"):
        write_video(f"{target}/", make_frames(4))
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(list(target.glob("*.png"))) == 6  # a mix, each one listed as ride's
    write_video(f"{target}/", make_frames(3))
    assert sorted(p.name for p in target.glob("*.png")) == ["000000.png", "000001.png", "000002.png"]


def test_audio_ffmpeg_makes_no_sound_of_is_a_warning_not_silence(tmp_path):
    with wave.open(str(tmp_path / "slow.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(1)
        out.writeframes(np.zeros(4, np.int16).tobytes())
    writer = write_video(tmp_path / "a.mp4", make_frames(), audio=tmp_path / "slow.wav")
    assert not probe(writer.path).has_audio
    (warning,) = writer.warnings
    assert "slow.wav' (1 Hz) is not in the video" in warning
    good = write_video(tmp_path / "b.mp4", make_frames(), audio=sine_wav(tmp_path / "tone.wav", 1.0))
    assert probe(good.path).has_audio and good.warnings == []
