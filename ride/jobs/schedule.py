"""Running many jobs over one frame cache, so that frames they have in common are rendered once.

1. plan every job here (compile, keys, store, output): a job that cannot be planned fails alone
2. find each job's *source*: the earlier job of the same cache and engine whose keys it shares
   longest (keys chain, so shared keys are a prefix: a sweep over a value keyed at frame 200
   shares frames 0-199)
3. start a job when a slot is free and its shared frames are in the store (or its source has
   ended): it then resumes after them, as any render resumes from the cache. A job never waits
   in a worker, and two jobs never render one frame at once
4. poll the store for each job's progress (frames are written in order), until all have ended

Every runner (this process, worker processes, Ray tasks) renders a job with `work.run_job`; the
store is the only thing jobs share, so a killed run loses nothing and a rerun resumes every job.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from typing import Protocol

from ..errors import RideError, format_error
from ..renderer.session import RenderSession
from ..renderer.store import FrameStore
from .job import Job, JobResult, job_output

POLL = 0.2  # seconds between looks at the store for progress and shared frames


class Runner(Protocol):
    slots: int

    def submit(self, job: Job, output: str | None) -> Future: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Planned:
    """A job as planned here before any frame is made."""

    job: Job
    output: str | None
    scene_output: str | None  # the scene's output without the sweep's values (the contact sheet's stem)
    keys: list[str]  # frames 0..stop-1, the ones the job makes or reuses
    store: FrameStore | None
    source: int | None = None  # the job whose frames this one waits for
    shared: int = 0  # how many frames it shares with its source
    done: int = 0  # frames in the store (progress)
    state: str = "waiting"  # waiting, running, done, failed


def plan_jobs(jobs: list[Job]) -> tuple[list[Planned], dict[int, JobResult]]:
    """Steps 1 and 2. A `seed random` is drawn once per scene: a sweep compares values, not seeds."""
    planned, failed, drawn = [], {}, {}
    for job in jobs:
        script = str(job.request.script)
        try:
            with RenderSession(job.request) as session:
                plan = session.load(drawn.get(script))
                render = session.job(plan)
        except RideError as error:
            failed[job.number] = JobResult(job.number, error=format_error(error))
            continue
        if plan.settings.random_seed is not None:
            drawn[script] = plan.settings.random_seed
            job = replace(job, random_seed=plan.settings.random_seed)
        output = job_output(render.output, job.values) if render.output is not None else None
        planned.append(Planned(job, output, render.output, plan.keys()[: render.stop], render.store))
    for i, later in enumerate(planned):
        for earlier in planned[:i]:
            shared = shared_frames(earlier, later)
            if shared > later.shared:
                later.source, later.shared = earlier.job.number, shared
    return planned, failed


def shared_frames(a: Planned, b: Planned) -> int:
    """How many first frames two jobs have in common in one store (a binary search: keys chain,
    so once two keys differ every later pair differs too)."""
    if a.store is None or b.store is None or (a.store.folder, a.store.engine) != (b.store.folder, b.store.engine):
        return 0
    low, high = 0, min(len(a.keys), len(b.keys))
    while low < high:
        middle = (low + high + 1) // 2
        if a.keys[middle - 1] == b.keys[middle - 1]:
            low = middle
        else:
            high = middle - 1
    return low


def run_jobs(planned: list[Planned], runner: Runner,
             on_update: Callable[[list[Planned]], None] = lambda planned: None) -> dict[int, JobResult]:
    """Steps 3 and 4: every planned job run to its end (a result each, failed or not)."""
    results: dict[int, JobResult] = {}
    waiting = list(planned)
    running: dict[Future, Planned] = {}
    try:
        while waiting or running:
            for p in list(waiting):
                if len(running) < runner.slots and _ready(p, results):
                    running[runner.submit(p.job, p.output)] = p
                    waiting.remove(p)
                    p.state = "running"
            finished, _ = wait(list(running), timeout=POLL, return_when=FIRST_COMPLETED)
            for future in finished:
                p = running.pop(future)
                results[p.job.number] = _result(future, p)
                p.state = "failed" if results[p.job.number].error else "done"
            for p in planned:
                _advance(p)
            on_update(planned)
    except KeyboardInterrupt:
        runner.stop()
        raise
    return results


def _ready(p: Planned, results: dict[int, JobResult]) -> bool:
    if p.source is None or p.source in results:
        return True
    return p.store.has(p.keys[p.shared - 1])


def _advance(p: Planned) -> None:
    """Frames are made in order: the store holds the first `done` of them (a few stats per look)."""
    if p.store is None:
        p.done = len(p.keys) if p.state == "done" else 0
        return
    while p.done < len(p.keys) and p.store.has(p.keys[p.done]):
        p.done += 1


def _result(future: Future, p: Planned) -> JobResult:
    try:
        return future.result()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the worker itself died (killed, out of memory) or Ray lost it
        return JobResult(p.job.number, error=f"the job's worker stopped: {type(error).__name__}: {error}")
