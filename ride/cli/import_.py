"""`ride import deforum SETTINGS [-o scene.ride]`: a Deforum settings file or Parseq manifest as a scene.

The scene goes to standard output (or -o FILE, written atomically); each thing ride cannot do is
one `warning:` line on standard error. A malformed file is a positioned error and exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from ..compile.compiler import compile_text
from ..errors import Problem, RideError
from ..importers.deforum import import_deforum
from .fmt import write_atomically


def add_command(commands) -> None:
    command = commands.add_parser("import", help="turn another tool's settings into a ride scene")
    kinds = command.add_subparsers(dest="kind", required=True, metavar="KIND")
    deforum = kinds.add_parser("deforum", help="a Deforum settings file (.txt/.json) or a Parseq manifest")
    deforum.add_argument("settings", metavar="SETTINGS")
    deforum.add_argument("-o", "--output", metavar="FILE", help="write the scene here (default: standard output)")
    deforum.set_defaults(run=run_import)


def run_import(args, out: Console, err: Console) -> int:
    imported = import_deforum(args.settings)
    if args.output:
        target = Path(args.output)
        if target.suffix != ".ride":
            raise RideError(Problem(f"-o {args.output}: a scene's name ends in .ride", code="R791",
                                    hint=f"-o {target.with_suffix('.ride').name}"))
        if not target.exists():
            target.write_bytes(b"")  # write_atomically keeps an existing file's mode
        write_atomically(target, imported.text)
    else:
        sys.stdout.write(imported.text)
    warnings = list(imported.warnings)
    try:
        compile_text(imported.text, args.output or "scene.ride")
    except RideError as error:  # e.g. a form this ride does not have yet: the scene is still written
        warnings.append(f"the scene does not pass `ride check` yet: {error.problems[0].message}")
    for warning in warnings:
        err.print(f"{args.settings}: warning: {warning}", markup=False, style="yellow")
    where = args.output or "standard output"
    err.print(f"{args.settings}: {imported.description}, {imported.frames} frames -> {where}", markup=False)
    return 0
