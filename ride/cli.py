"""The `ride` command: check, plan, render. The only module that talks to the terminal.

User mistakes (RideError) are printed as positioned errors and exit 1; nothing else here
catches exceptions, so a bug in ride still shows its traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from rich.console import Console
from rich.table import Table

from .errors import RideError, format_error
from .plan import CAMERA_COLUMNS, NUMERIC_COLUMNS, Plan


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check scripts for errors (exit 1 if any)")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(run=_check)

    plan = commands.add_parser("plan", help="print the resolved plan: every frame's parameters")
    plan.add_argument("file", metavar="FILE")
    plan.add_argument("--format", choices=("table", "json", "csv"), default="table")
    plan.add_argument("--frames", metavar="A:B", help="only frames A to B-1 (Python slice style)")
    plan.set_defaults(run=_plan)

    return parser


def _print_error(console: Console, error: RideError) -> None:
    text = format_error(error)
    for line in text.splitlines():
        style = "bold red" if ": error: " in line else ("cyan" if line.lstrip().startswith("hint:") else None)
        console.print(line, style=style, markup=False)
    count = len(error.problems)
    if count > 1:
        console.print(f"{count} errors", style="bold red", markup=False)


def _check(args, out: Console, err: Console) -> int:
    from .compiler import load

    status = 0
    for path in args.files:
        try:
            plan = load(path)
        except RideError as error:
            _print_error(err, error)
            status = 1
            continue
        seconds = len(plan) / plan.fps
        out.print(f"{path}: ok ({len(plan)} frames, {seconds:.1f} s at {plan.fps:g} fps, "
                  f"{plan.settings.width}x{plan.settings.height})", markup=False)
    return status


def parse_frames(text: str | None, length: int) -> tuple[int, int]:
    """'A:B' -> (A, B) clamped to the scene; either side may be empty; negatives count from the end."""
    if not text:
        return 0, length
    try:
        start_text, _, stop_text = text.partition(":")
        start = int(start_text) if start_text else 0
        stop = int(stop_text) if stop_text else length
    except ValueError:
        raise RideError(f"--frames must look like A:B (e.g. 0:48), not '{text}'") from None
    start, stop, _ = slice(start, stop).indices(length)
    if stop <= start:
        raise RideError(f"--frames {text} selects no frames (the scene has {length})")
    return start, stop


def _plan(args, out: Console, err: Console) -> int:
    from .compiler import load

    plan = load(args.file)
    start, stop = parse_frames(args.frames, len(plan))
    if args.format == "json":
        sys.stdout.write(json.dumps(plan.to_json(start, stop), indent=1) + "\n")
    elif args.format == "csv":
        sys.stdout.write(plan_csv(plan, start, stop))
    else:
        out.print(plan_table(plan, start, stop))
    return 0


def plan_csv(plan: Plan, start: int, stop: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    numbers = [c for c in NUMERIC_COLUMNS if c != "seed"]
    writer.writerow(["index", "time", "seed", *numbers, *CAMERA_COLUMNS, "conditioning", "negative", "diffuse", "key"])
    for f in plan.frames(start, stop):
        row = f.to_json()
        writer.writerow([f.index, row["time"], f.seed, *(row[c] for c in numbers),
                         *(row["camera"][c] for c in CAMERA_COLUMNS), describe_conditioning(f.conditioning),
                         f.negative, int(f.diffuse), f.key])
    return buffer.getvalue()


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


def plan_table(plan: Plan, start: int, stop: int) -> Table:
    s = plan.settings
    title = f"{s.title or s.script}: {len(plan)} frames, {s.width}x{s.height} at {s.fps:g} fps"
    table = Table(title=title, show_lines=False)
    for column in ("frame", "time", "seed", "str", "guid", "steps", "noise", "zoom", "pan", "rot",
                   "loop", "conditioning"):
        table.add_column(column, no_wrap=column != "conditioning", overflow="fold")
    for f in plan.frames(start, stop):
        c = f.camera
        table.add_row(str(f.index), f"{f.time:.2f}", str(f.seed), f"{f.strength:.3g}", f"{f.guidance:.3g}",
                      str(f.steps), f"{f.noise:.3g}", f"{c.zoom:.4g}", f"{c.pan_x:.3g},{c.pan_y:.3g}",
                      f"{c.rotate:.3g}", f"{f.loop_blend:.2f}", describe_conditioning(f.conditioning, 24))
    return table


if __name__ == "__main__":
    sys.exit(main())
