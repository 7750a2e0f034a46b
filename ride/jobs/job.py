"""The jobs of a `ride render`: every scene times every combination of the --set sweeps.

A job is a RenderRequest with its overrides (a value per swept setting) and where it writes:
in a sweep, `{stem}.{name}-{value}[.{name}-{value}...]{ext}` beside the scene's own output.
Jobs are plain data: they travel to worker processes and Ray tasks by pickling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..compile.overrides import SettingOverride
from ..errors import Problem, RideError
from ..renderer.request import RenderRequest

THUMBNAILS = 4  # frames of each job on the contact sheet


@dataclass(frozen=True)
class Job:
    """One render: a scene, the values it sets, and (after planning) the seed `seed random` drew."""

    number: int
    request: RenderRequest
    values: tuple[SettingOverride, ...] = ()  # the swept values only (the label, the file name)
    random_seed: int | None = None

    @property
    def label(self) -> str:
        name = Path(self.request.script).name
        return name + (" " + " ".join(f"{v.name}={v.value}" for v in self.values) if self.values else "")


@dataclass
class JobResult:
    """What a job did: frames reused and rendered, its video, or the error that stopped it."""

    number: int
    frames: int = 0
    reused: int = 0
    rendered: int = 0
    seconds: float = 0.0
    output: str | None = None
    error: str | None = None  # the error as ride prints it
    thumbnails: list = field(default_factory=list)  # (frame index, small uint8 image) for the contact sheet
    warnings: list[str] = field(default_factory=list)


def make_jobs(scripts: list[str], combinations: list[tuple[SettingOverride, ...]],
              request: RenderRequest) -> list[Job]:
    """Every script times every combination of the --set values (the cartesian product of the
    sweeps). A name with one value in every combination is a plain override: not in the names."""
    swept = {v.name for values in combinations for v in values
             if any(v != other for c in combinations for other in c if other.name == v.name)}
    # paths made absolute here: a worker (a Ray task above all) may not start in this folder
    request = replace(request, output=absolute(request.output), cache=absolute(request.cache))
    jobs = []
    for script in scripts:
        for values in combinations:
            shown = tuple(v for v in values if v.name in swept)
            jobs.append(Job(len(jobs), replace(request, script=str(Path(script).absolute()), settings=values), shown))
    return jobs


def absolute(path) -> str | None:
    """A path from the command line made absolute, a folder's trailing '/' kept."""
    if path is None:
        return None
    text = str(path)
    return str(Path(text).absolute()) + ("/" if text.endswith("/") else "")


def is_sweep(jobs: list[Job]) -> bool:
    return any(job.values for job in jobs)


def job_output(output: str, values: tuple[SettingOverride, ...]) -> str:
    """`out/giro.mp4` with strength 0.3 -> `out/giro.strength-0.3.mp4`; a PNG folder `frames/` ->
    `frames.strength-0.3/`. A swept `output` names its own file: it is not added."""
    values = tuple(v for v in values if v.name != "output")
    if not values:
        return output
    folder = output.endswith("/")
    path = Path(output.rstrip("/"))
    tag = "".join(f".{v.name}-{file_word(v.value)}" for v in values)
    ext = "" if folder else path.suffix
    stem = path.name[: len(path.name) - len(ext)] if ext else path.name
    return str(path.with_name(stem + tag + ext)) + ("/" if folder else "")


def sheet_path(output: str) -> Path:
    """The contact sheet beside a scene's outputs: `{stem}.sweep.jpg`."""
    path = Path(output.rstrip("/"))
    return path.with_name((path.stem if not output.endswith("/") else path.name) + ".sweep.jpg")


def file_word(value: str) -> str:
    """A value as it can stand in a file name: quotes dropped, anything else odd as '_'."""
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", value.strip("\"'")).strip("_") or "_"


def check_outputs(outputs: dict[int, str], jobs: list[Job]) -> None:
    """Two jobs never write one file (two values that read alike in a file name, two scenes with
    one `output`): R745, before anything is rendered."""
    seen: dict[str, Job] = {}
    problems = []
    by_number = {job.number: job for job in jobs}
    for number, output in outputs.items():
        key = str(Path(output).resolve())
        if key in seen:
            problems.append(Problem(f"jobs '{seen[key].label}' and '{by_number[number].label}' would both write "
                                    f"{output}", hint="give the scenes different `output`s, or values that differ "
                                    "in letters or digits", code="R745"))
        else:
            seen[key] = by_number[number]
    if problems:
        raise RideError(problems)


def thumbnail_frames(start: int, stop: int, count: int = THUMBNAILS) -> list[int]:
    """A few frames spread over what the video shows, first and last included."""
    if stop - start <= count:
        return list(range(start, stop))
    return sorted({start + round(i * (stop - 1 - start) / (count - 1)) for i in range(count)})
