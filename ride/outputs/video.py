"""The encoder: frames stream into an .mp4, .webm, .gif or a folder of PNGs, atomically.

Frames go one at a time down ffmpeg's stdin (through moviepy's FFMPEG_VideoWriter), so a
render never holds the video in memory. Everything is written to a hidden sibling of the
output and renamed over it only when complete: a crash, Ctrl-C or an ffmpeg failure leaves
the earlier output as it was. A PNG folder's frames are renamed in one by one instead, and
nothing else in the folder is touched (frames_folder.py). moviepy is imported lazily: it
costs ~0.4 s at import, and the CLI imports this module for commands that encode nothing.
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ride.errors import Problem, RideRenderError, did_you_mean

from .frames_folder import FRAME_NAME, MANIFEST, foreign_entries, frames_in, publish_frames

KINDS = {".mp4": "mp4", ".webm": "webm", ".gif": "gif"}
QUALITIES = {"high": (18, 30), "medium": (23, 36), "low": (28, 42)}  # crf for (mp4, webm)
# Measured on 512x512 frames with 2 cores, in ffmpeg CPU per frame: x264 `veryfast` ~7 ms
# (`medium` ~19 ms for files ~10% smaller); VP9 `realtime` ~7 ms (`good` ~18 ms, one thread);
# PNG level 1 ~21 ms (~20% faster than the default for ~2% more bytes, and in ffmpeg's process
# rather than Pillow's ~45 ms in ours). The renderer needs the rest of the CPU.
ENCODERS = {
    "mp4": ("libx264", "-pix_fmt yuv420p -crf {mp4} -movflags +faststart"),  # faststart: plays while loading
    "webm": ("libvpx-vp9", "-pix_fmt yuv420p -crf {webm} -b:v 0 -deadline realtime -cpu-used 8 -row-mt 1"),
    # Frames reach ffmpeg already quantized to <= 256 colours (gif_quantized), so palettegen finds
    # exactly those and paletteuse maps them without dithering twice. palettegen on raw frames
    # costs ~0.4 s a frame at 512x512; a global palette would make ffmpeg buffer the whole video.
    "gif": ("gif", "-vf split[a][b];[a]palettegen=stats_mode=single:reserve_transparent=0[p];"
                   "[b][p]paletteuse=new=1:dither=none -loop 0"),
    "frames": ("png", "-compression_level 1 -start_number 0 -f image2"),
}
AUDIO_CODECS = {"mp4": ["-c:a", "aac", "-b:a", "192k"], "webm": ["-c:a", "libopus", "-b:a", "128k"]}
FORMAT_HINT = "use .mp4, .webm, .gif, or a folder name ending in '/' for PNG frames"


# Codes (docs/errors.md, R63x): what the user can do something about differs for each.
FORMAT, NOT_REPLACEABLE, SIZE, FPS, QUALITY, AUDIO, FFMPEG, NO_FRAMES, CANNOT_WRITE, FRAME_SHAPE, UNREADABLE = (
    "R631", "R632", "R633", "R634", "R635", "R636", "R637", "R638", "R639", "R640", "R641")


def _error(message: str, hint: str = "", *, code: str) -> RideRenderError:
    return RideRenderError(Problem(message, hint=hint, code=code))


def output_kind(path: str | Path) -> str:
    """'mp4' | 'webm' | 'gif' | 'frames': a PNG folder is asked for with a trailing '/'."""
    text = str(path)
    if text.endswith(("/", os.sep)):
        return "frames"
    suffix = Path(text).suffix.lower()
    if suffix not in KINDS:
        what = f"unknown video format '{suffix}'" if suffix else "it has no video suffix"
        raise _error(f"cannot write '{text}': {what}", FORMAT_HINT, code=FORMAT)
    return KINDS[suffix]


def _check_replaceable(path: Path, kind: str) -> None:
    """A render replaces only a file of its own kind, or its own frames in a folder that holds no
    files of the user's (hidden files and subfolders, such as a frame cache, are left alone):
    never the working folder or one above it."""
    if not path.exists():
        return
    if kind != "frames":
        if path.is_dir():
            raise _error(f"cannot write '{path}': it is a folder", "name a file, e.g. giro.mp4", code=NOT_REPLACEABLE)
        return
    if not path.is_dir():
        raise _error(f"cannot write frames to '{path}': it is a file", FORMAT_HINT, code=NOT_REPLACEABLE)
    others = foreign_entries(path)
    if others or path in (Path.cwd(), *Path.cwd().parents):
        what = f"'{others[0]}'" if others else "it is the working folder"
        if others and FRAME_NAME.fullmatch(others[0]):
            what += f", which its {MANIFEST} does not list as ride's"
        raise _error(f"cannot write frames to '{path}': the folder holds other files ({what})",
                     "name a new folder for the frames, e.g. frames/", code=NOT_REPLACEABLE)


def encoder_settings(kind: str, quality: str) -> tuple[str, list[str]]:
    """(ffmpeg codec, ffmpeg output options) for one kind of output at one quality."""
    if quality not in QUALITIES:
        raise _error(f"unknown video quality '{quality}'", did_you_mean(quality, QUALITIES), code=QUALITY)
    codec, options = ENCODERS[kind]
    mp4_crf, webm_crf = QUALITIES[quality]
    return codec, options.format(mp4=mp4_crf, webm=webm_crf).split()


def gif_quantized(frame: np.ndarray) -> np.ndarray:
    """The frame in its own 256-colour palette, Floyd-Steinberg dithered (~8 ms at 512x512)."""
    from PIL import Image

    image = Image.fromarray(frame)
    palette = image.quantize(256, method=Image.Quantize.FASTOCTREE)
    return np.asarray(image.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).convert("RGB"))


def _hidden_sibling(target: Path, tag: str) -> Path:
    """A temporary name beside the target; it keeps the suffix so ffmpeg knows the format."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(3)}{target.suffix}")


def _sweep_leftovers(target: Path) -> None:
    """Temporary outputs of renders that were killed (kill -9 leaves no chance to clean up)."""
    if not target.parent.is_dir():
        return
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*-*-*"):
        match = re.fullmatch(rf"\.{re.escape(target.name)}\.\w+-(\d+)-\w+.*", leftover.name)
        if match and not _alive(int(match[1])):
            _remove(leftover)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):  # gone already, or never made (its folder was a file)
            path.unlink()


def _run_ffmpeg(args: list[str], what: str, code: str = FFMPEG) -> str:
    """Runs ffmpeg and returns its stderr; a failure becomes a RideRenderError."""
    import imageio_ffmpeg  # the binary moviepy uses too, unless FFMPEG_BINARY says otherwise

    try:
        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
        done = subprocess.run([ffmpeg, "-hide_banner", *args], capture_output=True, text=True)
    except (OSError, RuntimeError) as error:  # RuntimeError: imageio_ffmpeg found no binary
        raise _error(f"cannot {what}: ffmpeg did not start ({error})", code=code) from None
    if done.returncode != 0:
        raise _error(f"cannot {what}: {_last_lines(done.stderr, done.returncode)}", code=code)
    return done.stderr


def _last_lines(stderr: str, status: int) -> str:
    """ffmpeg's last words, without the `[in#1 @ 0x5630a0c270c0]` addresses it prefixes."""
    lines = [re.sub(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*", "", line.strip()) for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    return " / ".join(lines[-3:]) or f"it stopped with status {status} and no message"


def mux_audio(video: Path, audio: Path, out: Path, seconds: float, kind: str) -> None:
    """Copies the video stream and adds the audio, cut to the video's length."""
    # -t rather than -shortest: an audio track shorter than the video must not cut frames.
    args = ["-y", "-loglevel", "error", "-i", os.path.abspath(video), "-i", os.path.abspath(audio)]
    args += ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *AUDIO_CODECS[kind], "-t", f"{seconds:.6f}"]
    if kind == "mp4":
        args += ["-movflags", "+faststart"]
    _run_ffmpeg([*args, os.path.abspath(out)], f"add the audio '{audio}'", AUDIO)


@dataclass(frozen=True)
class VideoInfo:
    """What a written file holds, read back from the file itself."""

    frames: int
    fps: float
    width: int
    height: int
    codec: str
    has_audio: bool
    duration: float
    pix_fmt: str = ""
    audio_duration: float = 0.0


def _last_seconds(label: str, report: str) -> float:
    """The last `label hh:mm:ss.xx` in ffmpeg's report: `Duration:`, or the final `time=`."""
    times = re.findall(label + r"\s*(\d+):(\d+):([\d.]+)", report)
    return int(times[-1][0]) * 3600 + int(times[-1][1]) * 60 + float(times[-1][2]) if times else 0.0


def _stream_copy(path: Path, stream: str) -> str:
    # Copying packets to the null muxer counts them exactly without decoding a pixel.
    args = ["-i", os.path.abspath(path), "-map", stream, "-c", "copy", "-f", "null", "-"]
    return _run_ffmpeg(args, f"read '{path}'", UNREADABLE)


def probe(path: str | Path) -> VideoInfo:
    """Frame count, fps, size, codec and audio of a written video or PNG folder."""
    path = Path(path)
    if not path.exists():
        raise _error(f"cannot read '{path}': no such file or folder", code=UNREADABLE)
    if path.is_dir():
        count, width, height = frames_in(path)
        return VideoInfo(count, 0.0, width, height, "png", False, 0.0, "rgb24" if count else "")
    report = _stream_copy(path, "0:v:0")
    stream = re.search(r"Stream #0:\d+.*?: Video: (.*)", report)
    if stream is None:
        raise _error(f"cannot read '{path}': it holds no video stream", code=UNREADABLE)
    line = stream[1]
    size = re.search(r", (\d+)x(\d+)", line)
    rate = re.search(r"([\d.]+) tbr", line) or re.search(r"([\d.]+) fps", line)
    pix_fmt = re.search(r"^[^,]+, (\w+)", line)
    has_audio = re.search(r"Stream #0:\d+.*?: Audio:", report) is not None
    audio_report = _stream_copy(path, "0:a:0") if has_audio else ""
    return VideoInfo(
        frames=int(([0] + re.findall(r"frame=\s*(\d+)", report))[-1]),
        fps=float(rate[1]) if rate else 0.0,
        width=int(size[1]) if size else 0,
        height=int(size[2]) if size else 0,
        codec=line.split()[0].rstrip(","),
        has_audio=has_audio,
        duration=_last_seconds("Duration:", report),
        pix_fmt=pix_fmt[1] if pix_fmt else "",
        audio_duration=_last_seconds("time=", audio_report),  # where the last audio packet ends
    )


def _checked_size(size: tuple[int, int], kind: str) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise _error(f"cannot write a {width}x{height} video: the size must be positive", code=SIZE)
    if kind == "mp4" and (width % 2 or height % 2):
        # Refused rather than padded: a silent extra row would change the size the user asked for.
        hint = f"use an even size such as {width + width % 2}x{height + height % 2}, or write .webm, .gif or frames/"
        raise _error(f"an .mp4 needs an even width and height (H.264 in yuv420p), not {width}x{height}", hint, code=SIZE)
    return width, height


class VideoWriter:
    """Streams frames into `path`; renames the finished file into place on close().

    Use it as a context manager: leaving the block with an exception aborts (the earlier
    output stays), leaving it normally closes. `warnings` lists what was ignored (audio in a gif).
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int],
                 audio: str | Path | None = None, quality: str = "high"):
        self.kind = output_kind(path)
        self.path = Path(path).absolute()
        _check_replaceable(self.path, self.kind)
        self.size = _checked_size(size, self.kind)
        if not (math.isfinite(fps) and fps > 0):
            raise _error(f"cannot write a video at {fps} frames per second: fps must be positive", code=FPS)
        self.fps = float(fps)
        self.quality = quality
        self.frames = 0
        self.warnings: list[str] = []
        self._shape = (self.size[1], self.size[0], 3)
        self._audio_rate: int | None = None
        self._audio = self._checked_audio(audio)
        self._temp = _hidden_sibling(self.path, "tmp")
        # With audio, ffmpeg first writes the bare video, then a mux writes _temp.
        self._stage = _hidden_sibling(self.path, "video") if self._audio else self._temp
        self._ffmpeg = None
        self._done = False
        self._open()

    def _checked_audio(self, audio: str | Path | None) -> Path | None:
        if audio is None:
            return None
        if self.kind in ("gif", "frames"):
            what = "a .gif" if self.kind == "gif" else "a folder of PNG frames"
            self.warnings.append(f"audio '{audio}' is ignored: {what} has no sound")
            return None
        if not Path(audio).is_file():
            raise _error(f"cannot add the audio '{audio}': no such file", code=AUDIO)
        # Found out now, not after the whole render: a file that holds no audio ffmpeg can read.
        try:
            report = _stream_copy(Path(audio), "0:a:0")
        except RideRenderError:
            raise _error(f"cannot add the audio '{audio}': ffmpeg finds no sound in it",
                         "use a .wav, .mp3, .flac, .ogg or .m4a file", code=AUDIO) from None
        rate = re.search(r"Audio: .*?(\d+) Hz", report)
        self._audio_rate = int(rate[1]) if rate else None
        return Path(audio)

    def _check_sound_added(self) -> None:
        """ffmpeg makes no sound of some valid files (a few samples at 1 Hz), and says nothing: warn."""
        try:
            _stream_copy(self._temp, "0:a:0")
        except RideRenderError:
            rate = f" ({self._audio_rate} Hz)" if self._audio_rate is not None else ""
            self.warnings.append(f"audio '{self._audio}'{rate} is not in the video: ffmpeg made no sound from it; "
                                 "use audio of at least 8000 Hz and longer than a few samples")

    def _open(self) -> None:
        _sweep_leftovers(self.path)
        codec, options = encoder_settings(self.kind, self.quality)
        target = str(self._stage)
        if self.kind == "frames":  # an image2 pattern: a '%' in the folder's name must be doubled
            target = target.replace("%", "%%") + "/%06d.png"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.kind == "frames":
                self._temp.mkdir()
            from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter

            # moviepy runs ffmpeg with `-loglevel error` and stderr piped: quiet unless it fails.
            self._ffmpeg = FFMPEG_VideoWriter(
                target, self.size, self.fps, codec=codec, preset="veryfast", ffmpeg_params=options
            )
        except OSError as error:
            self.abort()
            raise _error(f"cannot write '{self.path}': {error.strerror or error}", code=CANNOT_WRITE) from None

    def write(self, frame: np.ndarray) -> None:
        """Encodes one (height, width, 3) uint8 frame; it is not kept."""
        if self._done:
            raise RuntimeError("VideoWriter.write() after close() or abort()")
        if frame.shape != self._shape or frame.dtype != np.uint8:
            raise _error(f"frame {self.frames} is {frame.dtype} {frame.shape}, not uint8 {self._shape}", code=FRAME_SHAPE)
        frame = np.ascontiguousarray(frame)  # a no-op for the renderer's own arrays
        self._pipe(gif_quantized(frame) if self.kind == "gif" else frame)
        self.frames += 1

    def _pipe(self, frame: np.ndarray) -> None:
        # Straight from the array's buffer: moviepy's write_frame would copy it with tobytes().
        try:
            self._ffmpeg.proc.stdin.write(frame.data)
        except OSError:
            self._finish_ffmpeg()  # ffmpeg died: raises with its own message
            raise _error(f"cannot write '{self.path}': ffmpeg stopped reading frames", code=FFMPEG) from None

    def _finish_ffmpeg(self) -> None:
        proc, self._ffmpeg.proc = self._ffmpeg.proc, None
        with contextlib.suppress(OSError):  # a broken pipe here means ffmpeg failed: stderr says why
            proc.stdin.close()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if (status := proc.wait()) != 0:
            raise _error(f"cannot write '{self.path}': ffmpeg failed: {_last_lines(stderr, status)}", code=FFMPEG)

    def close(self) -> Path:
        """Finishes the file, adds the audio and renames it over the output; returns its path."""
        if self._done:
            return self.path
        try:
            if self.frames == 0:
                raise _error(f"cannot write '{self.path}': no frames were rendered", code=NO_FRAMES)
            self._finish_ffmpeg()
            if self._audio is not None:
                mux_audio(self._stage, self._audio, self._temp, self.frames / self.fps, self.kind)
                _remove(self._stage)
                self._check_sound_added()
            self._publish()
        except OSError as error:  # the rename into place: permissions, a full disk
            self.abort()
            raise _error(f"cannot write '{self.path}': {error.strerror or error}", code=CANNOT_WRITE) from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def _publish(self) -> None:
        if self.kind != "frames":
            os.replace(self._temp, self.path)  # atomic: readers see the old file or the new one
            return
        publish_frames(self._temp, self.path)  # frame by frame: nothing but ride's own frames is removed
        _remove(self._temp)

    def abort(self) -> None:
        """Stops ffmpeg and deletes the temporary output; any earlier output stays untouched."""
        if self._ffmpeg is not None and self._ffmpeg.proc is not None:
            proc, self._ffmpeg.proc = self._ffmpeg.proc, None
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
        for temp in {self._temp, self._stage}:
            _remove(temp)
        self._done = True

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()
