"""The frame store: rendered frames, lossless, addressed by the plan's chained key and the
engine's identity. A frame is written to a temporary file and renamed, so a crash or kill -9
never leaves a half-written frame that a later run would read back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zstandard

from ..audio.cache import AUDIO_FOLDER
from ..errors import Problem, RideRenderError
from ..outputs.frames_folder import FRAME_NAME
from .store_index import FRAME_SUFFIX, KeyIndex, raw_key

RENDER_VERSION = "ride-render-6"  # bump when the feedback steps change pixels (4: the OpenCV warp kernel;
# 5: damped depth steps; 6: loop close in noise space, aligned cadence in-betweens)
DEFAULT_FOLDER = ".ride-cache"
STALE_TEMPORARY = 600  # seconds: a younger .tmp may belong to a render still writing it


def identity_digest(identity: dict[str, str]) -> str:
    """The engine identity (and ride's render version) as one short digest."""
    text = json.dumps({**identity, "ride_render": RENDER_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class StoreInfo:
    folder: Path
    frames: int
    bytes: int


_MAGIC = b"RIDEFRM2"
_MAGIC_ZLIB = b"RIDEFRM1"  # the format before (row differences, deflate): still read back
_HEADER = len(_MAGIC) + 12  # the magic, then height, width and channels
_COMPRESSOR = zstandard.ZstdCompressor(level=1)  # thread-safe for one-shot compress()



def _write_atomically(path: Path, data: bytes) -> None:
    """Written beside `path`, then renamed onto it: a reader never sees half a file, and Ctrl-C or a
    failed write leaves no temporary behind (a kill -9 leaves one, swept by the next prune)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise

def encode_frame(image: np.ndarray) -> bytes:
    """Lossless and cheap, off the render's thread (store_writer.py). Each channel apart, each pixel
    is predicted from its neighbours above, left and above-left (the gradient predictor: the
    residual is the second difference, wrapping uint8), then zstd level 1. Measured on preview
    frames at 512x512 (bench/cache_encoding.py): 17% smaller than the row difference with
    deflate this replaced, in half its time; WebP lossless is as small but twice as slow, PNG
    larger and four times as slow. PNG is for outputs (`output "frames/"`), this is a cache."""
    height, width, channels = image.shape
    return _MAGIC + struct.pack("<III", height, width, channels) + _COMPRESSOR.compress(_residual(image))


def decode_frame(data: bytes) -> np.ndarray:
    magic = data[:8]
    if magic not in (_MAGIC, _MAGIC_ZLIB):
        raise ValueError("not a ride frame")
    height, width, channels = struct.unpack("<III", data[8:_HEADER])
    if magic == _MAGIC_ZLIB:  # each row minus the row above, deflated
        delta = np.frombuffer(zlib.decompress(data[_HEADER:]), np.uint8).reshape(height, width, channels)
        return np.cumsum(delta, axis=0, dtype=np.uint8)
    residual = np.frombuffer(zstandard.ZstdDecompressor().decompress(data[_HEADER:]), np.uint8)
    planes = residual.reshape(channels, height, width)
    planes = np.cumsum(np.cumsum(planes, axis=2, dtype=np.uint8), axis=1, dtype=np.uint8)
    return np.ascontiguousarray(planes.transpose(1, 2, 0))


def _residual(image: np.ndarray) -> bytes:
    """Per channel, x[i,j] - x[i-1,j] - x[i,j-1] + x[i-1,j-1] (the outside of the frame is 0)."""
    p = np.ascontiguousarray(image.transpose(2, 0, 1))
    out = np.empty_like(p)
    np.subtract(p[:, 1:, 1:], p[:, :-1, 1:], out=out[:, 1:, 1:])
    out[:, 1:, 1:] -= p[:, 1:, :-1]
    out[:, 1:, 1:] += p[:, :-1, :-1]
    np.subtract(p[:, 0, 1:], p[:, 0, :-1], out=out[:, 0, 1:])
    out[:, :, 0] = p[:, :, 0]
    out[:, 1:, 0] -= p[:, :-1, 0]
    return out.tobytes()


class FrameStore:
    """Frames under `folder/<engine digest>/<key[:2]>/<key>.frame` (see encode_frame)."""

    def __init__(self, folder: str | Path, identity: dict[str, str]):
        self.folder = Path(folder)
        self.engine = identity_digest(identity)
        self.index = KeyIndex(self.folder / self.engine)  # which keys are here, without a stat each

    def path(self, key: str) -> Path:
        return self.folder / self.engine / key[:2] / f"{key}{FRAME_SUFFIX}"

    def has(self, key: str) -> bool:
        """Stored, as far as a stat can tell: a file shorter than its header (a power cut can leave
        one empty) is missing. Damage a stat cannot see, get() finds when the frame is read back,
        and the render redraws it then (publish.render_job)."""
        try:
            return self.path(key).stat().st_size > _HEADER
        except OSError:
            return False

    def get(self, key: str) -> np.ndarray | None:
        path = self.path(key)
        try:
            frame = decode_frame(path.read_bytes())
            os.utime(path)  # prune removes the least recently used frames first
            return frame
        except OSError:  # missing (removed by hand, or by a prune meanwhile)
            self.index.removed(key)
            return None
        except (ValueError, struct.error, zlib.error, zstandard.ZstdError):  # damaged (a power cut): the render redraws it
            path.unlink(missing_ok=True)
            self.index.removed(key)
            return None

    def put(self, key: str, image: np.ndarray) -> None:
        try:
            _write_atomically(self.path(key), encode_frame(np.ascontiguousarray(image, dtype=np.uint8)))
        except OSError as error:
            raise RideRenderError(Problem(f"cannot write to the frame cache {self.folder}: {error.strerror or error}",
                                          hint="free some disk space, or use --cache DIR or --no-cache",
                                          code="R623")) from None
        self.index.added(key)

    # -- a frame's depth (the 3D camera's), made once and kept beside it: `<key>.depth` ---------------

    def depth_path(self, key: str) -> Path:
        return self.path(key).with_suffix(DEPTH_SUFFIX)

    def get_depth(self, key: str) -> np.ndarray | None:
        """The depth kept with frame `key` (float32 HxW), or None (never made, or damaged)."""
        try:
            return decode_depth(self.depth_path(key).read_bytes())
        except OSError:
            return None
        except (ValueError, struct.error, zlib.error):
            self.depth_path(key).unlink(missing_ok=True)
            return None

    def put_depth(self, key: str, depth: np.ndarray) -> None:
        """Kept as a frame is (a temporary file renamed); a depth that cannot be kept is made again."""
        with contextlib.suppress(OSError):
            _write_atomically(self.depth_path(key), encode_depth(depth))

    def first_missing(self, keys, stop: int | None = None, start: int = 0) -> int:
        """Length of the longest prefix of `keys` (hex strings, or a plan's FrameKeys) already
        stored, looking at keys[:stop]; with `start`, keys[:start] are known to be stored (watch
        mode: the frames before an edit, stored by the last pass) and only the rest is looked at.
        The store's index answers for a chunk of keys at once; one stat of the first frame it says
        is missing checks it (a log cut short, or frames written without it, are found so, and the
        index rebuilt). A frame the caller wrongly says is stored is found when it is read back."""
        stop = len(keys) if stop is None else min(stop, len(keys))
        found = self._indexed_prefix(keys, stop, min(start, stop))
        if found < stop and self.has(keys[found]):
            self.rescan()
            found = self._indexed_prefix(keys, stop, min(start, stop))
        return found

    def _indexed_prefix(self, keys, stop: int, begin: int) -> int:
        step = 65_536
        for start in range(begin, stop, step):
            end = min(stop, start + step)
            if hasattr(keys, "raw"):
                raw = keys.raw(start, end)
            else:
                raw = np.frombuffer(b"".join(raw_key(k) for k in keys[start:end]), dtype=np.uint8).reshape(-1, 12)
            missing = np.flatnonzero(~self.index.contains(raw))
            if missing.size:
                return start + int(missing[0])
        return stop

    def rescan(self) -> None:
        """Rebuilds the index from the folder: after a frame it listed was found gone (deleted by
        hand, or by another process), what else is gone is not known."""
        self.index.rebuild()


DEPTH_SUFFIX = ".depth"
_DEPTH_MAGIC = b"RIDEDEP1"


def encode_depth(depth: np.ndarray) -> bytes:
    """float32 HxW, exactly (a resumed render warps by the depth an uninterrupted one did)."""
    depth = np.ascontiguousarray(depth, dtype="<f4")
    height, width = depth.shape
    return _DEPTH_MAGIC + struct.pack("<II", height, width) + zlib.compress(depth.tobytes(), 1)


def decode_depth(data: bytes) -> np.ndarray:
    if data[:8] != _DEPTH_MAGIC:
        raise ValueError("not a ride depth")
    height, width = struct.unpack("<II", data[8:16])
    return np.frombuffer(zlib.decompress(data[16:]), "<f4").reshape(height, width).astype(np.float32)


def is_frame_cache(folder: str | Path) -> bool:
    """A folder a render keeps frames in: nothing in it but engine folders, named by their digest
    (and the audio/ folder of music analyses, ride.audio.cache)
    (hidden files such as .DS_Store aside, and the PNG frames of an `output ".ride-cache/"`, which
    the cache shares its folder with). An empty folder is an empty cache."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    return all(re.fullmatch(r"[0-9a-f]{16}", entry.name) or entry.name == AUDIO_FOLDER if entry.is_dir()
               else entry.name.startswith(".") or FRAME_NAME.fullmatch(entry.name)
               for entry in folder.iterdir())


def check_frame_cache(folder: str | Path) -> None:
    """Raises R621 unless `folder` is a frame cache: `ride cache` reports and prunes only caches."""
    folder = Path(folder)
    if is_frame_cache(folder):
        return
    inside = folder / DEFAULT_FOLDER
    hint = (f"did you mean '{inside}'?" if is_frame_cache(inside) else
            f"a frame cache is the {DEFAULT_FOLDER}/ folder a render makes beside its script, or its --cache DIR")
    what = "no such folder" if not folder.exists() else "it holds other files" if folder.is_dir() else "it is a file"
    raise RideRenderError(Problem(f"'{folder}' is not a frame cache: {what}", hint=hint, code="R621"))


def store_info(folder: str | Path) -> StoreInfo:
    folder = Path(folder)
    files = list(folder.rglob("*" + FRAME_SUFFIX)) if folder.is_dir() else []
    return StoreInfo(folder, len(files), sum(f.stat().st_size for f in files))


def prune(folder: str | Path, keep: set[str] | None = None, max_bytes: int | None = None,
          older_than_days: float | None = None, keep_last: int | None = None) -> int:
    """Delete frames: those not in `keep` (if given) and older than `older_than_days` (if given),
    then the least recently used until the store holds at most `keep_last` frames and fits
    `max_bytes`. Returns how many went. Each engine folder's index is told, so a render running
    meanwhile sees the frames gone."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    files = sorted(((f, f.stat()) for f in folder.rglob("*" + FRAME_SUFFIX)), key=lambda item: item[1].st_mtime)
    now = time.time()
    removed: list[Path] = []
    survivors = []
    for f, status in files:
        stale = older_than_days is not None and now - status.st_mtime > older_than_days * 86400
        unwanted = keep is not None and f.stem not in keep
        if stale or unwanted:
            removed.append(f)
        else:
            survivors.append((f, status))
    if keep_last is not None:  # the oldest go first: survivors are sorted by last use
        cut = max(0, len(survivors) - keep_last)
        removed += [f for f, _ in survivors[:cut]]
        survivors = survivors[cut:]
    if max_bytes is not None:
        total = sum(status.st_size for _, status in survivors)
        for f, status in survivors:
            if total <= max_bytes:
                break
            total -= status.st_size
            removed.append(f)
    for f in removed:
        f.unlink(missing_ok=True)
        f.with_suffix(DEPTH_SUFFIX).unlink(missing_ok=True)
        KeyIndex(f.parent.parent).removed(f.stem)
    for temporary in folder.rglob("*.tmp"):  # left by a killed render
        if now - temporary.stat().st_mtime > STALE_TEMPORARY:
            temporary.unlink(missing_ok=True)
    return len(removed)
