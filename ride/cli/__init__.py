"""The `ride` command: check, plan, render. The only module that talks to the terminal.

User mistakes (RideError) are printed as positioned errors and exit 1; nothing else here
catches exceptions, so a bug in ride still shows its traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from ..engines import ENGINES
from ..errors import Problem, RideCompileError, RideError, format_error
from ..plan import CAMERA_COLUMNS, NUMERIC_COLUMNS, Plan
from ..renderer.store import DEFAULT_FOLDER
from ..settings import SETTINGS
from . import fmt, import_, plot
from .plan_warnings import print_plan_warnings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return args.run(args, out, err)
    except RideError as error:
        _print_error(err, error)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted", style="yellow")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ride", description="Render generative video from .ride scene scripts.")
    from .. import __version__  # the running code's version (pyproject.toml's, a test checks)

    parser.add_argument("--version", action="version", version=f"ride {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check scripts for errors (exit 1 if any)")
    check.add_argument("files", nargs="+", metavar="FILE")
    _set_flag(check)
    check.set_defaults(run=_check)

    plan = commands.add_parser("plan", help="print the resolved plan: every frame's parameters")
    plan.add_argument("file", metavar="FILE")
    plan.add_argument("--format", choices=("table", "json", "csv"), default="table")
    plan.add_argument("--frames", metavar="A:B", help="only frames A to B-1 (Python slice style)")
    _set_flag(plan)
    plan.set_defaults(run=_plan)

    render = commands.add_parser("render", help="render a script to a video (resuming from the frame cache)")
    render.add_argument("files", nargs="+", metavar="FILE", help="one or more scenes (each writes its own output)")
    render.add_argument("-o", "--output", help="the video (.mp4, .webm, .gif) or a folder/ of PNGs")
    render.add_argument("--engine", choices=ENGINES, help="preview (no weights) or diffusers")
    render.add_argument("--model", help="a diffusers checkpoint: hub id, folder or .safetensors file")
    render.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    render.add_argument("--dtype", choices=("float16", "bfloat16", "float32"), help="diffusers: weights' precision "
                        "(default fp16 on a GPU, fp32 on the CPU)")
    render.add_argument("--attention-slicing", action="store_true", help="diffusers: less GPU memory, slower")
    render.add_argument("--vae-tiling", action="store_true", help="diffusers: decode large frames in tiles")
    render.add_argument("--cpu-offload", action="store_true", help="diffusers: keep idle parts in CPU memory")
    render.add_argument("--frames", metavar="A:B", help="render frames 0..B-1, write A..B-1")
    render.add_argument("--size", metavar="WxH", help="override the script's size")
    render.add_argument("--fps", type=float, help="override the script's frame rate")
    render.add_argument("--cache", metavar="DIR", help=f"the frame cache (default: {DEFAULT_FOLDER}/ beside the script)")
    render.add_argument("--no-cache", action="store_true", help="do not read or write the frame cache")
    render.add_argument("--watch", action="store_true", help="re-render on every save, reusing unchanged frames")
    render.add_argument("--serve", nargs="?", const="", default=None, metavar="HOST:PORT",
                        help="with --watch: a live page of the frames, curves and errors (default "
                        "127.0.0.1:8737; needs ride[serve])")
    _set_flag(render)
    render.add_argument("--jobs", metavar="N", type=int, help="render up to N jobs (scenes, sweep values) at once, "
                        "in N processes")
    render.add_argument("--ray", metavar="ADDRESS", nargs="?", const="", help="run the jobs as Ray tasks: on this "
                        "machine's cluster, on ADDRESS, or `local` (a Ray started for the run); needs ride[ray]")
    render.set_defaults(run=_render)

    cache = commands.add_parser("cache", help="show or trim the frame cache")
    cache.add_argument("action", choices=("info", "prune"))
    cache.add_argument("folder", nargs="?", default=DEFAULT_FOLDER, help=f"(default: {DEFAULT_FOLDER})")
    cache.add_argument("--keep", metavar="FILE", nargs="*", help="prune: keep the frames of these scripts' plans")
    cache.add_argument("--keep-last", metavar="N", type=int, help="prune: keep only the N most recently used frames")
    cache.add_argument("--max-size", metavar="SIZE", help="prune: trim least recently used frames to e.g. 2GB")
    cache.add_argument("--older-than", metavar="DAYS", type=float, help="prune: remove frames unused for DAYS")
    cache.set_defaults(run=_cache)

    lsp = commands.add_parser("lsp", help="the language server for editors, on stdin/stdout (needs ride[lsp])")
    lsp.set_defaults(run=_lsp)
    fmt.add_command(commands)
    plot.add_command(commands)
    import_.add_command(commands)
    return parser


def _set_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument("--set", metavar="NAME=VALUE", action="append", dest="set",
                         help="override a setting (or a `let`); several values, comma-separated, make a sweep "
                              "(repeatable: the sweeps multiply)")


def _print_error(console: Console, error: RideError) -> None:
    text = format_error(error)
    for line in text.splitlines():
        style = "bold red" if ": error: " in line else ("cyan" if line.lstrip().startswith("hint:") else None)
        console.print(line, style=style, markup=False)
    count = len(error.problems)
    if count > 1:
        console.print(f"{count} errors", style="bold red", markup=False)


def _check(args, out: Console, err: Console) -> int:
    """Every file, with every combination of the --set values; an error shared by several
    combinations is printed once."""
    from ..compile.compiler import Overrides, load
    from ..engines import check_engine_options
    from .set_flags import combinations, parse_set_flags

    status = 0
    printed = set()
    sweeps = parse_set_flags(args.set)
    for path in args.files:
        for values in combinations(sweeps):
            label = path + (f" [{' '.join(f'{v.name}={v.value}' for v in values)}]" if values else "")
            try:
                plan = load(path, overrides=Overrides(settings=values))
                problems = check_engine_options(plan)
                if problems:
                    raise RideCompileError(problems, Path(path).read_text(encoding="utf-8-sig"), path)
            except RideError as error:
                status = 1
                if format_error(error) not in printed:
                    printed.add(format_error(error))
                    _print_error(err, error)
                continue
            print_plan_warnings(plan, err)
            seconds = len(plan) / plan.fps
            out.print(f"{label}: ok ({len(plan)} frames, {seconds:.1f} s at {plan.fps:g} fps, "
                      f"{plan.settings.width}x{plan.settings.height})", markup=False)
    return status


def _plan(args, out: Console, err: Console) -> int:
    from ..api import parse_frames
    from ..compile.compiler import Overrides, load
    from .set_flags import combinations, parse_set_flags

    every = combinations(parse_set_flags(args.set))
    if len(every) > 1 and args.format != "table":
        raise RideError(Problem(f"--format {args.format} prints one plan; these --set values make {len(every)}",
                                hint="give each --set one value (or use --format table: a table per plan)",
                                code="R748"))
    for values in every:
        plan = load(args.file, overrides=Overrides(settings=values))
        start, stop = parse_frames(args.frames, len(plan))
        # json and csv are written a frame at a time: a million frames never stand in memory at once
        if args.format == "json":
            plan.write_json(sys.stdout, start, stop)
            sys.stdout.write("\n")
        elif args.format == "csv":
            write_plan_csv(sys.stdout, plan, start, stop)
        else:
            if len(every) > 1:
                out.print(" ".join(f"{v.name}={v.value}" for v in values), style="bold", markup=False)
            out.print(plan_table(plan, start, stop, out.width))
    return 0


def plan_csv(plan: Plan, start: int, stop: int) -> str:
    buffer = io.StringIO()
    write_plan_csv(buffer, plan, start, stop)
    return buffer.getvalue()


def write_plan_csv(out: TextIO, plan: Plan, start: int, stop: int) -> None:
    writer = csv.writer(out, lineterminator="\n")
    numbers = [c for c in NUMERIC_COLUMNS if c != "seed"]
    writer.writerow(["index", "time", "seed", *numbers, *CAMERA_COLUMNS, "conditioning", "negative", "diffuse", "key"])
    for f in plan.frames(start, stop):
        row = f.to_json()
        writer.writerow([f.index, row["time"], f.seed, *(row[c] for c in numbers),
                         *(row["camera"][c] for c in CAMERA_COLUMNS), describe_conditioning(f.conditioning),
                         f.negative, int(f.diffuse), f.key])


def describe_conditioning(cond, width: int = 0) -> str:
    """One line for a frame's conditioning; prompts shortened to `width` characters if given."""
    def short(text):
        return text if not width or len(text) <= width else text[: width - 1] + "\u2026"

    def mix(m):
        return " + ".join((f'"{short(w.source.value)}"' if w.source.kind == "prompt"
                           else f'image "{w.source.value}"')
                          + (f" * {w.weight:.2f}" if len(m) > 1 else "") for w in m)

    if cond.morph is None:
        return mix(cond.sources)
    return f"{mix(cond.morph.start)} -> {mix(cond.sources)} @ {cond.morph.position:.2f} {cond.morph.method}"


def _plan_columns() -> list[tuple[str, object]]:
    """(heading, how a frame shows in it): frame and time, the settings table's shown columns, loop."""
    columns = [("frame", lambda f: str(f.index)), ("time", lambda f: f"{f.time:.2f}")]
    for setting in SETTINGS:
        if setting.short:
            columns.append((setting.short, _show(setting)))
    columns.append(("loop", lambda f: f"{f.loop_blend:.2f}"))
    return columns


def _show(setting):
    digits = 4 if setting.name == "zoom" else 3  # a zoom's change is in its third decimal

    def value(f, name):
        return getattr(f.camera, name) if name in CAMERA_COLUMNS else getattr(f, name)

    if setting.parts:
        return lambda f: ",".join(f"{value(f, p):.{digits}g}" for p in setting.parts)
    if setting.integer:
        return lambda f: str(value(f, setting.name))
    return lambda f: f"{value(f, setting.name):.{digits}g}"


# left out first, in this order, when the terminal is narrow
_OPTIONAL = tuple(s.short for s in SETTINGS if s.short and s.optional)


def plan_table(plan: Plan, start: int, stop: int, width: int = 200) -> Table:
    """Numbers are never cut: on a narrow terminal whole columns are left out instead (the
    conditioning, last, wraps)."""
    s = plan.settings
    title = f"{s.title or s.script}: {len(plan)} frames, {s.width}x{s.height} at {s.fps:g} fps"
    frames = list(plan.frames(start, stop))
    columns = [(name, show, max(len(name), *(len(show(f)) for f in frames))) for name, show in _plan_columns()]
    for name in _OPTIONAL:  # 3 characters of border and padding a column, 30 left for conditioning
        if sum(w + 3 for _, _, w in columns) + 30 <= width:
            break
        columns = [c for c in columns if c[0] != name]
    table = Table(title=title, show_lines=False)
    for name, _, column_width in columns:
        table.add_column(name, no_wrap=True, min_width=column_width)
    table.add_column("conditioning", overflow="fold", min_width=20)
    prompt_room = max(24, (width - sum(w + 3 for _, _, w in columns)) // 2 - 8)
    for f in frames:
        table.add_row(*(show(f) for _, show, _ in columns), describe_conditioning(f.conditioning, prompt_room))
    return table


def parse_size(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise RideError(f"--size must look like 512x512, not '{text}'") from None
    if not (8 <= width <= 8192 and 8 <= height <= 8192) or width % 8 or height % 8:
        raise RideError(f"--size {text}: each side must be a multiple of 8 from 8 to 8192")
    return width, height


def _render(args, out: Console, err: Console) -> int:
    from .render import RenderRequest, run_render
    from .set_flags import combinations, parse_set_flags

    width, height = parse_size(args.size)
    if args.fps is not None and not 0 < args.fps <= 240:
        raise RideError(f"--fps must be between 0 and 240, not {args.fps:g}")
    every = combinations(parse_set_flags(args.set))
    many = len(args.files) > 1 or len(every) > 1
    check_job_options(args, many)
    request = RenderRequest(script=args.files[0], output=args.output, engine=args.engine, model=args.model,
                            device=args.device, frames=args.frames, width=width, height=height,
                            fps=args.fps, cache=args.cache, use_cache=not args.no_cache,
                            engine_options=_engine_options(args), settings=every[0])
    if args.serve is not None and not args.watch:
        raise RideError(Problem("--serve shows a watch session: add --watch", code="R756",
                                hint=f"ride render {args.files[0]} --watch --serve"))
    if args.watch:
        from .watch import run_watch

        return run_watch(request, out, err, _print_error, serve=args.serve)
    if many or args.jobs or args.ray is not None:
        from .jobs import run_many

        return run_many(args, request, out, err, _print_error)
    return run_render(request, out, err)


def check_job_options(args, many: bool) -> None:
    """What cannot be combined with several jobs, all said at once (R749)."""
    problems = []
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        problems.append(Problem(f"--jobs {args.jobs}: give 1 to 256 jobs at once", code="R749"))
    if many and args.watch:
        problems.append(Problem("--watch renders one scene with one value per --set", code="R749",
                                hint="watch one job: one FILE, one value per --set"))
    if len(args.files) > 1 and args.output:
        problems.append(Problem("-o names one output; these scenes each write their own", code="R749",
                                hint="leave -o out: each scene writes its `output`, or its name with .mp4"))
    if args.watch and (args.jobs or args.ray is not None):
        problems.append(Problem("--watch renders here: it takes no --jobs or --ray", code="R749"))
    if problems:
        raise RideError(problems)


def _engine_options(args) -> dict:
    options = {"attention_slicing": args.attention_slicing, "vae_tiling": args.vae_tiling,
               "cpu_offload": args.cpu_offload}
    if args.dtype:
        options["dtype"] = args.dtype
    return {k: v for k, v in options.items() if v}


def _cache(args, out: Console, err: Console) -> int:
    from ..renderer.store import check_frame_cache, prune, store_info

    check_frame_cache(args.folder)  # a typo'd folder is an error, not "0 frames"
    if args.action == "info":
        info = store_info(args.folder)
        out.print(f"{info.folder}: {info.frames} frames, {info.bytes / 1e6:.1f} MB", markup=False)
        return 0
    keep = None
    if args.keep:
        from ..compile.compiler import load

        keep = {key for path in args.keep for key in load(path).keys()}
    if args.keep_last is not None and args.keep_last < 0:
        raise RideError(f"--keep-last must be 0 or more, not {args.keep_last}")
    removed = prune(args.folder, keep=keep, max_bytes=parse_bytes(args.max_size), older_than_days=args.older_than,
                    keep_last=args.keep_last)
    info = store_info(args.folder)
    out.print(f"removed {removed} frames; {info.frames} frames, {info.bytes / 1e6:.1f} MB left", markup=False)
    return 0


def _lsp(args, out: Console, err: Console) -> int:
    from ..lsp import serve

    return serve()


def parse_bytes(text: str | None) -> int | None:
    if not text:
        return None
    units = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
    number = text.upper().rstrip("BKMGT ")
    unit = text.upper()[len(number):].strip()
    try:
        return int(float(number) * units[unit if unit.endswith("B") or not unit else unit + "B"])
    except (ValueError, KeyError):
        raise RideError(f"--max-size must look like 500MB or 2GB, not '{text}'") from None


if __name__ == "__main__":
    sys.exit(main())
