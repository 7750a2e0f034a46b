"""Numeric checks of transitions, time units, expression cross-fades, morphs and loop_blend
against values computed by hand."""

import numpy as np
import pytest

import ride

TIMELINE = 'timeline {{\n  0 "a road"\n  {n} end\n}}\n'


def plan_of(body: str, n: int = 21, **kw):
    return ride.compile_text(body + "\n" + TIMELINE.format(n=n), **kw)


def track(name: str, keys: str, n: int = 21, header: str = "") -> np.ndarray:
    return plan_of(f"{header}\ntrack {name} {{\n{keys}\n}}", n).columns[name]


def test_linear_holds_exactly_at_keys_and_interpolates_between():
    v = track("guidance", "0 2\n10 4\n20 8")
    assert v[0] == 2 and v[10] == 4 and v[20] == 8
    assert v[5] == pytest.approx(3.0)
    assert v[15] == pytest.approx(6.0)


def test_hold_keeps_the_value_until_the_next_key():
    v = track("guidance", "0 2\n10 4 hold")
    assert list(v[:10]) == [2.0] * 10
    assert v[10] == 4 and v[20] == 4


@pytest.mark.parametrize("transition, p, expected", [
    ("ease in", 0.5, 0.25),            # p^2
    ("ease out", 0.5, 0.75),           # 1 - (1-p)^2
    ("ease in_out", 0.5, 0.5),         # 3p^2 - 2p^3
    ("ease", 0.25, 0.15625),           # ease = ease in_out: 3/16 - 2/64
    ("bezier(0, 0, 1, 1)", 0.3, 0.3),  # the straight line
    ("bezier(0.42, 0, 0.58, 1)", 0.5, 0.5),  # symmetric
    ("linear", 0.3, 0.3),
])
def test_transitions(transition, p, expected):
    v = track("guidance", f"0 0\n20 10 {transition}")
    assert v[int(p * 20)] / 10 == pytest.approx(expected, abs=1e-6)


def test_cubic_passes_through_keys_and_is_smooth():
    v = track("guidance", "0 0\n10 10 cubic\n20 0 cubic")
    assert v[0] == 0 and v[10] == 10 and v[20] == 0
    assert 5 < v[5] < 10 and v[9] < 10  # rounded toward the peak, not a straight line


def test_time_units():
    # fps 12: 1s = 12 frames; bpm 90: 1 beat = 2/3 s = 8 frames; 50% of frames 0..24 = frame 12
    v = track("guidance", "0 0\n1s 12\n+4 16\n3b 24\nend 30", n=31, header="fps 12\nbpm 90")
    assert v[12] == 12  # 1s
    assert v[16] == 16  # +4 after 1s
    assert v[20] == pytest.approx(20)  # between 16 (frame 16) and 24 at 3 beats = frame 24
    assert v[24] == 24 and v[30] == 30  # end = last frame
    p = track("guidance", "0 0\n50% 12\nend 12 hold", n=25)
    assert p[12] == 12 and p[6] == 6  # 50% of frames 0..24 is frame 12


def test_expression_keys_are_cross_faded():
    v = track("guidance", "0 t\n10 100")
    # at frame 5: half of t (=5) and half of 100
    assert v[5] == pytest.approx(0.5 * 5 + 0.5 * 100)
    assert v[3] == pytest.approx(0.7 * 3 + 0.3 * 100)
    assert v[15] == 100


def test_expressions_see_time_variables_and_lets():
    p = plan_of("let wobble = 0.5 * sin(2 * pi * u)\nguidance 7 + wobble + beat", n=21)
    u = np.arange(21) / 20
    beat = np.arange(21) / 12 * 120 / 60
    assert np.allclose(p.columns["guidance"], 7 + 0.5 * np.sin(2 * np.pi * u) + beat)


def test_ride_functions_are_rewritten():
    p = plan_of("guidance clip(t, 2, 5) + min(t, 1) + frac(t / 4)")
    t = np.arange(21.0)
    assert np.allclose(p.columns["guidance"], np.clip(t, 2, 5) + np.minimum(t, 1) + (t / 4 - np.floor(t / 4)))


def morph_positions(method: str = "", transition: str = "") -> list:
    text = f'timeline {{\n  0 "a"\n  20 "b" morph 10 {method} {transition}\n  30 end\n}}'
    plan = ride.compile_text(text)
    return [c.morph.position if c.morph else None for c in plan.conditioning]


def test_morph_arrives_over_the_frames_before_its_key():
    positions = morph_positions()
    assert positions[:10] == [None] * 10
    assert positions[10] == 0.0 and positions[15] == 0.5 and positions[19] == pytest.approx(0.9)
    assert positions[20] is None  # at the key: all "b"
    plan = ride.compile_text('timeline {\n  0 "a"\n  20 "b" morph 10 slerp\n  30 end\n}')
    assert plan.conditioning[15].morph.method == "slerp"
    assert plan.conditioning[15].morph.start[0].source.value == "a"
    assert plan.conditioning[15].sources[0].source.value == "b"


def test_morph_easing():
    positions = morph_positions("lerp", "ease")
    assert positions[15] == pytest.approx(0.5)
    assert positions[12] == pytest.approx(3 * 0.04 - 2 * 0.008)  # smoothstep(0.2)


def test_mix_weights_are_relative():
    plan = ride.compile_text('timeline {\n  0 "a" * 3 + "b"\n  4 end\n}')
    weights = [w.weight for w in plan.conditioning[0].sources]
    assert weights == [0.75, 0.25]


def test_loop_close_blend_rises_toward_frame_0():
    plan = plan_of("loop close 4", n=10)
    assert list(plan.columns["loop_blend"]) == pytest.approx([0] * 6 + [0.2, 0.4, 0.6, 0.8])
    last = plan.conditioning[9]
    assert last.morph.position == pytest.approx(0.8) and last.sources == plan.conditioning[0].sources
    # values hold as written (the renderer eases strength and noise down by loop_blend)
    assert plan.columns["strength"][9] == 0.35 and plan.columns["noise"][7] == 0.02


def test_loop_close_returns_conditioning_and_seed_to_frame_0():
    text = ('seed 10 iter\nloop close 4\ntimeline {\n  0 "a"\n  5 "b"\n  10 end\n}')
    plan = ride.compile_text(text)
    seeds = list(plan.columns["seed"])
    assert seeds[:6] == [10, 11, 12, 13, 14, 15]
    assert seeds[6:] == [10] * 4
    assert plan.conditioning[9].morph.start[0].source.value == "b"
    assert plan.conditioning[9].sources[0].source.value == "a"


def test_seed_random_is_recorded_and_repeatable():
    first = plan_of("seed random")
    assert first.settings.random_seed is not None
    again = plan_of("seed random", random_seed=first.settings.random_seed)
    assert list(again.columns["seed"]) == list(first.columns["seed"])
    assert again.keys() == first.keys()


def test_cadence_marks_diffused_frames_and_the_tail():
    plan = plan_of("cadence 3", n=8)
    assert list(plan.diffuse) == [True, False, False, True, False, False, True, True]


def test_logic_operators_work_on_numbers_and_truth_values():
    # numexpr has no opcode for `~1.5` or `t & 1` or `-(t > 2)`: found by the fuzz test
    p = plan_of("guidance 5 + (~t) + (t & 1) - (t > 2) + where(t, 1, 0) + ~(t < 19)", n=21)
    t = np.arange(21.0)
    expected = 5 + (t == 0) + (t != 0) - (t > 2) + (t != 0) + (t >= 19)
    assert np.array_equal(p.columns["guidance"], expected)


def test_color_match_options():
    plan = plan_of("color match frame0 hsv 0.5")
    s = plan.settings
    assert (s.color_match, s.color_space, s.color_amount) == ("frame0", "hsv", 0.5)
    assert plan_of("color match off").settings.color_match == "off"
    assert plan.keys()[0] != plan_of("color match frame0 hsv").keys()[0]  # the amount changes pixels


def test_a_morph_longer_than_its_gap_is_spread_over_the_frames_there_are():
    plan = ride.compile_text('timeline {\n  0 "a"\n  5 "b" morph 10\n  9 end\n}')
    positions = [c.morph.position if c.morph else None for c in plan.conditioning]
    assert positions[:6] == [None, 0.0, 0.25, 0.5, 0.75, None]


def test_timeline_keys_round_halves_up():
    plan = ride.compile_text('timeline {\n  0 "a"\n  2.5 "b"\n  10.5 end\n}')
    assert len(plan) == 11 and plan.conditioning[3].sources[0].source.value == "b"
    assert plan.conditioning[2].sources[0].source.value == "a"


def test_bezier_is_exact_at_its_keys():
    v = track("rotate", "0 0\n20 0.5 bezier(0.5, -0.5, 0.5, 1.5)")  # overshoots between the keys
    assert v[0] == 0.0 and v[20] == 0.5 and v[1] < 0


def test_border_setting():
    assert plan_of("border replicate").settings.border == "replicate"
    assert plan_of("").settings.border == "reflect"
    assert plan_of("border replicate").keys()[0] != plan_of("").keys()[0]  # it changes pixels
