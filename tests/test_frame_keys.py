"""Frame keys by their properties, not by golden hashes.

A frame's key says "these pixels": the frame cache and watch mode re-render from the first frame
whose key changed. So an edit must change exactly the keys from the first frame it affects on,
and none before; the same script gives the same keys; and a cadence in-between, a blend of its
two diffused neighbours, changes when its next diffused frame does.
"""

from dataclasses import replace

import builders as B
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ride import frame_keys
from ride.plan import Plan

EXAMPLES = settings(max_examples=25, deadline=None)  # bounded: each example compiles two small scripts

PROMPTS = ("a road by the sea", "a mountain pass, snow", "a town at night", "a forest road, fog")


@st.composite
def scenes(draw, cadences=(1, 2, 3)):
    """A scene's length, cadence, and the frame k at which an edit will start to show."""
    length = draw(st.integers(6, 30))
    return length, draw(st.sampled_from(cadences)), draw(st.integers(1, length - 2))


def script(length: int, cadence: int, k: int, edit: str, variant: int) -> str:
    """A scene with a track, a camera and a timeline, where `edit` (a kind of change made from
    frame k on) is written in version `variant` (0 or 1)."""
    strength = f"{k} {0.4 + 0.2 * variant} hold" if edit == "track" else f"{k} 0.4 hold"
    zoom = f"where(t >= {k}, {1.02 + 0.01 * variant}, 1.01)" if edit == "camera" else f"where(t >= {k}, 1.02, 1.01)"
    prompt = PROMPTS[2 + variant] if edit == "prompt" else PROMPTS[2]
    return B.scene_text([f'0 "{PROMPTS[0]}"', f'{k} "{prompt}"'], length=length, cadence=cadence, seed="5 iter",
                        camera={"zoom": zoom, "focus": "0.5, 0.6"},
                        tracks={"strength": ["0 0.3", strength, "end 0.5"]})


def values(frame):
    """Everything of a frame but its key."""
    return replace(frame, key="")


def first_affected(before, after) -> int:
    """The first frame whose own values differ between the two plans."""
    return next(i for i in range(len(before)) if values(before.frame(i)) != values(after.frame(i)))


def first_dependent(plan, frame: int) -> int:
    """The first frame whose pixels depend on `frame`: a cadence in-between depends on the frames
    after it up to its next diffused frame, so an edit reaches back to the last diffused frame."""
    if frame == 0:
        return 0
    return max(d for d in range(frame) if plan.diffuse[d]) + 1


def assert_keys_change_exactly_from(before, after, first: int) -> None:
    old, new = before.keys(), after.keys()
    assert old[:first] == new[:first], "a key before the edit changed"
    assert all(a != b for a, b in zip(old[first:], new[first:])), "a key from the edit on did not change"


@EXAMPLES
@given(scenes(cadences=(1,)), st.sampled_from(["track", "camera", "prompt"]))
def test_an_edit_at_frame_k_changes_exactly_the_keys_from_k(scene, edit):
    length, cadence, k = scene
    before, after = (B.compile_scene(script(length, cadence, k, edit, v)) for v in (0, 1))
    assert first_affected(before, after) == k
    assert_keys_change_exactly_from(before, after, k)


@EXAMPLES
@given(scenes(), st.sampled_from(["track", "camera", "prompt"]))
def test_with_cadence_an_edit_changes_the_keys_from_the_first_frame_that_depends_on_it(scene, edit):
    length, cadence, k = scene
    before, after = (B.compile_scene(script(length, cadence, k, edit, v)) for v in (0, 1))
    first = first_affected(before, after)
    assert first == k
    assert_keys_change_exactly_from(before, after, first_dependent(before, first))


@settings(max_examples=10, deadline=None)  # each example compiles two scripts per segment
@given(scenes(cadences=(2, 3, 4)))
def test_cadence_in_betweens_depend_on_their_next_diffused_frame(scene):
    length, cadence, _ = scene
    plan = B.compile_scene(script(length, cadence, 1, "camera", 0))
    diffused = [i for i in range(length) if plan.diffuse[i]]
    for previous, following in zip(diffused, diffused[1:]):
        if following - previous < 2:
            continue  # no in-between in this segment
        # an edit showing only from the next diffused frame on...
        before, after = (B.compile_scene(script(length, cadence, following, "camera", v)) for v in (0, 1))
        between = range(previous + 1, following)
        # ...leaves the in-betweens' own values as they were, and changes their keys
        assert all(values(before.frame(i)) == values(after.frame(i)) for i in between)
        assert all(before.keys()[i] != after.keys()[i] for i in between)
        assert before.keys()[:previous + 1] == after.keys()[:previous + 1]


@EXAMPLES
@given(scenes(), st.sampled_from(["track", "camera", "prompt"]), st.integers(0, 1))
def test_the_same_script_gives_the_same_keys(scene, edit, variant):
    text = script(*scene, edit, variant)
    first, second = B.compile_scene(text), B.compile_scene(text)
    assert first.keys() == second.keys()
    assert len(set(first.keys())) == len(first)  # and every frame's key is its own


def with_column(plan, name, values):
    """The plan with one more per-frame column (as an issue adding a setting would give it)."""
    return Plan(plan.settings, {**plan.columns, name: values}, plan.conditioning, plan.negative, plan.diffuse)


def test_every_plan_column_is_keyed_without_naming_it():
    plan = B.make_plan("a road", length=40)
    moved = np.zeros(40)
    moved[25:] = 1.5
    before, after = with_column(plan, "move_z", np.zeros(40)), with_column(plan, "move_z", moved)
    assert_keys_change_exactly_from(before, after, 25)


def test_keys_are_made_lazily_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(frame_keys, "CHUNK", 64)
    monkeypatch.setattr(frame_keys, "TEXT_BLOCK", 16)
    plan = B.make_plan("a road", length=1000, cadence=3)
    keys = plan.frame_keys
    first = keys[0]
    assert sum(d is not None for d in keys._digests) == 1  # one chunk of 64 digests for frame 0
    whole = B.make_plan("a road", length=1000, cadence=3).keys()
    assert first == whole[0] and keys[:] == whole and keys[130:140] == whole[130:140]


def test_a_watch_pass_takes_the_unchanged_prefix_over_and_gets_the_same_keys(monkeypatch):
    monkeypatch.setattr(frame_keys, "CHUNK", 16)
    old, new = (B.compile_scene(script(100, 2, 70, "prompt", v)) for v in (0, 1))
    old.keys()
    assert new.frame_keys.changed_from(old.frame_keys) == first_dependent(old, 70)
    assert new.frame_keys._chains[3] is old.frame_keys._chains[3]  # chunks wholly before the change: shared
    assert new.keys() == B.compile_scene(script(100, 2, 70, "prompt", 1)).keys()
    assert new.frame_keys.changed_from(None) is None
