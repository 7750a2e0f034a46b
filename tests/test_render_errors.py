"""Render-side problems (engines, the frame cache, outputs, the render itself) carry stable R6xx
codes, each documented in docs/errors.md: every RideRenderError these modules raise says its code."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = [*sorted((ROOT / "ride" / "renderer").glob("*.py")), *sorted((ROOT / "ride" / "outputs").glob("*.py")),
           ROOT / "ride" / "engines" / "checkpoints.py", *sorted((ROOT / "ride" / "engines" / "diffusion").glob("*.py"))]
MAKERS = {"setup_error", "_error"}  # the modules' own helpers around RideRenderError(Problem(...))


def _name(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def _has_code(call: ast.Call) -> bool:
    return any(k.arg == "code" for k in call.keywords)


def test_every_render_error_has_a_code():
    uncoded = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            if name in MAKERS and not _has_code(node):
                uncoded.append(f"{path.name}:{node.lineno}")
            if name == "Problem" and not _has_code(node):
                uncoded.append(f"{path.name}:{node.lineno}")
            if name == "RideRenderError":
                # Either a Problem made here, or one a `..._problem` helper of these modules made (checked above).
                problem = node.args[0] if node.args else None
                ok = (isinstance(problem, ast.Call) and _name(problem) == "Problem") or isinstance(problem, ast.Name)
                if not ok:
                    uncoded.append(f"{path.name}:{node.lineno}")
    assert uncoded == []


def test_every_render_code_is_documented_in_the_r6xx_range():
    codes = set()
    for path in MODULES:
        codes |= set(re.findall(r'"(R\d{3})"', path.read_text()))
    assert {"R601", "R622", "R623", "R632", "R636", "R651"} <= codes
    assert all("R600" < code < "R700" for code in codes), sorted(codes)
    documented = set(re.findall(r"^\| (R\d{3}) \|", (ROOT / "docs" / "errors.md").read_text(), re.M))
    assert codes <= documented, sorted(codes - documented)
