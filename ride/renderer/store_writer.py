"""Frames go to the store on a second thread: numpy and zstd release the GIL while they work, so
on a two-core machine storing costs the render loop almost nothing."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from .store import FrameStore

PENDING = 8  # frames waiting to be written at most: bounds memory whatever the render's length


class BackgroundWriter:
    """`put` returns at once; `flush` waits until every frame put so far is on disk."""

    def __init__(self, store: FrameStore):
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ride-store")
        self.pending: deque[Future] = deque()

    def put(self, key: str, image: np.ndarray) -> None:
        while len(self.pending) >= PENDING:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(self.store.put, key, image))

    def flush(self) -> None:
        while self.pending:
            self.pending.popleft().result()  # re-raises a failed write (a full disk, say)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.pool.shutdown(wait=True)
