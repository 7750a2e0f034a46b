"""What compiling warned about (silent audio), printed like an error: `path:line:col: warning: ...`."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ..errors import format_problem
from ..plan import Plan


def print_plan_warnings(plan: Plan, err: Console) -> None:
    """On stderr, with the source line and a hint: `ride check` and `ride render` show them."""
    path = plan.settings.script
    try:
        source = Path(path).read_text(encoding="utf-8-sig") if path else ""
    except (OSError, UnicodeDecodeError):
        source = ""
    for warning in plan.settings.warnings:
        for line in format_problem(warning, source).splitlines():
            err.print(line, style="yellow" if ": warning: " in line else None, markup=False)
