"""`ride fmt [--check] FILE...`: rewrite scripts in the canonical layout, or show the diff (--check)."""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from ..errors import Diagnostics, RideError
from ..language.format import format_text


def add_command(commands) -> None:
    fmt = commands.add_parser("fmt", help="rewrite scripts in the canonical layout (comments kept, plan unchanged)")
    fmt.add_argument("files", nargs="+", metavar="FILE", help="scripts; `-` reads standard input and writes the "
                     "formatted script to standard output (for editors)")
    fmt.add_argument("--check", action="store_true",
                     help="change nothing: print a diff and exit 1 if a file is not in the layout")
    fmt.set_defaults(run=run_fmt)


def run_fmt(args, out: Console, err: Console) -> int:
    from . import _print_error

    status = 0
    for name in args.files:
        try:
            text = sys.stdin.read() if name == "-" else _read(name)
            formatted = format_text(text, "<stdin>" if name == "-" else name)
        except RideError as error:
            _print_error(err, error)
            status = 1
            continue
        if name == "-" and not args.check:
            sys.stdout.write(formatted)
            continue
        if formatted == text:
            continue
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(keepends=True),
                                                       formatted.splitlines(keepends=True), name, f"{name} (formatted)"))
            err.print(f"{name}: would be reformatted", markup=False)
            status = 1
        else:
            write_atomically(Path(name), formatted)
            err.print(f"{name}: reformatted", markup=False)
    return status


def _read(name: str) -> str:
    try:
        return Path(name).read_bytes().decode("utf-8")  # as bytes: CRLF line ends are kept
    except (OSError, UnicodeDecodeError) as error:
        diagnostics = Diagnostics(name)
        diagnostics.error("R501", f"cannot read {name}: {getattr(error, 'strerror', None) or error}")
        diagnostics.raise_if_any()
        raise  # not reached: raise_if_any raised


def write_atomically(path: Path, text: str) -> None:
    """A temporary file beside the script, renamed over it: an interrupted fmt never leaves half a script."""
    target = path.resolve()  # through a symlink: the link stays a link
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
