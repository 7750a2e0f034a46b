"""Memory bounded by the script's size and the frame count, never their product (issue 10).

Each case is a smaller version of a bench/memory_limits.py case, measured with tracemalloc
(numpy reports its arrays to it): a bound on bytes, never on time. Before the fix each of these
allocated hundreds of megabytes or more; the bounds leave room of several times what they use now.
"""

import csv
import io
import json
import tracemalloc

import builders as B
import numpy as np
import pytest

import ride.compile.environment as environment
from ride.cli import plan_csv, write_plan_csv

MB = 2**20


def peak(work) -> tuple[object, int]:
    """What `work()` returns, and the most bytes it held at once beyond what was held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = work()
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


class Discard(io.TextIOBase):
    """A stream that keeps nothing, but counts what it was given."""

    written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        return len(text)


@pytest.mark.slow
def test_the_keys_of_a_long_prompt_hold_no_copy_of_it_per_frame():
    # 5,000 frames of a 100 KB prompt: the keys once held the prompt's text for every frame (500 MB)
    plan = B.make_plan("a road in Tuscany " * 5600, length=5000)
    keys, used = peak(plan.keys)
    assert len(set(keys)) == 5000
    assert used < 8 * MB, used


@pytest.mark.slow
def test_the_keys_cost_a_few_hundred_bytes_a_frame():
    # `ride render --frames 0:1` of a million frames asks for every frame's key
    plan = B.make_plan("a road", length=20_000, cadence=3)
    keys, used = peak(plan.keys)
    assert len(keys) == 20_000
    assert used / 20_000 < 600, used  # 24 hex digits and a digest of 12 bytes a frame, with their objects


@pytest.mark.slow
def test_lets_are_not_held_over_every_frame():
    # 200 lets of a 200,000-frame scene were 320 MB; unused, they cost nothing per frame now
    lets = "".join(f"let a{i} = t * {i}\n" for i in range(200))
    base, with_lets = (B.scene_text("a road", length=200_000, extra=extra) for extra in ("", lets))
    _, without = peak(lambda: B.compile_scene(base))
    _, used = peak(lambda: B.compile_scene(with_lets))
    assert used - without < 8 * MB, (used, without)


@pytest.mark.slow
def test_a_chain_of_used_lets_is_evaluated_a_chunk_at_a_time():
    # each let reads the one before; the last is the strength: all of them are needed, per chunk
    lets = "let a0 = t * 0\n" + "".join(f"let a{i} = a{i - 1} + 0 * t\n" for i in range(1, 100))
    chained, plain = (B.scene_text("a road", length=200_000, strength=strength, extra=lets)
                      for strength in ("0.3 + a99", "0.3"))
    _, without = peak(lambda: B.compile_scene(plain))
    plan, used = peak(lambda: B.compile_scene(chained))
    assert plan.columns["strength"][-1] == 0.3
    assert used - without < 56 * MB, (used, without)  # (32 MB of lets kept whole) 100 whole lets: 160 MB


@pytest.mark.slow
def test_a_track_key_is_evaluated_only_over_the_frames_that_read_it():
    # 1,000 keys over 50,000 frames: each key's value over every frame was 400 MB
    keys = [f"{i * 50} {0.3 + (i % 7) / 20}" for i in range(1000)]
    tracked, plain = (B.scene_text("a road", length=50_000, tracks=tracks) for tracks in ({"strength": keys}, {}))
    _, without = peak(lambda: B.compile_scene(plain))
    plan, used = peak(lambda: B.compile_scene(tracked))
    assert plan.columns["strength"][50] == 0.35
    assert used - without < 8 * MB, (used, without)


def test_chunked_lets_and_keys_give_the_same_values(monkeypatch):
    """Every operation is elementwise: chunks of 7 frames, nothing kept whole, the same numbers."""
    lets = "let a = sin(t / 9)\nlet b = a * a + beat\nlet c = where(b > 1, b, u * sec)\n"
    text = B.scene_text("a road", length=300, extra=lets, strength="clip(0.3 + 0.1 * a, 0, 1)",
                        camera={"zoom": "1 + 0.001 * c", "rotate": "b / 100"},
                        tracks={"guidance": ["0 5 + c", "40 7 cubic", "90 5 + a ease", "150 b cubic", "end 6"],
                                "noise": ["0 0.01", "10% 0.02 + 0.01 * a cubic", "60% 0.03 hold", "end 0"]})
    whole = B.compile_scene(text)
    monkeypatch.setattr(environment, "MEMO_BYTES", 0)
    monkeypatch.setattr(environment, "CHUNK_BYTES", 8)
    monkeypatch.setattr(environment, "MIN_CHUNK", 7)
    chunked = B.compile_scene(text)
    for name, values in whole.columns.items():
        assert np.array_equal(values, chunked.columns[name]), name
    assert whole.keys() == chunked.keys()


@pytest.mark.slow
def test_plan_json_and_csv_are_written_a_frame_at_a_time():
    # `ride plan --format json` of a million frames built every frame's dict, then one string
    plan = B.make_plan("a road", length=2_000)
    plan.keys()  # the keys are the plan's own, computed once; the writing is what is measured
    for write in (plan.write_json, lambda out: write_plan_csv(out, plan, 0, len(plan))):
        out = Discard()
        _, used = peak(lambda: write(out))  # noqa: B023 (called at once)
        assert out.written > 2_000 * 80  # every frame was written
        assert used < MB / 2, used  # every frame's dict and text was 6 MB (a block of 1,024 keys as text: 80 KB)


def test_the_streamed_json_and_csv_are_the_plan():
    plan = B.make_plan(['0 "a road"', '6 "a mountain" morph 4 slerp'], length=12, cadence=2)
    for start, stop in ((0, 12), (3, 7), (5, 5)):
        out = io.StringIO()
        plan.write_json(out, start, stop)
        assert json.loads(out.getvalue()) == plan.to_json(start, stop)
    rows = list(csv.reader(io.StringIO(plan_csv(plan, 2, 9))))
    assert [int(row[0]) for row in rows[1:]] == list(range(2, 9))
    assert [row[-1] for row in rows[1:]] == plan.keys()[2:9]
