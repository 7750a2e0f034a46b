"""The compiler's only way to the files a script names: an injected reader.

The compiler never opens a file itself, so a language server can compile an unsaved buffer,
a test can compile against files in memory, and the Python API against any store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


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
