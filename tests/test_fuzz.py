"""Fuzzed hostile scripts (tests/fuzz_inputs.py): compiling one, and using its plan as `ride plan`
and a render's start do, either works or raises a RideError; nothing else escapes, no warning
reaches the user. The long run is bench/fuzz.py (100,000 inputs)."""

import io
import warnings

import pytest
from fuzz_inputs import GENERATORS, generate
from PIL import Image

import ride
from ride.errors import RideError

PER_GENERATOR = 60  # 300 inputs in all: a few seconds


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder with the image the generated scripts may name (`x.png`)."""
    path = tmp_path_factory.mktemp("fuzz")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 200)).save(buffer, "PNG")
    (path / "x.png").write_bytes(buffer.getvalue())
    return path


@pytest.mark.slow
@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_only_ride_errors_escape(folder, generator):
    outcomes = {"ok": 0, "ride error": 0}
    for seed in range(PER_GENERATOR):
        text = generate(generator, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning printed to the user is a finding too
            try:
                plan = ride.compile_text(text, str(folder / "scene.ride"))
                plan.keys()
                for frame in plan.frames(0, 3):
                    frame.to_json()
                plan.to_json(0, 2)
                outcomes["ok"] += 1
            except RideError:
                outcomes["ride error"] += 1
            except Exception as error:  # the finding: say which input, so it can be reproduced
                pytest.fail(f"{generator} seed {seed}: {type(error).__name__}: {error}\n{text!r}")
    assert sum(outcomes.values()) == PER_GENERATOR
