"""Which frames an engine folder of the frame store holds, without a stat per frame.

`<engine folder>/keys.index` is an append-only log: a 13-byte header, then 13-byte records, each
'+' or '-' and a key's 12 bytes. Every writer appends a record after renaming a frame into place
(and '-' after dropping a damaged one, or pruning); a record is one write() on a file opened for
appending, so writers in several processes (sweeps, a second render) never interleave inside one.

A reader keeps the live keys in memory, sorted, and reads only what was appended since it last
looked: "how many of these keys are stored" is a binary search for a whole chunk of keys at once.
The log is a hint the store can always rebuild: it is rebuilt from the folder when it is missing
(a cache made before it, or deleted), when it is damaged (a bad header, a record that is neither
'+' nor '-'), or when a frame it lists turns out to be gone (`rebuild`). A frame written but not
yet listed (a process killed between the rename and the append) is only rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np

FRAME_SUFFIX = ".frame"
INDEX_NAME = "keys.index"
_HEADER = b"RIDEKEYS1\n\0\0\0"  # as long as a record
_RECORD = 13
_ADDED, _REMOVED = ord("+"), ord("-")


def raw_key(key: str) -> bytes:
    """A key's 12 bytes: its hex digits, or (a name that is not 24 hex digits) a digest of it."""
    if len(key) == 24:
        with contextlib.suppress(ValueError):
            return bytes.fromhex(key)
    return hashlib.sha256(key.encode()).digest()[:12]


def split(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, 12) uint8 keys -> their first 8 bytes and last 4 as integers (sortable, comparable)."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1, 12)
    high = np.ascontiguousarray(raw[:, :8]).view(">u8").ravel().astype(np.uint64)
    low = np.ascontiguousarray(raw[:, 8:]).view(">u4").ravel().astype(np.uint32)
    return high, low


class KeyIndex:
    """The keys stored in one engine folder (see the module's docstring)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / INDEX_NAME
        self._identity: tuple[int, int] | None = None  # (device, inode) of the log read so far
        self._offset = 0
        self._high = np.zeros(0, dtype=np.uint64)  # live keys, sorted by high
        self._low = np.zeros(0, dtype=np.uint32)

    # -- writing ---------------------------------------------------------------------------

    def added(self, key: str) -> None:
        self._append(_ADDED, key)

    def removed(self, key: str) -> None:
        self._append(_REMOVED, key)

    def _append(self, op: int, key: str) -> None:
        try:  # no O_CREAT: a missing log is rebuilt from the folder by its next reader, this frame included
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError:
            return
        try:
            os.write(descriptor, bytes((op,)) + raw_key(key))
        except OSError:
            pass  # a full disk: the frame is there, the log does not say so; it is only rendered again
        finally:
            os.close(descriptor)

    # -- reading ---------------------------------------------------------------------------

    def contains(self, raw: np.ndarray) -> np.ndarray:
        """For (m, 12) uint8 keys, whether each is stored (as the log says, brought up to date)."""
        self.refresh()
        high, low = split(raw)
        at = np.searchsorted(self._high, high)
        inside = at < self._high.size
        found = np.zeros(high.size, dtype=bool)
        found[inside] = (self._high[at[inside]] == high[inside]) & (self._low[at[inside]] == low[inside])
        return found

    def refresh(self) -> None:
        """Reads what other writers (and this one) appended since the last look; rebuilds the log if
        it is missing, damaged or replaced."""
        try:
            with open(self.path, "rb") as log:
                status = os.fstat(log.fileno())
                identity = (status.st_dev, status.st_ino)
                if identity != self._identity or status.st_size < self._offset:
                    self._identity, self._offset = identity, 0  # replaced: read it from the start
                    self._high, self._low = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)
                whole = (status.st_size // _RECORD) * _RECORD  # a record being appended is read next time
                log.seek(self._offset)
                data = log.read(whole - self._offset)
        except FileNotFoundError:
            self.rebuild()
            return
        if self._offset == 0:
            if data[:_RECORD] != _HEADER:
                self.rebuild()
                return
            data = data[_RECORD:]
            self._offset = _RECORD
        records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _RECORD)
        ops = records[:, 0]
        if not np.all((ops == _ADDED) | (ops == _REMOVED)):
            self.rebuild()
            return
        self._offset += len(data)
        self._apply(ops, records[:, 1:])

    def _apply(self, ops: np.ndarray, keys: np.ndarray) -> None:
        """Merges records into the live keys: each key's last record says whether it is there."""
        if not ops.size:
            return
        high, low = split(keys)
        order = np.lexsort((np.arange(ops.size), low, high))  # by key, then by when
        high, low, ops = high[order], low[order], ops[order]
        last = np.ones(high.size, dtype=bool)
        last[:-1] = (high[1:] != high[:-1]) | (low[1:] != low[:-1])
        high, low, present = high[last], low[last], ops[last] == _ADDED
        # drop what is live now (removed, or added again), then insert what is added
        at = np.searchsorted(self._high, high)
        inside = at < self._high.size
        known = np.zeros(high.size, dtype=bool)
        known[inside] = (self._high[at[inside]] == high[inside]) & (self._low[at[inside]] == low[inside])
        drop = at[known]
        self._high, self._low = np.delete(self._high, drop), np.delete(self._low, drop)
        high, low = high[present], low[present]
        at = np.searchsorted(self._high, high)
        self._high, self._low = np.insert(self._high, at, high), np.insert(self._low, at, low)

    def rebuild(self) -> None:
        """The log written afresh from the frames in the folder (one directory listing per
        subfolder, no stat), renamed into place."""
        keys = [raw_key(entry.name[:-len(FRAME_SUFFIX)])
                for sub in _entries(self.folder) if sub.is_dir() and len(sub.name) == 2
                for entry in _entries(Path(sub.path)) if entry.name.endswith(FRAME_SUFFIX)]
        data = _HEADER + b"".join(bytes((_ADDED,)) + key for key in keys)
        self._identity, self._offset = None, 0
        self._high, self._low = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)
        raw = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 12)
        self._apply(np.full(len(keys), _ADDED, dtype=np.uint8), raw)
        if not self.folder.is_dir():
            return  # nothing stored yet: no folder is made before the first frame
        temporary = self.path.with_name(f".{INDEX_NAME}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, self.path)
            status = os.stat(self.path)
        except OSError:  # a read-only cache: answer from what the listing found
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            return
        # what others append from now on is read next time; what they appended to the old log
        # before the rename is not listed (those frames are only rendered again)
        self._identity, self._offset = (status.st_dev, status.st_ino), len(data)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []
