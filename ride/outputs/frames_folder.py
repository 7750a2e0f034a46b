"""A folder of PNG frames is published file by file, and ride removes only the frames it wrote there.

A folder cannot be renamed over a non-empty one, and moving the old folder aside to delete it
deleted whatever else it held: `output ".ride-cache/"`, or `-o D/ --cache D/cache`, lost the frame
cache on every render. So the finished frames (000000.png, 000001.png ...) are renamed into the
folder one by one (each rename is atomic: a reader sees the old frame or the new one), and the
frames of an earlier render that the new one does not have are removed. Which frames are ride's,
the manifest `.ride-frames` in the folder says; nothing else in the folder is ever touched, and
subfolders (a frame cache kept beside the frames) are left alone.

    1. check (before frame 0): the folder holds nothing but ride's frames, hidden files and
       folders; a numbered PNG the manifest does not list is the user's, and refused
    2. publish (at close): the manifest lists the old and the new frames, the new ones are renamed
       in, the old ones beyond them are removed, then the manifest lists the new ones only. A crash
       in between leaves a mix of frames, every one of them listed, so the next render tidies up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

MANIFEST = ".ride-frames"
FRAME_NAME = re.compile(r"\d{6}\.png")


def frames_in(folder: Path) -> tuple[int, int, int]:
    """How many PNGs a folder holds, and the first one's width and height (0, 0 if none)."""
    from PIL import Image

    names = sorted(folder.glob("*.png"))
    if not names:
        return 0, 0, 0
    with Image.open(names[0]) as first:
        return len(names), *first.size


def own_frames(folder: Path) -> set[str] | None:
    """The frames ride wrote in `folder`, as its manifest lists them; None without a manifest (a
    new folder, or one from a ride that wrote none: its numbered PNGs count as ride's)."""
    try:
        names = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["frames"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return set()  # unreadable: claim nothing, so nothing of the user's is replaced or removed
    return {name for name in names if isinstance(name, str) and FRAME_NAME.fullmatch(name)}


def foreign_entries(folder: Path) -> list[str]:
    """What in `folder` a render must not mix its frames with: files that are neither ride's frames
    nor hidden. Folders are not in the way (nothing here touches them)."""
    own = own_frames(folder)
    foreign = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith(".") or (entry.is_dir() and not entry.is_symlink()):
            continue
        if FRAME_NAME.fullmatch(name) and (own is None or name in own):
            continue
        foreign.append(name)
    return foreign


def publish_frames(finished: Path, folder: Path) -> None:
    """Moves the PNGs of `finished` (a folder of the same filesystem) into `folder` (step 2 above)."""
    folder.mkdir(parents=True, exist_ok=True)
    new = sorted(p.name for p in finished.iterdir() if FRAME_NAME.fullmatch(p.name))
    with _locked(folder):  # two renders publishing to one folder take turns
        old = own_frames(folder)
        if old is None:
            old = {p.name for p in folder.iterdir() if FRAME_NAME.fullmatch(p.name) and p.is_file()}
        _write_manifest(folder, old | set(new))
        for name in new:
            os.replace(finished / name, folder / name)
        for name in sorted(old - set(new)):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        _write_manifest(folder, set(new))


def _write_manifest(folder: Path, names: set[str]) -> None:
    text = json.dumps({"written_by": "ride: the frames it replaces and removes here, and only these",
                       "frames": sorted(names)}, indent=0)
    temporary = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    try:
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, folder / MANIFEST)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks there, so concurrent publishing is not guarded
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
