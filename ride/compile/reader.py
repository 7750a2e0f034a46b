"""The compiler's only way to the files a script names: an injected reader.

The compiler never opens a file itself, so a language server can compile an unsaved buffer,
a test can compile against files in memory, and the Python API against any store.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image


class Reader(Protocol):
    def read_text(self, path: Path) -> str: ...

    def read_bytes(self, path: Path) -> bytes: ...

    def is_file(self, path: Path) -> bool: ...


class FileSystem:
    """The default reader: the local disk."""

    def read_text(self, path: Path) -> str:
        return Path(path).read_text(encoding="utf-8-sig")  # a Windows editor's byte-order mark is no error

    def read_bytes(self, path: Path) -> bytes:
        return Path(path).read_bytes()

    def is_file(self, path: Path) -> bool:
        return Path(path).is_file()


FILES = FileSystem()


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header says, read without decoding its pixels."""

    width: int = 0
    height: int = 0
    problem: str = ""  # why the file cannot be used as an image ("" when it can)
    too_large: bool = False


def image_header(reader: Reader, path: Path, max_pixels: int) -> ImageHeader:
    """An image's size from its header, through `reader` (PIL reads headers lazily). Larger than
    `max_pixels` is a problem here, before PIL's own guard (a warning printed raw at 89 million
    pixels, an exception at twice that) is met by a render."""
    try:
        data = reader.read_bytes(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return ImageHeader(problem="is too large", too_large=True)
    except (OSError, ValueError, SyntaxError):  # PIL's ways of saying "not an image I can read"
        return ImageHeader(problem="is not an image ride can read (PNG, JPEG or WebP)")
    if width * height > max_pixels:
        return ImageHeader(width, height, f"is too large ({width}x{height})", too_large=True)
    return ImageHeader(width, height)
