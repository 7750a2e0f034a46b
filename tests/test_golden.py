"""Golden files per stage: scenes -> every frame's plan values (CSV), broken scenes -> exact error text.

Goldens hold what a person reviews: values and messages, never hashes (frame keys are covered by
the property tests in test_frame_keys.py). A missing golden fails; after an intended change,
regenerate with `pytest tests/test_golden.py --update-golden` and review the diff.
"""

import csv
import io
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import GOLDEN, SCENES

import ride
from ride.errors import RideError, format_error

ERROR_CASES = sorted((GOLDEN / "errors").glob("*.ride"))
SCENE_CASES = sorted(SCENES.glob("*.ride"))

# A frame's own numbers in FramePlan's order, then its camera's, then what it is conditioned on:
# a new per-frame setting or camera field shows up as a new column with no change here.
DESCRIBED = ("camera", "conditioning", "negative", "key")  # not plain numbers (the key: property tests)
# Settings that are not values of the scene: where the script was read from, and content digests.
UNREVIEWED_SETTINGS = ("script", "base_dir", "assets", "spans", "warnings")  # machine paths, digests, source positions; warnings have their tests


def check_golden(path: Path, text: str, update: bool) -> None:
    """Compare with the golden file; only --update-golden writes one (a missing golden fails)."""
    if update:
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"no golden file {path}: "
                    "run `pytest tests/test_golden.py --update-golden` and review it")
    assert text == path.read_text()


def number(x) -> str:
    if isinstance(x, (bool, int)):
        return str(int(x))
    r = round(float(x), 6)
    return repr(0.0 if r == 0 else r)


def described(conditioning) -> str:
    """One frame's conditioning as one readable cell: `prompt:"a road"*0.7 + image:"still.png"*0.3`,
    and while a morph runs `... <- <the start mix> @0.25 slerp`."""
    def mix(sources) -> str:
        return " + ".join(f"{w.source.kind}:{w.source.value!r}*{number(w.weight)}" for w in sources)

    text = mix(conditioning.sources)
    if conditioning.morph is not None:
        m = conditioning.morph
        text += f" <- {mix(m.start)} @{number(m.position)} {m.method}"
    return text


def columns(frame) -> list[str]:
    own = [f.name for f in fields(frame) if f.name not in DESCRIBED]
    return own + [f.name for f in fields(frame.camera)] + ["conditioning", "negative"]


def frame_row(frame) -> list[str]:
    own = [number(getattr(frame, f.name)) for f in fields(frame) if f.name not in DESCRIBED]
    camera = [number(getattr(frame.camera, f.name)) for f in fields(frame.camera)]
    return own + camera + [described(frame.conditioning), frame.negative]


def plan_values_csv(plan) -> str:
    """Every frame's values, one row per frame, from FramePlan's attributes (not the CLI's table)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns(plan.frame(0)))
    for frame in plan.frames():
        writer.writerow(frame_row(frame))
    return out.getvalue()


def settings_text(plan) -> str:
    s = plan.settings
    lines = [f"{f.name} = {getattr(s, f.name)!r}" for f in fields(s)
             if not f.name.startswith("_") and f.name not in UNREVIEWED_SETTINGS]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scene", SCENE_CASES, ids=lambda p: p.stem)
def test_scene_plan_values(scene, update_golden):
    plan = ride.load(scene)
    check_golden(GOLDEN / "plans" / f"{scene.stem}.csv", plan_values_csv(plan), update_golden)
    check_golden(GOLDEN / "plans" / f"{scene.stem}.settings.txt", settings_text(plan), update_golden)


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda p: p.stem)
def test_error_text(case, monkeypatch, update_golden):
    monkeypatch.chdir(case.parent)
    with pytest.raises(RideError) as caught:
        ride.load(case.name)
    check_golden(case.with_suffix(".txt"), format_error(caught.value) + "\n", update_golden)


def test_a_missing_golden_fails_and_says_how_to_regenerate(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="--update-golden"):
        check_golden(tmp_path / "nowhere.csv", "index\n", update=False)
    assert not (tmp_path / "nowhere.csv").exists()


def test_at_least_25_distinct_mistakes():
    messages = set()
    for case in ERROR_CASES:
        first = case.with_suffix(".txt").read_text().splitlines()[0]
        messages.add(first.split(": error: ")[1].split("'")[0])
    assert len(messages) >= 25


def test_every_error_has_position_and_hint():
    for case in ERROR_CASES:
        for block in case.with_suffix(".txt").read_text().split(f"{case.name}:")[1:]:
            line, col = block.split(":")[:2]
            assert int(line) >= 1 and int(col) >= 1, case.name
            assert "\n  hint: " in block, f"{case.name} has an error without a hint"
