"""The grammar ships inside the wheel: build it, install it apart, and parse scenes/ with it."""

import subprocess
import sys

import pytest
from conftest import ROOT, SCENES


@pytest.mark.slow
def test_installed_wheel_parses_the_scenes(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("ride-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    code = (
        "import sys, pathlib, ride, ride.language.syntax\n"
        f"assert ride.__file__.startswith({str(target)!r}), ride.__file__\n"
        f"assert str(ride.language.syntax.grammar_path()).startswith({str(target)!r})\n"
        f"for scene in sorted(pathlib.Path({str(SCENES)!r}).glob('*.ride')):\n"
        "    ride.load(scene)\n"
        "from pygments.lexers import get_lexer_by_name\n"  # the Pygments plugin is registered
        "assert type(get_lexer_by_name('ride-scene')).__name__ == 'RideSceneLexer'\n"
        "print('parsed')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "parsed" in result.stdout
