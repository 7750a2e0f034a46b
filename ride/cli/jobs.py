"""`ride render` of several jobs (scenes, --set sweeps, --jobs, --ray): a progress bar per job,
then one summary (rendered, reused, failed with its error) and a contact sheet per swept scene."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import RideError
from ..jobs.contact_sheet import write_contact_sheet
from ..jobs.job import check_outputs, is_sweep, make_jobs, sheet_path
from ..jobs.local import InProcess, Processes
from ..jobs.schedule import Planned, plan_jobs, run_jobs
from ..renderer.request import RenderRequest
from .set_flags import combinations, parse_set_flags


def run_many(args, request: RenderRequest, out: Console, err: Console,
             print_error: Callable[[Console, RideError], None]) -> int:
    jobs = make_jobs(args.files, combinations(parse_set_flags(args.set)), request)
    planned, results = plan_jobs(jobs)
    for error in dict.fromkeys(r.error for r in results.values()):  # said now, not after the others; once
        print_text_error(err, error)
    check_outputs({p.job.number: p.output for p in planned if p.output is not None}, jobs)
    for script, seed in {p.job.request.script: p.job.random_seed for p in planned
                    if p.job.random_seed is not None}.items():
        err.print(f"{script}: seed random drew {seed} (every job of the scene uses it)", markup=False)
    runner = make_runner(args)
    try:
        with job_progress(err) as progress:
            view = JobView(progress, planned)
            results.update(run_jobs(planned, runner, view.update))
    finally:
        runner.close()
    ordered = [(job, results[job.number]) for job in jobs]
    for job, result in ordered:
        if result.error and job.number in {p.job.number for p in planned}:
            err.print(f"{job.label}: failed", style="bold red", markup=False)
            print_text_error(err, result.error)
        for warning in result.warnings:
            err.print(f"warning: {job.label}: {warning}", style="yellow", markup=False)
    for line in summary_lines(ordered):
        out.print(line, markup=False)
    if is_sweep(jobs):
        for line in write_sheets(planned, ordered):
            out.print(line, markup=False)
    failed = sum(1 for _, r in ordered if r.error)
    out.print(f"{len(ordered)} jobs: {len(ordered) - failed} done, {failed} failed", markup=False)
    return 1 if failed else 0


def make_runner(args):
    if args.ray is not None:
        from ..jobs.ray_tasks import RayTasks

        return RayTasks(args.ray or None, args.jobs, gpus=1.0 if args.device == "cuda" else 0.0)
    if (args.jobs or 1) > 1:
        return Processes(args.jobs)
    return InProcess()


def job_progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[state]}"), TimeElapsedColumn(), console=console, transient=True)


class JobView:
    """A bar per job: frames in the store (made by it, or by the job it shares them with)."""

    def __init__(self, progress: Progress, planned: list[Planned]):
        self.progress = progress
        self.tasks = {p.job.number: progress.add_task(p.job.label, total=len(p.keys), state="waiting")
                      for p in planned}

    def update(self, planned: list[Planned]) -> None:
        for p in planned:
            self.progress.update(self.tasks[p.job.number], completed=p.done, state=p.state)


def summary_lines(rows) -> list[str]:
    """A line per job: what it reused and rendered and where it wrote, or why it failed."""
    lines = []
    for job, r in rows:
        if r.error:
            lines.append(f"{job.label}: failed: {first_line(r.error)}")
        else:
            lines.append(f"{job.label}: {r.frames} frames ({r.reused} reused, {r.rendered} rendered) in "
                         f"{r.seconds:.1f} s" + (f" -> {r.output}" if r.output else ""))
    return lines


def write_sheets(planned: list[Planned], rows) -> list[str]:
    """A contact sheet per scene of a sweep, named after its first job's output."""
    lines = []
    sheets: dict[str, Path] = {}
    for p in planned:
        if p.scene_output is not None:
            sheets.setdefault(str(p.job.request.script), sheet_path(p.scene_output))
    for script, path in sheets.items():
        scene_rows = [(job, result) for job, result in rows if str(job.request.script) == script]
        try:
            lines.append(f"contact sheet {write_contact_sheet(path, scene_rows)}")
        except OSError as error:
            lines.append(f"warning: cannot write the contact sheet {path}: {error.strerror or error}")
    return lines


def first_line(error: str | None) -> str:
    line = (error or "").splitlines()[0] if error else ""
    return line.split(": error: ", 1)[-1]


def print_text_error(console: Console, text: str | None) -> None:
    for line in (text or "").splitlines():
        style = "bold red" if ": error: " in line else ("cyan" if line.lstrip().startswith("hint:") else None)
        console.print(line, style=style, markup=False)


__all__ = ["run_many"]
