"""`ride plot FILE [-o curves.png|curves.svg] [--tracks a,b] [--frames A:B]`: the scene's curves, drawn."""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

from rich.console import Console

from ..errors import Problem, RideError

INSTALL = "pip install 'ride[plot]'"


def add_command(commands) -> None:
    plot = commands.add_parser("plot", help="draw every per-frame value and conditioning weight over time "
                               "(needs ride[plot])")
    plot.add_argument("file", metavar="FILE")
    plot.add_argument("-o", "--output", metavar="OUT", help="a .png or .svg (default: FILE's name with "
                      ".curves.png, beside it)")
    plot.add_argument("--tracks", metavar="A,B", help="only these curves (`conditioning`: the weights)")
    plot.add_argument("--frames", metavar="A:B", help="only frames A to B-1 (Python slice style)")
    plot.set_defaults(run=run_plot)


def run_plot(args, out: Console, err: Console) -> int:
    from ..api import parse_frames
    from ..compile.compiler import load
    from ..plot.series import plan_curves

    target = Path(args.output) if args.output else Path(args.file).with_suffix(".curves.png")
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise RideError(Problem(f"ride plot writes .png or .svg, not '{target.name}'", code="R754",
                                hint=f"-o {target.with_suffix('.svg').name}"))
    figure = _figure_module()
    plan = load(args.file)
    curves = plan_curves(plan)
    if args.tracks:
        curves = curves.select([name.strip() for name in args.tracks.split(",") if name.strip()])
    start, stop = parse_frames(args.frames, len(plan))
    curves = curves.window(start, stop)
    _write_atomically(target, figure.write(curves, fmt))
    out.print(f"wrote {target} ({len(curves.series)} curves, frames {start}-{stop - 1})", markup=False)
    return 0


def _figure_module():
    try:  # (import_module: a test takes matplotlib away by emptying sys.modules)
        return importlib.import_module("ride.plot.figure")
    except ImportError:
        raise RideError(Problem("`ride plot` needs matplotlib, which is not installed", hint=INSTALL,
                                code="R752")) from None


def _write_atomically(target: Path, data: bytes) -> None:
    """A temporary file renamed into place: an earlier plot is never left half written."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".ride-plot-", suffix=target.suffix, dir=target.parent)
        umask = os.umask(0)
        os.umask(umask)
        try:
            os.chmod(temporary, 0o666 & ~umask)  # a plot like any file the user writes, not mkstemp's 0600
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise RideError(Problem(f"cannot write {target}: {error.strerror or error}", code="R755",
                                hint="another folder, or free some space")) from None
