"""Golden files per stage: scenes -> plan JSON, broken scenes -> exact error text.

Regenerate after an intended change with `pytest tests/test_golden.py --update-golden`
and review the diff.
"""

import json

import pytest
from conftest import GOLDEN, SCENES

import ride
from ride.errors import RideError, format_error

ERROR_CASES = sorted((GOLDEN / "errors").glob("*.ride"))
SCENE_CASES = sorted(SCENES.glob("*.ride"))


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda p: p.stem)
def test_error_text(case, monkeypatch, update_golden):
    monkeypatch.chdir(case.parent)
    with pytest.raises(RideError) as caught:
        ride.load(case.name)
    text = format_error(caught.value) + "\n"
    expected = case.with_suffix(".txt")
    if update_golden or not expected.exists():
        expected.write_text(text)
    assert text == expected.read_text()


def test_at_least_25_distinct_mistakes():
    messages = set()
    for case in ERROR_CASES:
        first = case.with_suffix(".txt").read_text().splitlines()[0]
        messages.add(first.split("]: ", 1)[1].split("'")[0] if "error[" in first else first.split(": error: ")[1].split("'")[0])
    assert len(messages) >= 25


def test_every_error_has_position_and_hint():
    for case in ERROR_CASES:
        for block in case.with_suffix(".txt").read_text().split(f"{case.name}:")[1:]:
            line, col = block.split(":")[:2]
            assert int(line) >= 1 and int(col) >= 1, case.name
            assert "\n  hint: " in block, f"{case.name} has an error without a hint"


@pytest.mark.parametrize("scene", SCENE_CASES, ids=lambda p: p.stem)
def test_scene_plan(scene, update_golden):
    plan = ride.load(scene)
    data = plan.to_json()
    data.pop("source")  # where the scene lies on this machine
    expected = GOLDEN / "plans" / f"{scene.stem}.json"
    if update_golden or not expected.exists():
        expected.write_text(json.dumps(data, indent=1) + "\n")
    assert data == json.loads(expected.read_text())
