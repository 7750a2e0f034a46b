"""Runners on this machine: jobs one after another in this process, or in N worker processes.

A runner takes jobs (`submit` -> a Future of a JobResult), stops them on Ctrl-C (`stop`) and
frees its workers (`close`). The Ray runner (ray_tasks.py) is the third, with the same methods.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from .job import Job
from .work import run_job


class InProcess:
    """One job at a time, on a thread of this process (the main thread keeps the progress)."""

    slots = 1

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ride-job")

    def submit(self, job: Job, output: str | None) -> Future:
        return self._pool.submit(run_job, job, output, self._stop)

    def stop(self) -> None:
        self._stop.set()  # the render stops at its next frame; frames made so far are in the store

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Processes:
    """`--jobs N`: N worker processes, started fresh (spawn: no state copied from this one, the
    same start on Linux, macOS and Windows), each rendering one job at a time."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, job: Job, output: str | None) -> Future:
        return self._pool.submit(run_job, job, output)

    def stop(self) -> None:
        # Ctrl-C in a terminal reaches the workers too; a signal to this process alone must also
        # stop them (their frames are in the store, each written whole).
        for process in list(getattr(self._pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGINT)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
