"""`ride render`: a progress bar while frames are made, a summary when the video is written."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..api import FrameEvent, RenderJob, RenderRequest, RenderResult, RenderSession
from ..plan import Plan
from .plan_warnings import print_plan_warnings


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[speed]}"), TimeRemainingColumn(), console=console, transient=True,
    )


class FrameProgress:
    """Feeds FrameEvents into a rich progress task: frame i/n, frames per second, ETA."""

    def __init__(self, progress: Progress, total: int, label: str):
        self.progress = progress
        self.task = progress.add_task(label, total=total, speed="")
        self.started = time.perf_counter()
        self.rendered = 0

    def __call__(self, event: FrameEvent) -> None:
        if event.reused:
            self.progress.update(self.task, completed=event.index + 1, speed=f"{event.index + 1} reused")
            return
        self.rendered += 1
        fps = self.rendered / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(self.task, completed=event.index + 1, speed=f"{fps:.1f} fps")


def render_with_progress(session: RenderSession, job: RenderJob, console: Console) -> RenderResult:
    with progress_bar(console) as progress:
        on_frame = FrameProgress(progress, job.stop, job.plan.settings.title or "render")
        return session.render(job, on_frame=on_frame)


def summary(plan: Plan, result: RenderResult) -> str:
    parts = [f"{result.frames} frames ({result.reused} reused, {result.rendered} rendered)",
             f"in {result.seconds:.1f} s"]
    if result.rendered:
        parts.append(f"{result.rendered / max(result.seconds, 1e-9):.1f} fps")
    line = ", ".join(parts)
    if plan.settings.loop in ("close", "circle") and result.seam is not None:
        line += (f"\nseam score {result.seam:.2f} (last frame -> first vs. a typical cut, both after the camera's "
                 "motion; about 1 is seamless)")
    if result.output is not None:
        line += f"\nwrote {result.output}"
    return line


def print_warnings(result: RenderResult, err: Console) -> None:
    """What the render left out (the audio of a gif, sound ffmpeg could not make), on stderr with
    the other diagnostics: a script reading the summary from stdout still sees them."""
    for warning in result.warnings:
        err.print(f"warning: {warning}", style="yellow", markup=False)


def run_render(request: RenderRequest, out: Console, err: Console) -> int:
    with RenderSession(request) as session:
        plan = session.load()
        print_plan_warnings(plan, err)
        if plan.settings.random_seed is not None:
            err.print(f"seed random drew {plan.settings.random_seed}: write `seed {plan.settings.random_seed}` "
                      "to render these frames again", markup=False)
        result = render_with_progress(session, session.job(plan), err)
    print_warnings(result, err)
    out.print(summary(plan, result), markup=False)
    return 0
